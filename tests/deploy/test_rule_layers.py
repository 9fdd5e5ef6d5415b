"""The shipped rules keep their layers: only opsbot-inputs.yml names a team's metrics, the other files read
the `opsbot:` series it records; the packaged KPIs prefer the recording rules; deploy/README.md lists them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
LAYERS = ["opsbot-inputs.yml", "opsbot-recording.yml", "opsbot-rules.yml"]  # the order they build on
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
KPI_TESTS = [PROMETHEUS / "tests" / "kpis.test.yml", PROMETHEUS / "tests" / "kpis-without-rules.test.yml"]
RECORDED_KPIS = ["latency_p50", "latency_p95", "error_rate", "uptime", "payment_success"]

STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
MATCHERS = re.compile(r"\{[^}]*\}")
LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
RANGES = re.compile(r"\[[^\]]*\]|\boffset\s+\w+")
NAME = re.compile(r"(?<![\w:.])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:]|\s*\()")  # not a function
KEYWORDS = {"and", "or", "unless", "bool", "inf", "nan"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules(name: str) -> list[dict[str, Any]]:
    return [rule for group in load(PROMETHEUS / name)["groups"] for rule in group["rules"]]


def series_read(expr: str) -> set[str]:
    """The metric names an expression selects (labels, functions, ranges and keywords left out)."""
    bare = RANGES.sub("", LABEL_LISTS.sub("", MATCHERS.sub("", STRING.sub('""', expr))))
    return {name for name in NAME.findall(bare) if name.lower() not in KEYWORDS}


def test_the_name_reader_sees_only_metric_names() -> None:
    expr = 'sum by (job, le) (rate(x_total{status=~"5.."}[5m])) / ignoring(le) y offset 1w > bool 3 or z'
    assert series_read(expr) == {"x_total", "y", "z"}


def test_only_the_inputs_name_a_teams_metrics() -> None:
    for rule in rules("opsbot-inputs.yml"):
        assert rule["record"].startswith("opsbot:"), rule["record"]
        assert not any(name.startswith("opsbot:") for name in series_read(rule["expr"])), rule["record"]
    recorded = {rule["record"] for name in LAYERS[:2] for rule in rules(name)}
    for name in LAYERS[1:]:
        for rule in rules(name):
            assert series_read(rule["expr"]) <= recorded, rule.get("record") or rule["alert"]


@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda path: path.name)
def test_rule_tests_evaluate_the_groups_in_the_order_they_build_on(path: Path) -> None:
    """promtool runs groups in an arbitrary order unless told; Prometheus runs them side by side."""
    test_file = load(path)
    if not test_file["rule_files"]:
        return
    assert test_file["rule_files"] == [f"../{name}" for name in LAYERS]
    groups = [group["name"] for name in LAYERS for group in load(PROMETHEUS / name)["groups"]]
    assert test_file["group_eval_order"] == groups


def test_the_packaged_kpis_prefer_the_recording_rules_and_fall_back_to_raw_queries() -> None:
    kpis = {kpi["name"]: kpi for kpi in load(ROOT / "bot" / "defaults.yml")["kpis"]}
    recorded = {rule["record"]: rule for rule in rules("opsbot-recording.yml")}
    tested = [
        {case["expr"] for group in load(path)["tests"] for case in group.get("promql_expr_test", [])}
        for path in KPI_TESTS
    ]
    for name in RECORDED_KPIS:
        promql = kpis[name]["promql"]
        rule_name, _, fallback = promql.partition(" + 0 or ")
        assert rule_name in recorded and rule_name.startswith(f"opsbot:kpi_{name}:"), promql
        assert not any(part.startswith("opsbot:") for part in series_read(fallback)), promql
        assert all(promql in exprs for exprs in tested), f"{name}: its query is not in {KPI_TESTS}"


def test_deploy_readme_tells_what_each_rule_reads() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    for rule in rules("opsbot-inputs.yml"):
        assert f"`{rule['record']}`" in readme, rule["record"]
    for rule in rules("opsbot-rules.yml"):
        assert f"`{rule['alert']}`" in readme, rule["alert"]
    assert "deploy/README.md" in (ROOT / "README.md").read_text(encoding="utf-8")

"""The playbook's review checklists (weekly review, monthly deep dive) as items: what each asks, where its
data comes from, and what a team reads when no source is configured. Pure values; no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.digest_periods import DigestKind


@dataclass(frozen=True)
class ItemSpec:
    """One checklist item: a stable `key` (stored with its tick), the playbook's wording, its group, and
    how to give it data when it has none (`how_to_add`); `owner` items (monthly planning) take an owner."""

    key: str
    title: str
    group: str
    how_to_add: str = ""
    owner: bool = False


@dataclass(frozen=True)
class Finding:
    """What a source found for one item: mrkdwn lines (outside text already escaped), `has_data` False for
    the "no source" line, and `summary`, the one line kept when the item is carried into a later review
    (plain text: escaped where it is shown)."""

    lines: tuple[str, ...]
    has_data: bool = True
    summary: str = ""


REVIEW_METRICS, ACTIONS = "Review metrics", "Actions"
TECHNICAL, BUSINESS, PLANNING = "Technical review", "Business review", "Planning"
OWN_ITEMS = "Our own items"


def _source(key: str, example: str) -> str:
    return f"add `digests.sources.{key}` (a PromQL query, e.g. `{example}`) and set PROMETHEUS_URL"


WEEKLY_ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec(
        "error_logs",
        "Error logs from the past week",
        REVIEW_METRICS,
        _source("error_logs", "sum by (service) (increase(log_messages_total{level='error'}[$__range]))"),
    ),
    ItemSpec("degradation_incidents", "Performance degradation incidents", REVIEW_METRICS),
    ItemSpec(
        "user_feedback",
        "User feedback / complaints",
        REVIEW_METRICS,
        "set `digests.feedback_channel` to the channel where feedback lands and invite the bot",
    ),
    ItemSpec(
        "payment_success",
        "Payment success rates",
        REVIEW_METRICS,
        _source(
            "payment_success",
            "100 * sum(increase(payments_total{status='ok'}[$__range]))"
            " / sum(increase(payments_total[$__range]))",
        ),
    ),
    ItemSpec(
        "ai_api_costs",
        "AI API costs",
        REVIEW_METRICS,
        _source("ai_api_cost", "sum(increase(ai_api_cost_dollars_total[$__range]))"),
    ),
    ItemSpec("system_performance", "System performance", REVIEW_METRICS),
    ItemSpec(
        "cost_analysis",
        "Cost analysis",
        REVIEW_METRICS,
        _source("hosting_cost", "sum(increase(hosting_cost_dollars_total[$__range]))"),
    ),
    ItemSpec(
        "security_updates",
        "Security updates",
        REVIEW_METRICS,
        _source("security_feed", "sum by (severity) (trivy_image_vulnerabilities)"),
    ),
    ItemSpec(
        "support_metrics",
        "Support metrics",
        REVIEW_METRICS,
        "set `digests.support_channel` to the channel where support requests land and invite the bot",
    ),
    ItemSpec("top_issues", "Identify the top 3 issues", ACTIONS),
    ItemSpec("optimization_tickets", "Create optimization tickets", ACTIONS),
    ItemSpec("thresholds", "Update monitoring thresholds if needed", ACTIONS),
)

MONTHLY_ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec(
        "database_performance",
        "Database performance analysis",
        TECHNICAL,
        "run postgres_exporter, scrape it into Prometheus and set PROMETHEUS_URL",
    ),
    ItemSpec(
        "query_optimization",
        "Query optimization opportunities",
        TECHNICAL,
        "enable pg_stat_statements in postgres_exporter (its `pg_stat_statements_*` series) and set "
        "PROMETHEUS_URL",
    ),
    ItemSpec(
        "code_hotspots",
        "Code hotspot analysis",
        TECHNICAL,
        _source(
            "code_hotspots",
            "topk(5, sum by (handler) (increase(http_request_duration_seconds_sum[$__range])))",
        ),
    ),
    ItemSpec("dependency_updates", "Dependency updates", TECHNICAL),
    ItemSpec(
        "user_growth",
        "User growth trends",
        BUSINESS,
        _source("user_growth", "sum(increase(signups_total[$__range]))"),
    ),
    ItemSpec(
        "feature_usage",
        "Feature usage analysis",
        BUSINESS,
        _source("feature_usage", "topk(10, sum by (feature) (increase(feature_used_total[$__range])))"),
    ),
    ItemSpec(
        "revenue",
        "Revenue metrics",
        BUSINESS,
        _source("revenue", "sum(increase(revenue_dollars_total[$__range]))"),
    ),
    ItemSpec(
        "churn",
        "Churn analysis",
        BUSINESS,
        _source("churn", "sum(increase(subscriptions_cancelled_total[$__range]))"),
    ),
    ItemSpec("prioritize_work", "Prioritize optimization work", PLANNING, owner=True),
    ItemSpec("infrastructure_scaling", "Plan infrastructure scaling", PLANNING, owner=True),
    ItemSpec(
        "budget_review",
        "Budget review (API costs, hosting)",
        PLANNING,
        _source("hosting_cost", "sum(increase(hosting_cost_dollars_total[$__range]))"),
        owner=True,
    ),
)


def catalog(kind: DigestKind) -> tuple[ItemSpec, ...]:
    """The playbook's items of one list, in the playbook's order."""
    return WEEKLY_ITEMS if kind is DigestKind.WEEKLY else MONTHLY_ITEMS


OWN_KEY_CHARS = 40  # of an own item's title in its key (the key is stored and is a block_id)


def own_item_key(title: str) -> str:
    """The stable key of a team's own item (config `digests.weekly_items`): `own-` and a slug of its title."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:OWN_KEY_CHARS]
    return f"own-{slug or 'item'}"


def checklist(kind: DigestKind, own_titles: Sequence[str] = ()) -> tuple[ItemSpec, ...]:
    """Every item of a review: the playbook's list, then the team's own items (from config)."""
    own = tuple(ItemSpec(own_item_key(title), title, OWN_ITEMS) for title in own_titles)
    return (*catalog(kind), *own)


def no_source(spec: ItemSpec) -> Finding:
    """The honest line of an item no source answers: what to configure to give it data."""
    how = f" — {spec.how_to_add}" if spec.how_to_add else ""
    return Finding((f"No source configured{how}.",), has_data=False, summary="no source configured")


def combined(answers: Sequence[Mapping[str, Finding]]) -> dict[str, Finding]:
    """The sources' answers as one finding per item: where several answer one item (security updates: the
    feed and the outdated dependencies), their lines follow each other, those with data first."""
    found: dict[str, list[Finding]] = {}
    for answer in answers:
        for key, finding in answer.items():
            found.setdefault(key, []).append(finding)
    return {key: _joined(findings) for key, findings in found.items()}


def _joined(findings: list[Finding]) -> Finding:
    if len(findings) == 1:
        return findings[0]
    ordered = sorted(findings, key=lambda f: not f.has_data)  # stable: sources' order otherwise
    return Finding(
        tuple(line for f in ordered for line in f.lines),
        has_data=any(f.has_data for f in findings),
        summary="; ".join(f.summary for f in ordered if f.summary),
    )


def completed(findings: Mapping[str, Finding], specs: Sequence[ItemSpec]) -> dict[str, Finding]:
    """A finding for every item: the sources' where they answered, "no source" otherwise."""
    return {spec.key: findings.get(spec.key) or no_source(spec) for spec in specs}

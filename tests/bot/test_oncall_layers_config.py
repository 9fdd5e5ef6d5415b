"""Rotation layers in the configuration: the flat form is one layer, layers and flat members do not mix, and
an escalation step may only page a layer its team's rotation has."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError

LAYERS = """\
    oncall:
      layers:
        - {name: primary, members: [U0ALICE]}
        - {name: secondary, members: [U0BOB], handoff: daily}
"""


def settings_of(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    return load_settings({"OPSBOT_CONFIG": str(path)})


def test_the_flat_form_is_one_layer_named_primary(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, "oncall:\n  members: [U0BOB, U0DAVE]\n  handoff: daily\n")
    [layer] = settings.default_team.oncall.all_layers()
    assert (layer.name, layer.members, layer.handoff) == ("primary", ("U0BOB", "U0DAVE"), "daily")


def test_a_team_has_its_layers_and_everyone_on_them(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, "teams:\n  - name: payments\n" + LAYERS)
    payments = settings.team("payments")
    assert payments is not None
    assert payments.oncall.layer_names() == ("primary", "secondary")
    assert payments.oncall.all_members() == ("U0ALICE", "U0BOB")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "oncall:\n  members: [U0ALICE]\n  layers:\n    - {name: primary, members: [U0BOB]}\n",
            "oncall: give either layers or the flat members, not both",
        ),
        (
            "oncall:\n  layers:\n    - {name: primary}\n    - {name: primary}\n",
            "layer names must be unique; repeated: primary",
        ),
        (
            "teams:\n  - name: search\n    escalation:\n      - {after_minutes: 5, layer: secondary}\n",
            "teams.search.escalation step 1 pages layer 'secondary', but team search's rotation has the "
            "layers primary",
        ),
        (
            "alerts:\n  escalation:\n    - {after_minutes: 5, target: users, ids: [U0BOB], layer: primary}\n",
            "layer goes with target oncall or next_oncall, not users",
        ),
    ],
)
def test_a_bad_rotation_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, text)
    assert message in str(caught.value), caught.value


def test_a_step_may_page_a_layer_its_team_has(tmp_path: Path) -> None:
    text = (
        "teams:\n  - name: payments\n"
        + LAYERS
        + "    escalation:\n      - {after_minutes: 5, layer: secondary}\n"
    )
    assert settings_of(tmp_path, text).team("payments") is not None

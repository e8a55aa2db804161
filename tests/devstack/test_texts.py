"""Texts say what the profile and the facts say: ports, URLs and namespace from the profile's plan,
tool versions in the README as the doctor checks them."""

from __future__ import annotations

import re

from helpers import REPO

from devstack.core import events as ev
from devstack.core.pipeline import DEPLOY, FORWARDS, UP_STEPS, PlannedForward, RunPlan, step_names, why
from devstack.core.reducer import reduce
from devstack.core.state import State
from devstack.core.versions import HELM_MINIMUM
from devstack.sources.doctor import TOOLS
from devstack.validation.problems import HELM_FIX

PLAN = RunPlan(
    "shop",
    "skaffold dev (profile shop-dev)",
    (PlannedForward("web", 4173, "shop-web", 80), PlannedForward("api", 5055, "shop-api", 8080)),
    "http://localhost:4173",
)


def test_the_steps_name_the_profiles_deploy_namespace_and_ports() -> None:
    assert why(FORWARDS, PLAN) == "localhost:4173 reaches shop-web and localhost:5055 reaches shop-api."
    assert why(DEPLOY, PLAN) == (
        "skaffold dev (profile shop-dev) builds the images and installs the chart into namespace shop."
    )
    assert "3000" not in why(FORWARDS, None) and "8000" not in why(FORWARDS, None)


def test_the_walkthrough_and_the_o_key_use_the_profiles_ports() -> None:
    from devstack.tui.keys import help_rows
    from devstack.tui.screens.walkthrough import plain, walkthrough

    state = reduce(State(), ev.SessionStarted("tui", "shop-dev", "kind-shop", step_names(UP_STEPS), PLAN))
    text = plain(walkthrough(state, PLAN.frontend_url))
    assert "localhost:4173 reaches shop-web and localhost:5055 reaches shop-api" in text
    assert "namespace shop" in text
    assert "3000" not in text and "8000" not in text
    rows = dict(help_rows(PLAN.frontend_url))
    assert rows["o"] == "Open the frontend (http://localhost:4173) in the browser"
    assert "3000" not in " ".join(dict(help_rows("")).values())


def _readme_minimum(tool: str, readme: str) -> str:
    match = re.search(rf"{tool}(?:\]\([^)]*\))? ≥ (\d+\.\d+)", readme)
    assert match is not None, f"the README's prerequisites name no minimum for {tool}"
    return match[1]


def test_the_readme_names_the_versions_the_doctor_checks() -> None:
    readme = (REPO / "README.md").read_text()
    for name, spec in TOOLS.items():
        assert _readme_minimum(name, readme) == f"{spec.minimum[0]}.{spec.minimum[1]}", name
    assert TOOLS["helm"].minimum == HELM_MINIMUM
    assert f"Helm {HELM_MINIMUM[0]}.{HELM_MINIMUM[1]}+" in HELM_FIX

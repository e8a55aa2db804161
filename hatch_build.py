"""Build hook: the demo stack goes into the wheel as package data of `devstack_sim`.

The repository's top-level `charts/`, `profiles/`, `demo/`, `skaffold.yaml` and `Tiltfile` are the
one source; a standard wheel carries them as `devstack_sim/demo_stack/` (`devstack_sim.demo_stack()`
reads them through importlib.resources). An editable install gets no copy: the clone is read in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DEMO_STACK_PARTS = ("charts", "profiles", "demo", "skaffold.yaml", "Tiltfile")
PACKAGED_AT = "devstack_sim/demo_stack"


class DemoStackHook(BuildHookInterface):
    """Adds the demo stack to standard wheels."""

    PLUGIN_NAME = "demo-stack"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Force-include each part of the stack (a missing one stops the build, naming it)."""
        if self.target_name != "wheel" or version != "standard":
            return
        root = Path(self.root)
        for part in DEMO_STACK_PARTS:
            source = root / part
            if not source.exists():
                raise FileNotFoundError(
                    f"the demo stack's {part} is missing from {root}: cannot build the wheel"
                )
            build_data["force_include"][str(source)] = f"{PACKAGED_AT}/{part}"

"""devstack's simulator: a Kubernetes API server, cluster controllers, and stand-ins for kind,
skaffold and tilt, so devstack can be built and demonstrated where no kind cluster can run.

It is a separate package from the product: `devstack` imports it only in `devstack demo`
(`devstack.cli.demo`), and it imports nothing of `devstack` (import-linter contracts in
pyproject.toml). Its own dependencies (e.g. `cryptography`) come with the `sim` extra.

Public API for the product and the tests:
    standin_bin()  the folder holding the `kind`, `skaffold` and `tilt` stand-in programs
    demo_stack()   the folder holding the demo stack (chart, profiles, demo apps, skaffold.yaml, Tiltfile)
    node_labels()  the Docker labels of the node containers the stand-ins make for a sim home
    MARKER         the text every stand-in program carries (the product refuses marked programs
                   unless told to allow the simulator)
"""

from __future__ import annotations

from pathlib import Path

MARKER = "devstack simulator stand-in"
"""Every program in `standin_bin()` carries this text in its first lines."""
DEMO_STACK_PARTS = ("charts", "profiles", "demo", "skaffold.yaml", "Tiltfile")
"""What makes up the demo stack (the repository's top-level files of those names)."""


def demo_stack() -> Path:
    """The demo stack the simulator plays: package data `demo_stack/` in an installed wheel (built
    from the repository's top-level files, pyproject.toml `force-include`), else the clone itself.

    Raises:
        FileNotFoundError: neither holds every part of the stack (the message names both places).
    """
    from importlib import resources as package_files  # lazy: the stand-ins start faster without it

    packaged = Path(str(package_files.files(__name__) / "demo_stack"))
    clone = Path(__file__).resolve().parents[1]
    for folder in (packaged, clone):
        if all((folder / part).exists() for part in DEMO_STACK_PARTS):
            return folder
    raise FileNotFoundError(
        f"the demo stack is missing: neither {packaged} (an installed devstack) nor {clone} (a clone) "
        f"holds {', '.join(DEMO_STACK_PARTS)}; reinstall devstack"
    )


def standin_bin() -> Path:
    """The folder with the stand-in programs (put it first on PATH to use them)."""
    from importlib import resources as package_files

    folder = Path(str(package_files.files(__name__) / "bin"))
    if not folder.is_dir():
        raise FileNotFoundError(f"the simulator's stand-ins are missing: {folder}")
    return folder


def node_labels(sim_home: Path) -> list[str]:
    """Docker label filters matching every node container the kind stand-in makes for `sim_home`
    (the `DEVSTACK_SIM_HOME` it ran with), and no other container."""
    from devstack_sim.standins.nodes import HOME_LABEL

    return [f"{HOME_LABEL}={sim_home.expanduser().resolve()}"]

"""`devstack demo`: devstack against a throwaway simulated cluster (no Docker or kind needed).

The one product command that uses the simulator (`devstack_sim`, from the `sim` extra): its
stand-ins for kind and skaffold run the normal devstack flow against a simulated cluster.
"""

from __future__ import annotations

import gc
import importlib.util
from typing import TYPE_CHECKING

from devstack.cli.guard import say
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE, OK

if TYPE_CHECKING:
    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext
    from devstack.engine.session import Session

SIM_MODULES = ("devstack_sim", "cryptography")
SCENARIOS = ("healthy", "crashloop", "imagepull", "bad-api-url")
"""`--scenario`: seed a healthy stack (the default) or a broken one."""
DEPLOY_TOOLS = ("skaffold", "tilt")
"""`--tool`: the deploy tool the demo drives (the default first)."""
DEMO_TOUR = "demo"
"""The demo's walkthrough is remembered apart from plain `devstack`'s (`tui/tour.py`)."""


def require_simulator() -> None:
    """The simulator and its extra's dependencies are installed (exit 3 naming the extra if not)."""
    missing = [name for name in SIM_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise DevstackError(
            f"devstack demo needs the simulator, which is not installed (missing: {', '.join(missing)})",
            fix="pip install 'devstack[sim]' (or `make setup` in a clone)",
            exit_code=MISSING_PREREQUISITE,
        )


def run(options: Options, headless: bool, scenario: str, as_json: bool, tool: str) -> int:
    """In a terminal: the terminal app on a simulated cluster (set up after its first frame).

    Headless (or --json, or without a terminal): set up the environment, run `up` against it,
    hold until Ctrl-C.
    """
    from devstack.tui.launch import interactive_terminal

    require_simulator()
    folders = provide_missing_tools(options)
    if not (headless or as_json) and interactive_terminal():
        return _run_tui(options, scenario, folders, tool)
    gc.enable()  # off since a quick start (`entry.QUICK`) until the app's first frame: no app here
    return _run_headless(options, headless, scenario, as_json, folders, tool)


def provide_missing_tools(options: Options) -> tuple[str, ...]:
    """helm and kubectl for the demo when the machine has none (before any screen opens): pinned,
    checksum-verified, from devstack's cache or fetched once into it, one line each on stderr.

    Returns:
        The folder of the provided programs ((), when the machine has them all).

    Raises:
        DevstackError: a missing one cannot be provided (exit 3, naming why).
    """
    from devstack.sources.provision import TOOLS, provide
    from devstack.sources.tools import ToolEnv

    tools = ToolEnv.from_settings(options.settings)
    missing = [name for name in TOOLS if tools.which(name) is None]
    if not missing:
        return ()
    provided = provide(missing, options.settings.cache_dir, options.settings.environ)
    for item in provided:
        say(f"devstack demo: {item.tool.name} is not on PATH; using {item.notice()}")
    return tuple(dict.fromkeys(str(item.path.parent) for item in provided))


def demo_session(
    options: Options, scenario: str, tool_folders: tuple[str, ...] = (), tool: str = DEPLOY_TOOLS[0]
) -> Session:
    """A session whose engine runs on a throwaway simulated environment, removed by `close`.

    Every profile the session switches to is one of the demo's stack copy, sealed to the demo's
    cluster, ports and files (`DemoEnvironment`), with the demo's tools and state dir.
    """
    from devstack.engine.session import Session

    # Nothing heavy before the app's first frame: the environment is made in `build` (a worker).
    environments: list[DemoEnvironment] = []

    def build(store: Store, profile: str | None = None) -> EngineContext:
        from devstack.cli.demo_stack import DemoEnvironment
        from devstack.engine.context import EngineContext

        if not environments:
            environment = DemoEnvironment(options.settings, scenario, tool_folders, tool)
            environments.append(environment)
            environment.__enter__()
        environment = environments[0]
        loaded = environment.loaded if profile is None else environment.load(profile)
        return EngineContext(
            loaded, store, environment.tools, interactive=True, state_dir=environment.state_dir
        )

    def remove() -> None:
        for environment in environments:
            environment.close()

    session = Session(check_cluster=False, build=build, build_profile=build)
    session.add_cleanup(remove)
    return session


def _run_tui(
    options: Options, scenario: str, tool_folders: tuple[str, ...] = (), tool: str = DEPLOY_TOOLS[0]
) -> int:
    """`devstack demo` in the terminal app; the demo environment is removed when it exits.

    The walkthrough opens on the first launch of the demo (remembered apart from plain
    `devstack`'s), or with `--tour`.
    """
    from devstack.tui.launch import run_tui

    closing = "devstack demo: removing the simulated cluster and its files…"
    session = demo_session(options, scenario, tool_folders, tool)
    tour = True if options.tour else None
    return run_tui(
        session, autostart=True, tour=tour, settings=options.settings, closing=closing, tour_name=DEMO_TOUR
    )


def look_around(demo: DemoEnvironment) -> str:
    """A command that shows the demo's stack from any folder or terminal while the demo runs."""
    import shlex

    return f"devstack status -p {shlex.quote(str(demo.loaded.path))}"


def _run_headless(
    options: Options,
    headless: bool,
    scenario: str,
    as_json: bool,
    tool_folders: tuple[str, ...],
    tool: str = DEPLOY_TOOLS[0],
) -> int:
    """Set up the simulated environment, run `up` against it, hold until Ctrl-C."""
    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.cli.lifecycle import run_up_headless
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext

    settings = options.settings
    with DemoEnvironment(settings, scenario, tool_folders, tool) as demo:
        ctx = EngineContext(demo.loaded, Store(), demo.tools, state_dir=demo.state_dir)
        if not as_json:
            cluster = demo.loaded.profile.cluster.name
            say(f"devstack demo: scenario {scenario} with {tool}, simulated cluster {cluster} in {demo.home}")

        def hint(code: int) -> str:
            look = f"`{look_around(demo)}` in another terminal"
            if code == OK:
                url = f"http://localhost:{settings.demo_frontend_port}"
                return f"open {url} ({look}) — the demo holds until Ctrl-C"
            return f"the demo holds so you can look around ({look}); Ctrl-C ends it"

        return run_up_headless(
            ctx, options, as_json, hold_when=lambda _code: headless or not as_json, hint=hint
        )

"""`devstack demo` (no options) started without click, so its first frame comes sooner.

`import click` and the click group cost about as much as the rest of the start before the terminal
app's first frame; `devstack demo` with no option is the command a new user types first. It runs
here the way the click CLI runs it: the shared start (`start.begin`), the demo command with its
defaults (`demo.run`), every failure turned into its message and exit code (`guard.run_guarded`).
Any other command line goes to the click CLI (`entry.main` routes).
"""

from __future__ import annotations

from typing import NoReturn


def run_quick(argv: list[str]) -> NoReturn:
    """Run one of `entry.QUICK`'s command lines and exit with its code."""
    from devstack.cli.guard import run_guarded

    def body() -> int:
        from devstack.cli.demo import DEPLOY_TOOLS, SCENARIOS, run
        from devstack.cli.start import begin

        options = begin(profile=None, verbose=0, tour=False, command=argv[0])
        return run(options, headless=False, scenario=SCENARIOS[0], as_json=False, tool=DEPLOY_TOOLS[0])

    run_guarded(body, argv)

"""What every devstack command does first, before its own work (click-free).

Exit handlers installed, the environment read once into `Settings`, the state dir chosen, and the
janitor's start-up sweep (what a devstack that died left behind, removed and said). The click
group's callback and the click-free start of `devstack demo` (`cli/quick.py`) both begin here.
"""

from __future__ import annotations

from devstack.cli.guard import say
from devstack.cli.options import Options


def begin(profile: str | None, verbose: int, tour: bool, command: str | None) -> Options:
    """The run's `Options`, after the start-up every command shares (`command`: the subcommand).

    `down` sweeps itself (its `--stale` reports what it removed), so it is not swept here.
    """
    from devstack.settings import Settings
    from devstack.sources.credential_files import use_state_dir
    from devstack.sources.processes import install_exit_handlers

    install_exit_handlers()
    options = Options(profile, verbose, tour, Settings.from_environ())
    use_state_dir(options.settings.state_dir)
    if command != "down":
        remove_stale(options)
    return options


def remove_stale(options: Options) -> None:
    """The janitor's start-up sweep: remove what a devstack that died left behind, and say so."""
    from devstack.sources.janitor import sweep_on_start

    for line in sweep_on_start(options.settings.state_dir):
        say(line)

"""The `devstack` program: answers `--help`, `--version` and `version` without importing click.

`import click` alone costs several times Python's own start-up, so the few invocations that only
print text are answered from `devstack/helptext.py`, which is click's own output for them,
rendered by `python -m devstack.cli.helpgen` (the one source of the text stays the click group in
`cli/group.py`; `tests/devstack/test_cli_startup.py` fails when the two differ). `devstack demo`
without options starts without click too (`cli/quick.py`). Everything else, and the help on a
terminal narrower than click's 80 columns, goes to the click CLI (`cli.main`).
"""

from __future__ import annotations

import sys

FAST = {("--help",), ("-h",), ("--version",), ("-V",), ("version",), ("version", "--json")}
"""The command lines answered here (exactly these arguments)."""
QUICK = {("demo",)}
"""The command lines started without click (`cli/quick.py`; exactly these arguments)."""


def fast_answer(argv: list[str]) -> str | None:
    """What devstack prints for `argv` when it only prints text (None: run the click CLI).

    Args:
        argv: The arguments after the program name.
    """
    if tuple(argv) not in FAST:
        return None
    from devstack import __version__

    if argv[0] == "version":
        if len(argv) == 1:
            return f"devstack {__version__}\n"
        import json

        return json.dumps({"version": __version__, "python": sys.version.split()[0]}) + "\n"
    if argv[0] in ("--version", "-V"):
        return f"devstack {__version__}\n"
    import shutil

    if shutil.get_terminal_size().columns < 80:  # click wraps to the terminal below 80 columns
        return None
    from devstack.helptext import GROUP_HELP

    return GROUP_HELP


def main() -> None:
    """Entry point of the `devstack` program (and of `python -m devstack`)."""
    argv = sys.argv[1:]
    text = fast_answer(argv)
    if tuple(argv) in QUICK:
        import gc

        # Start-up only builds what lives on (modules, classes, the first screen): no cyclic
        # collection until the app's first frame is out (`DevstackApp._begin` turns it back on).
        gc.disable()
        from devstack.cli.quick import run_quick

        run_quick(argv)
    if text is None:
        from devstack.cli import main as cli_main

        cli_main()
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `devstack --help | head -1`
        sys.stdout = None
    sys.exit(0)

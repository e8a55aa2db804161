"""Every devstack run ends here: one clear message and an exit code, whatever happened.

`run_guarded` runs a command's body and turns every way it can end (a `DevstackError`, Ctrl-C,
SIGTERM/SIGHUP, a crash) into the documented exit code and one line on stderr, the traceback only
in the crash log (or with -vv). A command given `--json` that fails before printing its own
document prints the error document (`json_errors`). It does not import click: the click CLI
(`cli.main`) and the click-free start of `devstack demo` (`cli/quick.py`) share it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from devstack import __version__
from devstack.cli.json_errors import JsonErrorPath, wants_json
from devstack.errors import DevstackError
from devstack.exitcodes import INTERRUPTED


class Failure(Exception):
    """A failure already shown to the user (a click usage error): only its code and message remain."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def say(line: str) -> None:
    """One line on stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _report_crash(err: Exception, args: Sequence[str]) -> int:
    """An unexpected failure: one line for the user, the traceback in the crash log (or with -vv)."""
    import traceback

    from devstack.settings import Settings

    trace = traceback.format_exc()
    where = "run with -vv for the traceback"
    log = None
    try:
        log = Settings.from_environ().state_dir / "crash.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- devstack {__version__} {list(args)}\n{trace}\n")
        where = f"traceback in {log}"
    except (OSError, DevstackError):
        where = f"could not write {log}; run with -vv for the traceback"
    if "-vv" in args:
        say(trace)
    say(f"devstack: internal error: {type(err).__name__}: {err} ({where})")
    return 1


def run_guarded(body: Callable[[], int | None], args: Sequence[str]) -> NoReturn:
    """Run `body` (a command given `args`), then exit with its code or the code of its failure."""
    json_path = JsonErrorPath(wants_json(args))
    message, fix, problems = "", "", ()
    with json_path.watching():
        try:
            code = body()
        except Failure as shown:
            code, message = shown.code, shown.message
        except KeyboardInterrupt:
            say("devstack: interrupted")
            code, message = INTERRUPTED, "interrupted"
        except SystemExit as stopped:  # SIGTERM/SIGHUP (`install_exit_handlers`): 128 + the signal
            code = stopped.code if isinstance(stopped.code, int) else 1
            message = f"stopped by signal {code - 128}" if code > 128 else ""
        except DevstackError as err:
            for line in err.lines():
                say(line)
            code, message, fix = err.exit_code, err.message, err.fix
            problems = tuple(getattr(err, "problems", None) or ())
        except Exception as err:  # noqa: BLE001 - the one place crashes become a message + crash log
            code = _report_crash(err, args)
            message = f"internal error: {type(err).__name__}: {err}"
    code = code if isinstance(code, int) else 0
    if message:
        json_path.failed(message, fix, code, problems)
    sys.exit(code)

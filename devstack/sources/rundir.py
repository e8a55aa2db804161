"""A private folder for one devstack process: removed at exit, and by the next start after a crash.

`private_run_dir(state_dir)` is `STATE_DIR/run/<pid>-<start time>/`, mode 0700 (the `run` folder
too), created on first use and removed at interpreter exit (`atexit`: also after Ctrl-C, SIGTERM and
SIGHUP, which `processes.install_exit_handlers` turns into a clean exit). A process killed with
SIGKILL cannot clean up, so creating a run dir first removes every sibling whose owner is gone (no
process with that pid, or one started at another time: the pid was reused). It holds what must not
outlive the run or be readable by others, e.g. the confined kubeconfig (`sources/confine.py`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import threading
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE

RUN = "run"
_dirs: dict[Path, Path] = {}
_lock = threading.Lock()


def _start_time(pid: int) -> int | None:
    """Whole seconds since the epoch at which process `pid` started (None: no such process)."""
    import psutil

    try:
        return int(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def _owner_alive(name: str) -> bool:
    """Whether the run dir named `<pid>-<start>` belongs to a live process (unknown names: yes)."""
    pid_text, _, start_text = name.partition("-")
    if not (pid_text.isdigit() and start_text.isdigit()):
        return True
    return _start_time(int(pid_text)) == int(start_text)


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700, owned by us; returns it.

    Raises:
        PermissionError: the folder belongs to another user.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{path} is not a folder of this user")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    return path


def remove_stale(run_root: Path) -> list[Path]:
    """Remove the run dirs under `run_root` whose owner process is gone; returns what was removed."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in run_root.iterdir():
            if entry.is_dir() and not entry.is_symlink() and not _owner_alive(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def private_run_dir(state_dir: Path) -> Path:
    """This process's private folder under `state_dir` (created once, removed at exit).

    Raises:
        DevstackError: the folder cannot be created (e.g. a read-only state dir; exit 2).
    """
    with _lock:
        found = _dirs.get(state_dir)
        if found is not None and found.is_dir():
            return found
        root = state_dir / RUN
        try:
            private_folder(root)
            remove_stale(root)
            pid = os.getpid()
            folder = root / f"{pid}-{_start_time(pid) or 0}"
            shutil.rmtree(folder, ignore_errors=True)  # a leftover of an earlier life of this pid
            folder.mkdir(mode=0o700)
        except OSError as err:
            raise DevstackError(
                f"cannot create devstack's private folder in {root}: {err.strerror or err}",
                fix="make it writable, or set XDG_STATE_HOME to a folder of yours",
                exit_code=USAGE,
            ) from None
        _dirs[state_dir] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return folder


def is_inside_run_dirs(path: str | Path) -> bool:
    """Whether `path` lies in a run dir this process created (a private file, not the user's)."""
    resolved = Path(path).resolve()
    with _lock:
        folders = list(_dirs.values())
    return any(resolved.is_relative_to(folder.resolve()) for folder in folders)

"""Owner leases: a folder that belongs to one running devstack process, stale once that process is gone.

The owner writes `owner.json` into the folder (its pid, what the folder is, and whatever a janitor
needs to remove it) and holds an exclusive `flock` on that file for as long as it runs. The kernel
drops the lock when the process ends, however it ends (SIGKILL, a crash, `os._exit`), so:

- whoever can take the lock without waiting knows the owner is gone: no pid is compared, so a
  reused pid never makes a dead owner look alive;
- a watcher blocked on the lock wakes the moment the owner dies (nothing polls).

The lock belongs to the open file, not to the name: `owner.json` is written under a temporary name,
locked, then renamed into place (the same file), so any `owner.json` a janitor can open is already
locked. A folder without `owner.json` is either in the instant between its creation and its lease
or was left by a crash in that instant: it counts as stale once it is `UNLEASED_GRACE` seconds old.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

LEASE_FILE = "owner.json"
UNLEASED_GRACE = 60.0


class Lease:
    """The lease its owner holds on `folder` until `release()` or the end of the process."""

    def __init__(self, folder: Path, handle: IO[str]):
        self.folder = folder
        self._handle: IO[str] | None = handle

    @classmethod
    def hold(cls, folder: Path, **record: Any) -> Lease:
        """Record this process as the owner of `folder` (an existing folder) and lock the record.

        Args:
            folder: The folder to lease.
            **record: JSON-serialisable facts a janitor needs (what it is, what to remove).
        """
        import json

        pending = folder / f".{LEASE_FILE}.{os.getpid()}"
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        handle = os.fdopen(fd, "w", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
            json.dump({"pid": os.getpid(), "started": time.time(), **record}, handle)
            handle.flush()
            os.replace(pending, folder / LEASE_FILE)
        except BaseException:
            handle.close()
            pending.unlink(missing_ok=True)
            raise
        return cls(folder, handle)

    @property
    def held(self) -> bool:
        """The lease has not been released."""
        return self._handle is not None

    def release(self) -> None:
        """Let go of the folder (call after removing what it holds). Safe to call twice."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


def new_folder(root: Path, prefix: str = "") -> Path:
    """A new 0700 folder under `root` (made 0700 too when missing), to lease next."""
    import tempfile

    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root)).resolve()


def _age(folder: Path) -> float:
    try:
        return time.time() - folder.stat().st_mtime
    except OSError:
        return 0.0


@contextlib.contextmanager
def taken(folder: Path, *, wait: bool = False) -> Iterator[dict[str, Any] | None]:
    """The folder's record while holding its lease, or None while its owner still runs.

    A folder whose record is missing yields `{}` once it is `UNLEASED_GRACE` seconds old (else None).
    With `wait`, block until the owner ends or releases the lease; the record is read from the
    locked file, so it is there even when the owner removed the folder before letting go.
    """
    try:
        handle = open(folder / LEASE_FILE, encoding="utf-8")  # noqa: SIM115 - held across the yield
    except FileNotFoundError:
        yield {} if folder.is_dir() and _age(folder) > UNLEASED_GRACE else None
        return
    except OSError:
        yield None
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        import json

        try:
            record = json.loads(handle.read() or "{}")
        except ValueError:
            record = {}
        yield record if isinstance(record, dict) else {}


def subfolders(root: Path) -> list[Path]:
    """The leased folders under `root` (none when it does not exist); temporary names skipped."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    return sorted(
        Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
    )

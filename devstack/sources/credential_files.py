"""Where the kubernetes client writes credential files: a private folder of this process, never `$TMPDIR`.

The client turns a kubeconfig's `*-data` entries (CA, client certificate, client key) into files
(`kubernetes.config.kube_config` writes them with `tempfile.mkstemp`, in `$TMPDIR` unless told
otherwise) and removes them only at a clean interpreter exit. devstack tells it otherwise: every
client is loaded with `temp_file_path=credentials_dir()`, a 0700 folder
`<state dir>/private/<random>/` made on first use, leased to this process (`leases.py`) and
removed at exit. The folder of a process that could not clean up (SIGKILL, `os._exit`) is removed by
the next devstack start (`janitor.sweep`), as its lease is free. The same folder holds the
process's other private files: the single-context kubeconfig its children and clients get
(`confine.py`).
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from devstack.settings import Settings
from devstack.sources.leases import Lease, new_folder

PRIVATE_DIR = "private"
PURPOSE = "kubernetes client credential files"


class _Folder:
    """This process's folder: where it goes, and its lease once made."""

    def __init__(self) -> None:
        self.state_dir: Path | None = None
        self.lease: Lease | None = None
        self.lock = threading.Lock()


_this_process = _Folder()


def private_root(state_dir: Path) -> Path:
    """The folder holding one private folder per running devstack process."""
    return state_dir / PRIVATE_DIR


def use_state_dir(state_dir: Path) -> None:
    """Put this process's credential folder under `state_dir` (the CLI calls this at start)."""
    _this_process.state_dir = state_dir


def credentials_dir() -> str:
    """This process's private folder for the client's credential files (made on first call)."""
    with _this_process.lock:
        lease = _this_process.lease
        if lease is None or not lease.held:
            state_dir = _this_process.state_dir or Settings().state_dir
            lease = Lease.hold(new_folder(private_root(state_dir)), purpose=PURPOSE)
            _this_process.lease = lease
            atexit.register(remove)
        return str(lease.folder)


def remove() -> None:
    """Remove this process's credential folder and let go of it (at exit; safe to call twice)."""
    with _this_process.lock:
        lease, _this_process.lease = _this_process.lease, None
    if lease is not None:
        import shutil

        shutil.rmtree(lease.folder, ignore_errors=True)
        lease.release()

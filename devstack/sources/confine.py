"""The one allowed kube context, and nothing else, for every child process and API client.

A `Confinement` writes the allowed context (its cluster and user entries, `current-context` set to
it) from the user's kubeconfig files into a private file: mode 0600 in this process's private 0700
folder (`credential_files.credentials_dir()`: leased, removed at exit and by the next start after a
crash, beside the client's certificate files). kubectl, skaffold,
helm, tilt and the in-process `kubernetes` client get that file, so neither the user's current
context nor another context's exec credential plugin can be reached, whatever a tool does with
`current-context` (a version-dispatching kubectl contacts the current context's server even for
`kubectl version --client`). The file is rewritten when a source kubeconfig changes (kind create
and export write the context into the user's file) and is checked before it is handed out (for a
kind cluster: `sources/kindcontext.py`).

Children that need no cluster at all (version probes, `kind get clusters`) get `no_cluster_file`: a
kubeconfig whose current-context names no context, so even the dispatching kubectl dials nothing
(an empty kubeconfig is not enough: kubectl then falls back to http://localhost:8080).
"""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources.credential_files import credentials_dir
from devstack.sources.kubeconfig import (
    ContextEntries,
    ContextNotFound,
    find_context,
    shown,
    single_context_document,
)

NO_CLUSTER_CONTEXT = "devstack-no-cluster"
NO_CLUSTER = (
    "# devstack: no cluster for this process (version probes, kind get clusters)\n"
    "apiVersion: v1\nkind: Config\npreferences: {}\nclusters: []\nusers: []\ncontexts: []\n"
    f"current-context: {NO_CLUSTER_CONTEXT}\n"
)
# Environment variables that would point a child at another server or context than its kubeconfig:
# helm's HELM_KUBE* (e.g. HELM_KUBEAPISERVER), skaffold's flag variables, in-cluster config.
SCRUBBED_PREFIXES = ("HELM_KUBE",)
SCRUBBED = (
    "SKAFFOLD_KUBE_CONTEXT",
    "SKAFFOLD_KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
)

Verify = Callable[[ContextEntries], None]
Fingerprint = tuple[tuple[str, int, int, int], ...]


def scrub(env: dict[str, str]) -> dict[str, str]:
    """`env` without the variables that would redirect a kube client (see SCRUBBED)."""
    return {k: v for k, v in env.items() if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)}


def write_private(folder: Path, name: str, text: str) -> Path:
    """Write `folder/name` atomically, mode 0600 (readers see the old or the new content)."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return folder / name


def private_folder() -> Path:
    """This process's private folder (0700, removed at exit).

    Raises:
        DevstackError: it cannot be made (e.g. a read-only state dir; exit 2).
    """
    try:
        return Path(credentials_dir())
    except OSError as err:
        raise DevstackError(
            f"cannot make devstack's private folder: {err.strerror or err} ({getattr(err, 'filename', '')})",
            fix="make the state dir writable, or set XDG_STATE_HOME to a folder of yours",
            exit_code=USAGE,
        ) from None


def is_private(path: str | Path) -> bool:
    """`path` is one of this process's private files (never the user's kubeconfig)."""
    return Path(path).resolve().is_relative_to(private_folder())


def no_cluster_file() -> Path:
    """The kubeconfig for children that need no cluster (written once per process)."""
    folder = private_folder()
    path = folder / "no-cluster.kubeconfig"
    if not path.is_file():
        write_private(folder, path.name, NO_CLUSTER)
    return path


def _fingerprint(paths: tuple[Path, ...]) -> Fingerprint:
    found = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            found.append((str(path), -1, -1, -1))
            continue
        found.append((str(path), info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(found)


class Confinement:
    """The private kubeconfig of one allowed context, kept in step with the user's files."""

    _numbers = itertools.count(1)

    def __init__(
        self,
        sources: tuple[Path, ...],
        context: str,
        verify: Verify | None = None,
        missing_fix: str = "",
    ):
        self.sources = sources
        self.context = context
        self.verify = verify
        self.missing_fix = missing_fix
        self._lock = threading.Lock()
        self._fingerprint: Fingerprint | None = None
        self._path: Path | None = None
        self._name = f"context-{next(Confinement._numbers)}.kubeconfig"

    @property
    def file(self) -> str:
        """Where the private kubeconfig is (written by `path()`, which clients call first)."""
        return str(private_folder() / self._name)

    @property
    def shown_sources(self) -> str:
        """The user's kubeconfig files the context comes from (for messages)."""
        return shown(self.sources)

    def path(self) -> str:
        """The private kubeconfig, (re)written when a source changed.

        Raises:
            KubeconfigError: the context is missing or malformed (exit 2).
            DevstackError: `verify` refused the context.
        """
        with self._lock:
            fingerprint = _fingerprint(self.sources)
            if self._path is not None and fingerprint == self._fingerprint and self._path.is_file():
                return str(self._path)
            try:
                entries = find_context(self.sources, self.context)
            except ContextNotFound as err:
                err.fix = self.missing_fix or err.fix
                raise
            if self.verify is not None:
                self.verify(entries)
            import yaml

            document = yaml.safe_dump(single_context_document(entries), sort_keys=False)
            self._path = write_private(private_folder(), self._name, document)
            self._fingerprint = fingerprint
            return str(self._path)

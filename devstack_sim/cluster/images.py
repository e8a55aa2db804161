"""The image table: which local program plays which container image.

A real node pulls an image and runs its entrypoint; the simulated node looks the image reference up
in this table and runs a local command instead. The table is YAML::

    images:
      jetscale-backend:            # matched against the ref without registry host, tag and digest
        command: ["{python}", "demo/backend/app.py"]   # {python} = sys.executable
        args: []                   # default arguments; a container's `args` replace them
        cwd: "."                   # relative to the table file's folder (or absolute);
                                   # "{demo_stack}" is the demo stack (devstack_sim.demo_stack())
        env: {PYTHONUNBUFFERED: "1"}
      sim/noop: {}                 # no command: "running" without a process
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TABLE = Path(__file__).with_name("default_images.yaml")
DEMO_STACK = "{demo_stack}"
"""In a `cwd`: the demo stack's folder (`devstack_sim.demo_stack()`), wherever devstack is installed."""

# The grammar of distribution/reference, reduced to what decides "invalid reference format".
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?$")


class ImageTableError(ValueError):
    """The image table file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class ImageSpec:
    """What runs for one image: a command (empty for a processless container), its folder and env."""

    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    cwd: Path = field(default_factory=Path.cwd)
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def noop(self) -> bool:
        """True when the container runs without any process (scale tests, pause images)."""
        return not self.command


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way the container runtime reads it."""

    domain: str  # "" when the ref names none (docker.io is implied)
    path: str
    tag: str
    digest: str

    @property
    def repository(self) -> str:
        """The repository without tag and digest, as written (registry host kept)."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def canonical(self) -> str:
        """The fully qualified ref the runtime reports, e.g. `docker.io/library/nginx:latest`."""
        domain = self.domain or "docker.io"
        path = self.path
        if domain == "docker.io" and "/" not in path:
            path = f"library/{path}"
        ref = f"{domain}/{path}"
        if self.tag or not self.digest:
            ref += f":{self.tag or 'latest'}"
        if self.digest:
            ref += f"@{self.digest}"
        return ref

    def image_id(self) -> str:
        """A stable `repo@sha256:…` id, standing in for the digest of the pulled image."""
        digest = self.digest or "sha256:" + hashlib.sha256(self.canonical.encode()).hexdigest()
        return f"{_strip_tag(self.canonical)}@{digest}"


def _strip_tag(ref: str) -> str:
    ref = ref.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    return ref[:colon] if colon > slash else ref


def valid_reference(image: str) -> bool:
    """Tell whether `image` parses as a container image reference."""
    return bool(image) and _REFERENCE.match(image) is not None


def parse_reference(image: str) -> ImageRef:
    """Split an image reference into registry host, path, tag and digest."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = ""
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return ImageRef(first, remainder, tag, digest)
    return ImageRef("", rest, tag, digest)


def lookup_keys(image: str) -> list[str]:
    """Table keys to try for a ref, most specific first (full repo, without host, without library/)."""
    ref = parse_reference(image)
    keys = [ref.repository, ref.path]
    if ref.path.startswith("library/"):
        keys.append(ref.path.removeprefix("library/"))
    keys.append(ref.path.rsplit("/", 1)[-1])
    return list(dict.fromkeys(keys))


class ImageTable:
    """Image name → `ImageSpec`, built in code or loaded from YAML."""

    def __init__(self, images: Mapping[str, ImageSpec] | None = None):
        self._images: dict[str, ImageSpec] = dict(images or {})

    @classmethod
    def load(cls, path: str | Path) -> ImageTable:
        """Read a table file; relative `cwd`s are taken from the file's folder.

        Raises:
            ImageTableError: the file is unreadable or an entry is malformed.
        """
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ImageTableError(f"{path}: cannot read image table: {exc}") from exc
        return cls.from_mapping(data, path.resolve().parent, source=str(path))

    @classmethod
    def default(cls) -> ImageTable:
        """The table shipped with devstack (demo apps, noop, pause, crash)."""
        return cls.load(DEFAULT_TABLE)

    @classmethod
    def from_mapping(cls, data: Any, base_dir: Path, source: str = "<image table>") -> ImageTable:
        """Build a table from the parsed YAML document (`{"images": {...}}`).

        Raises:
            ImageTableError: an entry is malformed (the message names `source` and the entry).
        """
        if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
            raise ImageTableError(f"{source}: expected a mapping with an `images` mapping")
        table = cls()
        for name, entry in data["images"].items():
            table.add(str(name), _parse_entry(entry or {}, base_dir, f"{source}: images.{name}"))
        return table

    def add(self, name: str, spec: ImageSpec) -> None:
        """Register (or replace) the program for image `name`."""
        self._images[name] = spec

    def names(self) -> list[str]:
        """The registered image names."""
        return sorted(self._images)

    def resolve(self, image: str) -> ImageSpec | None:
        """The spec for an image reference, or None when the image "does not exist"."""
        for key in lookup_keys(image):
            spec = self._images.get(key)
            if spec is not None:
                return spec
        return None


def _parse_entry(entry: Any, base_dir: Path, where: str) -> ImageSpec:
    if not isinstance(entry, dict):
        raise ImageTableError(f"{where}: expected a mapping")
    unknown = set(entry) - {"command", "args", "cwd", "env"}
    if unknown:
        raise ImageTableError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    command = _strings(entry.get("command", []), f"{where}.command")
    args = _strings(entry.get("args", []), f"{where}.args")
    cwd = entry.get("cwd", ".")
    if not isinstance(cwd, str):
        raise ImageTableError(f"{where}.cwd: expected a string")
    env = entry.get("env") or {}
    if not isinstance(env, dict):
        raise ImageTableError(f"{where}.env: expected a mapping")
    if DEMO_STACK in cwd:
        from devstack_sim import demo_stack

        cwd = cwd.replace(DEMO_STACK, str(demo_stack()))
    return ImageSpec(
        command=tuple(part.replace("{python}", sys.executable) for part in command),
        args=args,
        cwd=(base_dir / cwd).resolve(),
        env={str(k): str(v) for k, v in env.items()},
    )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ImageTableError(f"{where}: expected a list of strings")
    return tuple(str(v) for v in value)

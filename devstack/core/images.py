"""Image names: was an image that cannot be pulled built but not loaded, or is its name a typo?

The deploy tool says which images it builds (skaffold's `Building [NAME]...` and cache lines, kept
as `DeployState.artifacts`), and the pods that run say which images the cluster has. An image that
cannot be pulled is compared with those names: the same repository means it was not loaded (or
its tag is missing); a name a letter or two away means a typo, and loading it would not help.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from devstack.core.state import State

CLOSE = 0.8
"""How alike two image names must be (difflib ratio) to call one a typo of the other."""


def repository(image: str) -> str:
    """The image without its digest or tag: `reg:5000/app:1.2@sha256:…` → `reg:5000/app`."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _short(repo: str) -> str:
    return repo.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ImageJudgement:
    """What is wrong with an image name.

    Attributes:
        kind: `not-loaded` (a known image: built or running, but not in the cluster under this
            tag), `misspelled` (close to a known name), `unknown` (nothing to compare with, or
            like no known image).
        known: The known name it matches or resembles ("" for unknown).
        source: Where the known name comes from (`built by skaffold`, `running in the namespace`).
    """

    kind: str
    known: str = ""
    source: str = ""


def judge_image(image: str, known: Iterable[tuple[str, str]]) -> ImageJudgement:
    """Compare `image` with known (repository, source) pairs: the same, close, or unlike any."""
    repo = repository(image)
    pairs = [(repository(name), source) for name, source in known]
    for name, source in pairs:
        if _short(name) == _short(repo):  # the same image (whatever registry prefix it is pushed to)
            return ImageJudgement("not-loaded", name, source)
    scored = [(SequenceMatcher(None, _short(repo), _short(n)).ratio(), n, source) for n, source in pairs]
    best = max(scored, default=None)
    if best is not None and best[0] >= CLOSE:
        return ImageJudgement("misspelled", best[1], best[2])
    return ImageJudgement("unknown")


def known_images(state: State, tool: str = "") -> list[tuple[str, str]]:
    """(image, where it is known from): the deploy tool's artifacts, then images pods run."""
    built_by = f"built by {state.deploy.tool or tool or 'the deploy tool'}"
    declared = "declared by docker_build in the Tiltfile"
    found = [
        (name, declared if status == "declared" else built_by)
        for name, status in state.deploy.artifacts
        if status != "failed"
    ]
    running = {
        c.image for pod in state.pods.values() for c in pod.containers if c.state == "running" and c.image
    }
    found += [(image, "running in the namespace") for image in sorted(running)]
    return found

"""Run helm: render the chart, list its dependencies, and check Chart.lock against Chart.yaml."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack.validation.problems import HelmMissing
from devstack.yamlfile import Problem, load_yaml

HELM_TIMEOUT_SECONDS = 120
GOOD_STATUSES = frozenset({"ok", "unpacked"})
# Every STATUS `helm dependency list` prints (pkg/action/dependency.go); several contain spaces.
STATUSES = (
    "ok",
    "unpacked",
    "missing",
    "wrong version",
    "invalid version",
    "misnamed",
    "corrupt",
    "too many matches",
    "bad pattern",
)


@dataclass(frozen=True)
class HelmResult:
    """The outcome of one helm command."""

    ok: bool
    stdout: str
    stderr: str


def find_helm() -> str:
    """Return the path of the ``helm`` binary.

    Raises:
        HelmMissing: helm is not on PATH.
    """
    helm = shutil.which("helm")
    if helm is None:
        raise HelmMissing()
    return helm


def run_helm(helm: str, args: list[str], cwd: Path) -> HelmResult:
    """Run ``helm ARGS`` in ``cwd`` in its own session; a timeout counts as a failure."""
    try:
        done = subprocess.run(
            [helm, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=HELM_TIMEOUT_SECONDS,
            start_new_session=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return HelmResult(False, "", f"helm {args[0]} timed out after {HELM_TIMEOUT_SECONDS}s")
    return HelmResult(done.returncode == 0, done.stdout, done.stderr)


def template(
    helm: str,
    chart: Path,
    values: list[Path],
    kube_version: str,
    release: str,
    namespace: str,
) -> HelmResult:
    """Render ``chart`` as ``release`` in ``namespace`` with the given values files."""
    args = ["template", release, str(chart), "--namespace", namespace, "--kube-version", kube_version]
    for path in values:
        args += ["--values", str(path)]
    return run_helm(helm, args, chart)


def dependency_problems(helm: str, chart: Path, shown_chart: str) -> list[Problem]:
    """Check that every dependency is present (``helm dependency list``) and Chart.lock is current."""
    if not _declares_dependencies(chart):  # helm's "no dependencies at charts/" says nothing wrong then
        return _lock_problems(helm, chart, shown_chart) if (chart / "Chart.lock").is_file() else []
    listed = run_helm(helm, ["dependency", "list", str(chart)], chart)
    problems = [Problem(f"{shown_chart}/Chart.yaml", None, message) for message in _list_problems(listed)]
    if (chart / "Chart.lock").is_file():
        problems += _lock_problems(helm, chart, shown_chart)
    return problems


def _declares_dependencies(chart: Path) -> bool:
    """Chart.yaml lists `dependencies` (True when it cannot be read: helm then says why)."""
    loaded = load_yaml(chart / "Chart.yaml", "Chart.yaml")
    if isinstance(loaded, Problem) or not isinstance(loaded.data, dict):
        return True
    return bool(loaded.data.get("dependencies"))


def _list_problems(listed: HelmResult) -> list[str]:
    """Read ``helm dependency list`` output; it always exits 0, so its STATUS column is what counts."""
    if not listed.ok:
        return [f"helm dependency list failed: {first_line(listed.stderr)}"]
    messages = []
    for raw in (listed.stdout + listed.stderr).splitlines():
        line = raw.strip()
        if line.startswith("WARNING:"):
            messages.append(f"helm dependency list: {line.removeprefix('WARNING:').strip()}")
            continue
        status = next((s for s in STATUSES if line.endswith(s) and line != s), None)
        if status is not None and status not in GOOD_STATUSES:
            messages.append(f"dependency {line.split()[0]}: {status}")
    return messages


def _lock_problems(helm: str, chart: Path, shown_chart: str) -> list[Problem]:
    """Run ``helm dependency build`` on a scratch copy: it refuses a Chart.lock whose digest is stale."""
    with tempfile.TemporaryDirectory(prefix="devstack-lock-") as scratch:
        copy = Path(scratch) / chart.name
        shutil.copytree(chart, copy, ignore=shutil.ignore_patterns("*.tgz"))
        built = run_helm(helm, ["dependency", "build", "--skip-refresh", str(copy)], copy)
    if built.ok:
        return []
    reason = first_line(built.stderr).removeprefix("Error: ")
    fix = f"run `helm dependency update {shown_chart}`, then delete the charts/*.tgz it writes"
    return [Problem(f"{shown_chart}/Chart.lock", None, f"{reason} ({fix})")]


def first_line(text: str) -> str:
    """Return the first non-empty line of ``text`` (helm puts its error there)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


def one_line(text: str) -> str:
    """Join the non-empty lines of a helm error into one line."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()) or "no output"

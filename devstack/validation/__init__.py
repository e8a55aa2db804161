"""`devstack validate`: check the stack's files before anything reaches a cluster.

It checks skaffold.yaml against the Skaffold schema of its apiVersion (package data), every values
file against the chart schemas (umbrella and subcharts) with file, line and key path, renders the
chart with each values file
and validates every manifest against the Kubernetes API schemas, checks that Chart.lock matches
Chart.yaml, loads every profile, and cross-checks each profile against skaffold.yaml, the Tiltfile
and the chart it deploys (`crosscheck.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.validation import helm
from devstack.validation.crosscheck import cross_check
from devstack.validation.deployfacts import StackChart, stack_chart
from devstack.validation.manifests import kube_version_problem, rendered_problems
from devstack.validation.problems import HelmMissing, shown_path
from devstack.validation.skaffold import SKAFFOLD_FILE, check_skaffold
from devstack.validation.values import ValuesSchema, check_values_file, load_schemas, values_files
from devstack.yamlfile import Problem, YamlDoc, load_yaml

__all__ = ["HelmMissing", "Problem", "checked_files", "stack_chart_of", "validate_stack"]

DEFAULT_KUBE_VERSION = "1.33"
PROFILE_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$")


def stack_chart_of(root: Path) -> StackChart | None:
    """The chart the stack deploys (skaffold.yaml's first helm release, else the one chart under
    `charts/`), with the release and namespace to render it as."""
    doc = load_yaml(root / SKAFFOLD_FILE, SKAFFOLD_FILE)
    return stack_chart(root, doc if isinstance(doc, YamlDoc) else None)


def checked_files(root: Path, extra_values: list[Path]) -> list[Path]:
    """Return every file `validate_stack` reads as a whole: skaffold.yaml, values files, profiles."""
    chart = stack_chart_of(root)
    return [
        root / SKAFFOLD_FILE,
        *(values_files(root / chart.folder) if chart is not None else []),
        *extra_values,
        *sorted((root / "profiles").glob("*.yaml")),
    ]


def validate_stack(
    root: Path, extra_values: list[Path], kube_version: str = DEFAULT_KUBE_VERSION
) -> list[Problem]:
    """Check the stack in ``root`` and return its problems (empty when all is well).

    Args:
        root: The stack's repository (holds skaffold.yaml, the chart it deploys and profiles/).
        extra_values: More values files to check and render with, besides the chart's own.
        kube_version: The Kubernetes version (MAJOR.MINOR) to render for and validate against.

    Raises:
        HelmMissing: helm is not on PATH.
        DevstackError: ``kube_version`` is malformed or unknown to kubernetes-validate (exit code 2).
    """
    helm_path = helm.find_helm()
    if (reason := kube_version_problem(kube_version)) is not None:
        raise DevstackError(reason, fix="pass e.g. --kube-version 1.33", exit_code=USAGE)
    problems = check_skaffold(root)
    found = stack_chart_of(root)
    if found is None:
        missing = Problem(
            SKAFFOLD_FILE, None, "no chart: no helm release with a chartPath, and not one chart in charts/"
        )
        return [*problems, missing, *_profile_problems(root)]
    chart = (root / found.folder).resolve()
    if not chart.is_dir():
        missing = Problem(found.folder, None, "missing: no chart folder")
        return [*problems, missing, *_profile_problems(root)]
    schemas, problems_loading = load_schemas(chart, root)
    problems += problems_loading
    if schemas:
        for path in [*values_files(chart), *extra_values]:
            problems += _values_problems(helm_path, found, root, schemas, path, kube_version)
    problems += helm.dependency_problems(helm_path, chart, shown_path(chart, root))
    problems += _profile_problems(root)
    problems += cross_check(root, helm_path, kube_version)
    return list(dict.fromkeys(problems))


def _values_problems(
    helm_path: str, found: StackChart, root: Path, schemas: list[ValuesSchema], path: Path, kube_version: str
) -> list[Problem]:
    """Check one values file; when it is sound, render the chart with it and validate the output."""
    shown = shown_path(path, root)
    problems = check_values_file(schemas, path, shown)
    if problems:
        return problems
    chart = (root / found.folder).resolve()
    own_defaults = path.resolve() == (chart / "values.yaml").resolve()
    values = [] if own_defaults else [path.resolve()]
    rendered = helm.template(helm_path, chart, values, kube_version, found.release, found.namespace)
    if not rendered.ok:
        return [Problem(shown, None, f"helm template failed: {helm.one_line(rendered.stderr)}")]
    return rendered_problems(rendered.stdout, kube_version, shown_path(chart, root), shown)


def _profile_problems(root: Path) -> list[Problem]:
    """Load every profiles/*.yaml with the profile loader and report its problems."""
    from devstack.profile import ProfileError, load_profile

    problems = []
    for path in sorted((root / "profiles").glob("*.yaml")):
        shown = shown_path(path, root)
        try:
            load_profile(path)
        except ProfileError as err:
            problems += [_profile_problem(shown, text) for text in err.problems]
    return problems


def _profile_problem(shown: str, text: str) -> Problem:
    """Turn one ``file:line: message`` line of the profile loader into a Problem for ``shown``."""
    match = PROFILE_LINE.match(text)
    if match is None:
        return Problem(shown, None, text.removeprefix(f"{shown}: "))
    return Problem(shown, int(match["line"]), match["message"])

"""The `devstack validate` engine on the real stack and on broken copies of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stack_helpers import CHART, REPO

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE, USAGE
from devstack.validation import HelmMissing, Problem, checked_files, validate_stack
from devstack.validation.values import check_values_file, load_schemas

DEFAULTS = ("values.yaml", "charts/backend/values.yaml", "charts/frontend/values.yaml")


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_the_repository_validates_with_zero_problems(helm: str):
    assert validate_stack(REPO, []) == []


def test_the_charts_own_and_extra_values_files_are_all_checked(tmp_path: Path):
    extra = tmp_path / "cluster-values.yaml"
    files = checked_files(REPO, [extra])
    names = {f.name for f in files}
    assert {"skaffold.yaml", "values.yaml", "values-local.yaml", "values-ci.yaml", extra.name} <= names
    assert {"local-kind.yaml", "ci-kind.yaml"} <= names


def test_unknown_top_level_key_is_named_with_file_and_line(helm: str, tmp_path: Path):
    bad = tmp_path / "values-bad.yaml"
    bad.write_text("backend:\n  replicas: 2\nreplicas: 3\n")
    problems = validate_stack(REPO, [bad])
    assert messages(problems) == [f'{bad}:3: unknown key "replicas"']


def test_wrong_type_in_a_subchart_section_is_named_with_its_key_path(helm: str, stack: Path):
    bad = stack / "charts" / "jetscale" / "values-bad.yaml"
    bad.write_text('frontend:\n  enabled: true\nbackend:\n  replicas: "two"\n  replcas: 2\n')
    problems = validate_stack(stack, [])
    assert messages(problems) == [
        'charts/jetscale/values-bad.yaml:4: backend.replicas: expected integer, got "two"',
        'charts/jetscale/values-bad.yaml:5: backend: unknown key "replcas" (did you mean "replicas"?)',
    ]


def test_values_that_pass_the_schema_but_render_an_invalid_manifest_are_caught(helm: str, tmp_path: Path):
    bad = tmp_path / "values-env.yaml"
    bad.write_text("backend:\n  env:\n    - name: FOO\n      valueFrom:\n        secretKeyRefs: {}\n")
    (problem,) = validate_stack(REPO, [bad])
    assert problem.file == "charts/jetscale/charts/backend/templates/deployment.yaml"
    assert "Deployment/jetscale-backend" in problem.message
    assert "secretKeyRefs" in problem.message and str(bad) in problem.message


def test_broken_skaffold_yaml_is_reported_at_the_offending_line(helm: str, stack: Path):
    skaffold = stack / "skaffold.yaml"
    lines = skaffold.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "createNamespace: true" in line)
    lines[index] = lines[index].replace("createNamespace: true", "createNamespace: yes please")
    lines.insert(index, lines[index].replace("createNamespace: yes please", "createNamspace: true"))
    skaffold.write_text("\n".join(lines) + "\n")
    problems = validate_stack(stack, [])
    assert Problem("skaffold.yaml", index + 1, 'deploy.helm.releases[0]: unknown key "createNamspace" '
                   '(did you mean "createNamespace"?)') in problems  # fmt: skip
    assert (
        Problem(
            "skaffold.yaml",
            index + 2,
            'deploy.helm.releases[0].createNamespace: expected boolean, got "yes please"',
        )
        in problems
    )


def test_skaffold_paths_that_do_not_exist_are_reported(helm: str, stack: Path):
    (stack / "demo" / "frontend" / "Dockerfile").unlink()
    problems = validate_stack(stack, [])
    assert [p.message for p in problems] == [
        "build.artifacts[1].docker.dockerfile: no such file: demo/frontend/Dockerfile"
    ]


def test_stale_chart_lock_and_missing_subchart_are_reported(helm: str, stack: Path):
    chart_yaml = stack / "charts" / "jetscale" / "Chart.yaml"
    chart_yaml.write_text(
        chart_yaml.read_text().replace("condition: frontend.enabled", "condition: web.enabled")
    )
    stale = validate_stack(stack, [])
    assert [(p.file, "out of sync" in p.message) for p in stale] == [("charts/jetscale/Chart.lock", True)]

    chart_yaml.write_text(
        chart_yaml.read_text().replace("condition: web.enabled", "condition: frontend.enabled")
    )
    (stack / "charts" / "jetscale" / "charts" / "frontend").rename(stack / "frontend-moved")
    missing = validate_stack(stack, [])
    assert "charts/jetscale/Chart.yaml: dependency frontend: missing" in messages(missing)


def test_broken_profile_is_reported_through_the_profile_loader(helm: str, stack: Path):
    profile = stack / "profiles" / "local-kind.yaml"
    profile.write_text(profile.read_text().replace("mode: dev", "mode: sometimes"))
    problems = validate_stack(stack, [])
    assert [(p.file, p.line) for p in problems] == [("profiles/local-kind.yaml", _line_of(profile, "mode:"))]
    assert problems[0].message.startswith("deploy.mode: ") and "sometimes" in problems[0].message


def test_missing_helm_raises_helm_missing_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HelmMissing) as caught:
        validate_stack(REPO, [])
    assert caught.value.exit_code == MISSING_PREREQUISITE
    assert "helm" in caught.value.fix and "PATH" in caught.value.fix


def test_unknown_kube_version_is_a_usage_error(helm: str):
    with pytest.raises(DevstackError) as caught:
        validate_stack(REPO, [], kube_version="1.9")
    assert caught.value.exit_code == USAGE


def test_problem_prints_as_file_line_message():
    assert (
        str(Problem("a/values.yaml", 3, "backend.replicas: bad")) == "a/values.yaml:3: backend.replicas: bad"
    )
    assert str(Problem("charts/jetscale/Chart.lock", None, "stale")) == "charts/jetscale/Chart.lock: stale"


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


values_trees = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tree=st.dictionaries(st.sampled_from(["backend", "frontend", "global", "x"]), values_trees, max_size=3)
)
def test_any_values_file_gives_one_line_problems_naming_the_file(tmp_path: Path, tree: dict[str, object]):
    schemas, loading = load_schemas(CHART, REPO)
    assert loading == []
    path = tmp_path / "values-fuzz.yaml"
    path.write_text(yaml.safe_dump(tree))
    for problem in check_values_file(schemas, path, "values-fuzz.yaml"):
        assert problem.file in ("values-fuzz.yaml", *(f"{CHART.relative_to(REPO)}/{n}" for n in DEFAULTS))
        assert "\n" not in str(problem)


def test_hostile_stack_files_are_problems_naming_the_file_never_crashes(helm: str, stack: Path):
    bomb = "l0: &l0 [" + ", ".join(["x"] * 9) + "]\n"
    bomb += "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 8))
    hostile = {
        "bomb.yaml": bomb,
        "deep.yaml": "backend:\n  x: " + "[" * 600 + "]" * 600 + "\n",
        "recursive.yaml": "backend: &b {x: *b}\n",
        "bigint.yaml": "backend:\n  replicas: " + "9" * 5000 + "\n",
        "nul.yaml": 'backend:\n  image:\n    tag: "a\\0b' + "x" * 2_000 + '"\n',
        "huge.yaml": "backend: " + "x" * 2_000_000 + "\n",
    }
    paths = []
    for name, text in hostile.items():
        (stack / name).write_text(text)
        paths.append(stack / name)
    os.mkfifo(stack / "fifo.yaml")
    paths.append(stack / "fifo.yaml")
    (stack / "skaffold.yaml").write_text(bomb)
    problems = validate_stack(stack, paths)
    named = {p.file for p in problems}
    assert {"skaffold.yaml", *hostile, "fifo.yaml"} <= named, messages(problems)
    for line in messages(problems):
        assert line.isprintable() and len(line) < 1100, line[:300]
        assert "\x00" not in line and "x" * 100 not in line


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        (
            "skaffold/v4beta13",
            'skaffold.yaml:3: apiVersion: "skaffold/v4beta13" is a Skaffold config version devstack has no '
            "schema for (it checks skaffold/v4beta14); `skaffold fix --overwrite` upgrades the file",
        ),
        (
            "skaffold/v7",
            'skaffold.yaml:3: apiVersion: unknown Skaffold config version "skaffold/v7"; known: skaffold/v4beta14',
        ),
    ],
)
def test_the_skaffold_schema_follows_the_files_api_version(stack_copy: Path, api_version: str, expected: str):
    from devstack.validation.skaffold import check_skaffold, shipped_versions

    assert shipped_versions() == ["skaffold/v4beta14"]
    assert check_skaffold(stack_copy) == []
    assert not (stack_copy / "schemas").exists(), "the schemas ship with devstack, not with the stack"
    config = stack_copy / "skaffold.yaml"
    config.write_text(
        config.read_text().replace("apiVersion: skaffold/v4beta14", f"apiVersion: {api_version}")
    )
    assert messages(check_skaffold(stack_copy)) == [expected]

"""Profiles: the shipped ones load; each class of mistake gives one clear file:line line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.profile import ProfileError, load, load_profile

GOOD = (REPO / "profiles" / "local-kind.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "kind").mkdir(exist_ok=True)
    (tmp_path / "kind" / "jetscale.yaml").write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    return caught.value.problems


@pytest.mark.parametrize("name", ["local-kind", "ci-kind"])
def test_shipped_profiles_load(name: str) -> None:
    loaded = load(name, REPO)
    assert loaded.profile.name == name
    assert loaded.profile.context == "kind-jetscale"
    assert [(f.name, f.local_port) for f in loaded.profile.forwards] == [
        ("frontend", 3000),
        ("backend", 8000),
    ]
    assert loaded.root == REPO


def test_profile_names_are_found_from_a_subfolder() -> None:
    assert load("ci-kind", REPO / "charts").path == REPO / "profiles" / "ci-kind.yaml"


def test_bad_port_names_file_line_field_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("local_port: 8000", 'local_port: "80a"'))
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if '"80a"' in l)
    assert problems(path) == [
        f'{path}:{line}: forwards[1].local_port: expected an integer 1-65535, got "80a"'
    ]


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  namespace: jetscale", "  namespace: jetscale\n  namespce: x"))
    [problem] = problems(path)
    assert problem.endswith('deploy.namespce: unknown key "namespce" (did you mean "namespace"?)')
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if "namespce" in l)
    assert problem.startswith(f"{path}:{line}: ")


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    enabled: true", "    enabled: [1]"))
    [problem] = problems(path)
    assert "checks.api_base_url.enabled: expected true or false, got a list" in problem


def test_enum_value(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("provider: kind", "provider: kinds"))
    [problem] = problems(path)
    assert ':5: cluster.provider: expected one of "kind" or "existing", got "kinds"' in problem


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  provider: kind\n", ""))
    [problem] = problems(path)
    assert problem.endswith("cluster.provider: required key missing")


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ncluster:\n  provider: kind\n bad: : :\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:")
    assert "invalid YAML" in problem


def test_several_problems_one_line_each(tmp_path: Path) -> None:
    text = GOOD.replace("local_port: 3000", "local_port: 0").replace("mode: dev", "mode: develop")
    found = problems(write(tmp_path, text))
    assert len(found) == 2
    assert any("forwards[0].local_port: expected an integer 1-65535, got 0" in p for p in found)
    assert any('deploy.mode: expected one of "dev" or "run", got "develop"' in p for p in found)


def test_duplicate_local_ports(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, GOOD.replace("local_port: 8000", "local_port: 3000")))
    assert "forwards: local port 3000 is used by both frontend and backend" in problem


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    found = problems(write(tmp_path, GOOD.replace("  mode: dev\n", "  mode: dev\n  mode: run\n")))
    assert any("deploy.mode: duplicate key" in p for p in found)


def test_missing_kind_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("kind/jetscale.yaml", "kind/nope.yaml"))
    [problem] = problems(path)
    assert "cluster.kind_config: file not found: kind/nope.yaml" in problem


def test_existing_provider_needs_a_context(tmp_path: Path) -> None:
    text = GOOD.replace("provider: kind", "provider: existing")
    [problem] = problems(write(tmp_path, text))
    assert "cluster.context: required when provider is existing" in problem


def test_not_a_mapping(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, "- a\n- b\n"))
    assert problem == f"{tmp_path / 'x.yaml'}:1: expected a mapping of profile settings, got a list"


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    path=st.lists(
        st.sampled_from(["cluster", "deploy", "forwards", 0, 1, "checks", "safety", "http", "x"]), max_size=3
    ),
    value=yaml_values,
)
def test_garbage_in_a_valid_profile_never_raises_anything_else(
    tmp_path: Path, path: list, value: object
) -> None:
    data = yaml.safe_load(GOOD)
    target = data
    for part in path[:-1]:
        nxt = target[part] if isinstance(target, dict) and part in target else None
        if isinstance(target, list) and isinstance(part, int) and part < len(target):
            nxt = target[part]
        if not isinstance(nxt, (dict, list)):
            break
        target = nxt
    key = path[-1] if path else "name"
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(key, int) and key < len(target)):
        target[key] = value
    profile = write(tmp_path, yaml.safe_dump(data))
    try:
        load_profile(profile)
    except ProfileError as err:
        assert err.problems
        for line in err.problems:
            assert line.startswith(f"{profile}:"), line
            assert "\n" not in line


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_text_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    profile = write(tmp_path, text)
    try:
        load_profile(profile)
    except ProfileError as err:
        assert all(line.startswith(f"{profile}:") for line in err.problems)


def test_cli_reports_profile_problems_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("local_port: 8000", 'local_port: "80a"').replace("mode: dev", "mood: dev")
    )
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "-p", str(path), "status"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2
    assert any('forwards[1].local_port: expected an integer 1-65535, got "80a"' in l for l in lines)
    assert any('deploy.mood: unknown key "mood" (did you mean "mode"?)' in l for l in lines)


def test_a_profile_with_thousands_of_mistakes_lists_fifty_and_counts_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "".join(f"typo{i}: 1\n" for i in range(5000)))
    listed = problems(path)
    assert len(listed) == 51
    assert listed[-1] == f"{path}: ... and 4950 more problems"
    assert listed[0].startswith(f"{path}:") and 'unknown key "typo0"' in listed[0]

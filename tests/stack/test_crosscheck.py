"""`devstack validate` cross-checks a copied stack: one deliberate mismatch each, reported as a
`file:line` that names the other side too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from devstack.exitcodes import USAGE
from devstack.validation.crosscheck import cross_check
from devstack.yamlfile import Problem

LOCAL = "profiles/local-kind.yaml"
VALUES = "charts/jetscale/values-local.yaml"


def edit(stack: Path, name: str, old: str, new: str) -> None:
    path = stack / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1))


def problems(stack: Path, helm: str) -> list[str]:
    return [str(p) for p in cross_check(stack, helm, "1.33")]


def test_the_repositorys_stack_agrees_with_itself(helm: str) -> None:
    assert cross_check(REPO, helm, "1.33") == []


def test_a_skaffold_profile_that_skaffold_yaml_does_not_define(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, LOCAL, "skaffold_profile: local-kind", "skaffold_profile: local-kin")
    assert problems(stack_copy, helm) == [
        f"{LOCAL}:10: deploy.skaffold_profile: skaffold.yaml has no profile 'local-kin' "
        "(it defines: local-kind (line 57), ci-kind (line 75))"
    ]


def test_a_forward_to_a_port_the_service_does_not_have(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, LOCAL, "remote_port: 3000", "remote_port: 3001")
    assert problems(stack_copy, helm) == [
        f"{LOCAL}:20: forwards[0].remote_port: Service jetscale-frontend has no port 3001 "
        "(charts/jetscale/charts/frontend/templates/service.yaml:13 renders 3000)"
    ]


def test_a_forward_to_a_service_the_chart_does_not_render(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, LOCAL, "service: jetscale-backend", "service: jetscale-api")
    [problem] = problems(stack_copy, helm)
    assert problem.startswith(f"{LOCAL}:23: forwards[1].service: the chart renders no Service jetscale-api")
    assert f"with {VALUES} (skaffold.yaml:" in problem
    assert "it renders: jetscale-backend, jetscale-frontend" in problem


def test_an_api_base_url_on_a_port_no_forward_serves(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, VALUES, "apiBaseUrl: http://localhost:8000", "apiBaseUrl: http://localhost:8080")
    # every profile that deploys these values says so: the skaffold one and the tilt one
    assert sorted(problems(stack_copy, helm)) == [
        f"{VALUES}:21: frontend.apiBaseUrl: http://localhost:8080 is on port 8080, but {profile}:25 "
        "serves the backend (jetscale-backend) on localhost:8000"
        for profile in ("profiles/local-kind-tilt.yaml", LOCAL)
    ]


def test_a_cluster_internal_api_base_url_in_the_ci_values(stack_copy: Path, helm: str) -> None:
    edit(
        stack_copy,
        "charts/jetscale/values-ci.yaml",
        "apiBaseUrl: http://localhost:8000",
        "apiBaseUrl: http://jetscale-backend:8000",
    )
    [problem] = problems(stack_copy, helm)  # only ci-kind deploys values-ci.yaml (its skaffold patch)
    assert problem == (
        "charts/jetscale/values-ci.yaml:17: frontend.apiBaseUrl: http://jetscale-backend:8000 is a "
        "cluster-internal name the browser cannot resolve; profiles/ci-kind.yaml:25 serves the backend "
        "(jetscale-backend) on localhost:8000"
    )


def test_allowed_origins_without_the_frontends_origin(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, LOCAL, "local_port: 3000", "local_port: 3100")
    assert problems(stack_copy, helm) == [
        f"{VALUES}:4: backend.allowedOrigins: http://localhost:3000, http://127.0.0.1:3000 does not allow "
        f"the frontend's origin http://localhost:3100 ({LOCAL}:21, profile local-kind)"
    ]


def test_a_check_url_on_a_port_no_forward_serves(stack_copy: Path, helm: str) -> None:
    edit(
        stack_copy,
        LOCAL,
        "    - name: backend health\n",
        "    - name: docs\n      url: http://localhost:9000/docs\n    - name: backend health\n",
    )
    assert problems(stack_copy, helm) == [
        f"{LOCAL}:33: checks.http[1].url: http://localhost:9000/docs is on port 9000, which no forward "
        "serves (forwards: 3000 (frontend, line 18), 8000 (backend, line 22))"
    ]


def test_a_namespace_other_than_the_one_skaffold_deploys_into(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, LOCAL, "namespace: jetscale", "namespace: shop")
    [problem] = problems(stack_copy, helm)
    assert problem.startswith(f"{LOCAL}:12: deploy.namespace: shop, but skaffold.yaml:")
    assert problem.endswith("deploys into namespace jetscale")


def tilt_profile(stack: Path, context: str, frontend_port: int) -> None:
    text = (stack / LOCAL).read_text()
    text = text.replace("name: local-kind", "name: tilt-local").replace("tool: skaffold", "tool: tilt")
    text = text.replace("  skaffold_profile: local-kind\n", "")
    text = text.replace("local_port: 3000", f"local_port: {frontend_port}")
    if context != "kind-jetscale":
        text = text.replace("  name: jetscale\n", f"  name: {context.removeprefix('kind-')}\n", 1)
        text = text.replace("    - kind-jetscale", f"    - {context}")
    (stack / "profiles" / "tilt-local.yaml").write_text(text)


def test_a_tilt_profile_the_tiltfile_disagrees_with(stack_copy: Path, helm: str) -> None:
    tilt_profile(stack_copy, "kind-other", 3000)
    found = problems(stack_copy, helm)
    assert found[0] == (
        "profiles/tilt-local.yaml:4: cluster: kind-other, but Tiltfile:14 allows only kind-jetscale "
        "(allow_k8s_contexts)"
    )
    tilt_profile(stack_copy, "kind-jetscale", 3100)
    found = problems(stack_copy, helm)
    assert (
        "profiles/tilt-local.yaml:20: forwards[0].local_port: 3100, but Tiltfile:48 forwards "
        "jetscale-frontend on localhost:3000"
    ) in found
    (stack_copy / "Tiltfile").unlink()
    assert problems(stack_copy, helm) == [
        f"profiles/{name}.yaml:9: deploy.tool: tilt, but there is no Tiltfile in the stack"
        for name in ("local-kind-tilt", "tilt-local")
    ]


def test_validate_prints_each_mismatch_and_exits_2_also_with_json(stack_copy: Path, helm: str) -> None:
    edit(stack_copy, VALUES, "apiBaseUrl: http://localhost:8000", "apiBaseUrl: http://localhost:8080")
    run = [sys.executable, "-m", "devstack", "validate"]
    out = subprocess.run(run, cwd=stack_copy, capture_output=True, text=True, timeout=300)
    assert out.returncode == USAGE, out.stdout + out.stderr
    assert f"{VALUES}:21: frontend.apiBaseUrl: http://localhost:8080 is on port 8080" in out.stdout
    assert out.stdout.strip().endswith("2 problem(s)")  # local-kind and local-kind-tilt deploy these values
    out = subprocess.run([*run, "--json"], cwd=stack_copy, capture_output=True, text=True, timeout=300)
    document = json.loads(out.stdout)
    assert out.returncode == USAGE and document["ok"] is False and document["exit_code"] == USAGE
    assert [p.split(": ")[0] for p in document["problems"]] == [f"{VALUES}:21", f"{VALUES}:21"]


@pytest.mark.parametrize("line", ["allow_k8s_contexts([", "k8s_resource(\n"])
def test_a_tiltfile_that_is_not_starlark_is_one_problem(stack_copy: Path, helm: str, line: str) -> None:
    (stack_copy / "Tiltfile").write_text(f"# broken\n{line}\n")
    found = cross_check(stack_copy, helm, "1.33")
    assert len(found) == 1 and isinstance(found[0], Problem)
    assert found[0].file == "Tiltfile" and "cannot be read as Starlark" in found[0].message


def test_a_tiltfile_without_the_no_port_forwards_switch(stack_copy: Path, helm: str) -> None:
    """devstack runs `tilt up -- --no-port-forwards`: a Tiltfile that does not define it is named."""
    edit(stack_copy, "Tiltfile", "config.define_bool('no-port-forwards'", "config.define_bool('quiet'")
    found = [p for p in problems(stack_copy, helm) if "no-port-forwards" in p]
    assert len(found) == 1
    assert found[0].startswith(
        "profiles/local-kind-tilt.yaml:9: deploy.tool: tilt, but the Tiltfile defines no "
    )

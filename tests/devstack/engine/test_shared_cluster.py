"""Two developers on one cluster: `deploy.namespace: "{user}-{branch}"` gives each their own
namespace, so both stacks run side by side on one simulated cluster, each with its own forwards on
its own ports (the profile's namespace reaches skaffold as `--namespace`)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import free_port, http_status, require

from devstack.cli.demo_stack import DemoEnvironment
from devstack.core.store import Store
from devstack.engine.context import EngineContext
from devstack.engine.up import UpRun
from devstack.exitcodes import OK
from devstack.profile import ProfileError, load

pytestmark = pytest.mark.slow
BRANCH = "feat/Login-2"


def shared_profile(stack: Path, user: str, frontend: int, backend: int) -> Path:
    """The stack's local-kind profile with a per-user namespace and this developer's own ports."""
    profile = copy.deepcopy(yaml.safe_load((stack / "profiles" / "local-kind.yaml").read_text()))
    profile["name"] = f"shared-{user}"
    profile["deploy"]["namespace"] = "{user}-{branch}"
    ports = {"frontend": frontend, "backend": backend}
    for forward in profile["forwards"]:
        forward["local_port"] = ports[forward["name"]]
    # The demo's chart values name the demo's ports for VITE_API_BASE_URL and CORS; this developer's
    # ports differ, so that one check is left to the first developer's profile.
    if frontend != profile_ports(stack)["frontend"]:
        profile["checks"]["api_base_url"]["enabled"] = False
    path = stack / "profiles" / f"shared-{user}.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def profile_ports(stack: Path) -> dict[str, int]:
    profile = yaml.safe_load((stack / "profiles" / "local-kind.yaml").read_text())
    return {f["name"]: f["local_port"] for f in profile["forwards"]}


def test_two_namespaced_profiles_run_side_by_side_on_one_cluster() -> None:
    from helpers import demo_settings

    require(subprocess.run(["git", "--version"], capture_output=True).returncode == 0, "git")
    with DemoEnvironment(demo_settings(), "healthy") as env:
        stack = env.stack
        subprocess.run(["git", "init", "-q", "-b", BRANCH, str(stack)], check=True)
        demo = profile_ports(stack)
        ports = {"alice": (demo["frontend"], demo["backend"]), "bob": (free_port(), free_port())}
        runs: list[UpRun] = []
        contexts: dict[str, EngineContext] = {}
        try:
            for user, (frontend, backend) in ports.items():
                loaded = load(str(shared_profile(stack, user, frontend, backend)), stack, user)
                assert loaded.profile.deploy.namespace == f"{user}-feat-login-2"
                ctx = EngineContext(loaded, Store(), env.tools, state_dir=env.state_dir)
                run = UpRun(ctx)
                runs.append(run)
                code = run.run()
                assert code == OK, [s for s in ctx.store.state.steps if s.error]
                contexts[user] = ctx
            for user, (frontend, backend) in ports.items():  # both at once, each on its own ports
                assert http_status(frontend, "/") == 200
                assert http_status(backend, "/healthz") == 200
                named = dict(contexts[user].verdicts().named)
                assert sorted(named) == ["jetscale-backend", "jetscale-frontend"]
                assert all(v.reason == "Ready" for v in named.values())
            kubectl = [
                "kubectl", "--kubeconfig", env.tools.env["KUBECONFIG"], "--context", env.loaded.profile.context,
                "get", "deployments", "--all-namespaces", "-o", "json",
            ]  # fmt: skip
            listed = json.loads(subprocess.run(kubectl, capture_output=True, text=True, check=True).stdout)
            placed = sorted((d["metadata"]["namespace"], d["metadata"]["name"]) for d in listed["items"])
            assert placed == [
                ("alice-feat-login-2", "jetscale-backend"),
                ("alice-feat-login-2", "jetscale-frontend"),
                ("bob-feat-login-2", "jetscale-backend"),
                ("bob-feat-login-2", "jetscale-frontend"),
            ]
        finally:
            for run in runs:
                run.stop()


def test_a_namespace_template_that_gives_no_dns_label_names_the_field(
    tmp_path: Path, stack_copy: Path
) -> None:
    path = stack_copy / "profiles" / "local-kind.yaml"
    path.write_text(path.read_text().replace("namespace: jetscale", 'namespace: "{user}-{branch}"'))
    with pytest.raises(ProfileError) as no_branch:
        load(str(path), stack_copy, "alice")
    assert "deploy.namespace: {branch} needs a git branch checked out in" in no_branch.value.problems[0]
    subprocess.run(["git", "init", "-q", "-b", "main", str(stack_copy)], check=True)
    with pytest.raises(ProfileError) as no_user:
        load(str(path), stack_copy, "")
    assert no_user.value.problems[0].endswith(
        "deploy.namespace: {user} needs $USER (set it, or write the namespace out)"
    )
    assert load(str(path), stack_copy, "Alice.Smith").profile.deploy.namespace == "alice-smith-main"
    long_user = "x" * 70
    with pytest.raises(ProfileError) as too_long:
        load(str(path), stack_copy, long_user)
    assert "not a DNS label" in too_long.value.problems[0]
    path.write_text(path.read_text().replace('"{user}-{branch}"', '"{team}-dev"'))
    with pytest.raises(ProfileError) as unknown:
        load(str(path), stack_copy, "alice")
    assert (
        'deploy.namespace: unknown placeholder "team"; use {user} and {branch}' in unknown.value.problems[0]
    )

"""The VITE_API_BASE_URL check against the demo apps as pods, through devstack's own forwards."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from helpers import REPO, free_port, render_chart, wait_for

from devstack.core.checks import CheckResult
from devstack.core.store import Store
from devstack.profile.models import ApiBaseUrlCheck, Forward, HttpCheck
from devstack.sources.checks import ApiBaseUrlChecker, run_http_check
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack_sim.background import BackgroundSimulator

Deploy = Callable[..., tuple[Forward, Forward]]


@pytest.fixture
def deploy(cluster_sim: BackgroundSimulator) -> Iterator[Deploy]:
    """Deploy the chart with `--set` overrides and forward both services on free local ports."""
    started: list[tuple[ClusterWatch, ForwardThread]] = []
    frontend_port, backend_port = free_port(), free_port()

    def run(*sets: str) -> tuple[Forward, Forward]:
        sets = tuple(s.replace("BACKEND_PORT", str(backend_port)) for s in sets)
        cluster_sim.apply(render_chart(*sets), "jetscale")
        target = KubeTarget(cluster_sim.context, "jetscale", os.environ["KUBECONFIG"])
        store = Store()
        watch = ClusterWatch(target, store.dispatch, interval=0.05)
        watch.start()
        forwards = (
            Forward(name="frontend", service="jetscale-frontend", remote_port=3000, local_port=frontend_port),
            Forward(name="backend", service="jetscale-backend", remote_port=8000, local_port=backend_port),
        )
        thread = ForwardThread(store, target, forwards)
        thread.start()
        started.append((watch, thread))
        wait_for(
            lambda: (
                all(v.status == "ready" for v in store.state.forwards.values())
                and len(store.state.forwards) == 2
            ),
            timeout=60,
            what="both forwards ready",
        )
        return forwards

    yield run
    for watch, thread in started:
        thread.stop()
        watch.stop()


def api_check(forwards: tuple[Forward, Forward], **overrides: object) -> CheckResult:
    # The chart's values allow the origin http://localhost:3000 (the page is on a free port here).
    settings: dict[str, object] = {"origin": "http://localhost:3000", **overrides}
    config = ApiBaseUrlCheck(
        frontend_url=f"http://localhost:{forwards[0].local_port}", cors_path="/api/hello", **settings
    )
    return ApiBaseUrlChecker(config, forwards, env_lookup=None).run()


def failed_step(result: CheckResult) -> tuple[str, str, str]:
    step = next(s for s in result.steps if not s.ok)
    return step.name, step.detail, step.hint


def test_the_healthy_stack_passes_every_step(deploy: Deploy) -> None:
    forwards = deploy("frontend.apiBaseUrl=http://localhost:BACKEND_PORT")
    result = api_check(forwards)
    assert result.ok, result
    assert [s.name for s in result.steps] == [
        "find the value",
        "browser can resolve it",
        "reaches a forward",
        "API answers",
        "CORS allows the frontend",
    ]
    assert "from runtime config" in result.steps[0].detail and "/config.js" in result.steps[0].detail
    assert "forward to jetscale-backend" in result.steps[2].detail
    assert run_http_check(HttpCheck(name="page", url=f"http://localhost:{forwards[0].local_port}/")).ok


def test_a_cluster_internal_name_fails_at_resolve_with_the_localhost_fix(deploy: Deploy) -> None:
    forwards = deploy("frontend.apiBaseUrl=http://jetscale-backend:8000")
    name, detail, hint = failed_step(api_check(forwards))
    assert name == "browser can resolve it"
    assert "jetscale-backend is a cluster-internal name" in detail
    assert f"http://localhost:{forwards[1].local_port}" in hint


def test_a_wrong_port_fails_at_the_forward_step(deploy: Deploy) -> None:
    unused = free_port()
    forwards = deploy(f"frontend.apiBaseUrl=http://localhost:{unused}")
    name, detail, hint = failed_step(api_check(forwards))
    assert name == "reaches a forward"
    assert f"localhost:{unused}" in detail
    assert f"{forwards[1].local_port} (backend)" in hint


def test_a_backend_without_cors_fails_at_the_cors_step(deploy: Deploy) -> None:
    forwards = deploy("frontend.apiBaseUrl=http://localhost:BACKEND_PORT", "backend.env.DEMO_DISABLE_CORS=1")
    name, detail, hint = failed_step(api_check(forwards))
    assert name == "CORS allows the frontend"
    assert "Access-Control-Allow-Origin missing" in detail
    assert "backend.allowedOrigins" in hint


def test_without_a_configured_runtime_path_the_scripts_of_index_html_are_read(deploy: Deploy) -> None:
    forwards = deploy("frontend.apiBaseUrl=http://localhost:BACKEND_PORT")
    result = api_check(forwards, config_paths=("/no-such-config.js",))
    assert result.steps[0].ok
    assert "from JS asset" in result.steps[0].detail
    assert f"http://localhost:{forwards[1].local_port}" in result.steps[0].detail  # what the page really uses


def test_the_value_baked_into_the_demo_bundle_is_found() -> None:

    from devstack.core.apiurl import from_bundle

    bundle = (REPO / "demo/frontend/static/assets/app.js").read_text()
    assert from_bundle(bundle, "VITE_API_BASE_URL") == "http://localhost:8000"
    minified = (
        'const e=async()=>{const t=await fetch(`${"http://localhost:8000"}/api/hello`);return t.json()};'
    )
    assert from_bundle(minified, "VITE_API_BASE_URL") == "http://localhost:8000"


def test_the_deployment_env_is_the_last_resort() -> None:
    forwards = (
        Forward(name="frontend", service="f", remote_port=3000, local_port=free_port()),
        Forward(name="backend", service="b", remote_port=8000, local_port=free_port()),
    )
    config = ApiBaseUrlCheck(frontend_url=f"http://localhost:{forwards[0].local_port}")
    lookups: list[tuple[str, str]] = []

    def lookup(deployment: str, name: str) -> str:
        lookups.append((deployment, name))
        return "http://jetscale-backend.jetscale.svc.cluster.local:8000"

    result = ApiBaseUrlChecker(config, forwards, lookup).run()
    assert lookups == [("jetscale-frontend", "VITE_API_BASE_URL")]
    assert "env VITE_API_BASE_URL of Deployment jetscale-frontend" in result.steps[0].detail
    assert failed_step(result)[0] == "browser can resolve it"


def test_an_origin_the_backend_does_not_allow_is_named_with_the_origins_it_does(
    deploy: Deploy, cluster_sim: BackgroundSimulator
) -> None:
    from devstack.sources.kubeapi import KubeApi

    forwards = deploy("frontend.apiBaseUrl=http://localhost:BACKEND_PORT")
    api = KubeApi(KubeTarget(cluster_sim.context, "jetscale", os.environ["KUBECONFIG"]))
    try:
        config = ApiBaseUrlCheck(
            frontend_url=f"http://localhost:{forwards[0].local_port}", cors_path="/api/hello"
        )  # the page's own origin: http://localhost:<free port>, which the chart does not allow
        result = ApiBaseUrlChecker(config, forwards, api.deployment_env).run()
    finally:
        api.close()
    name, detail, hint = failed_step(result)
    assert name == "CORS allows the frontend"
    assert f"from {config.origin}: HTTP 403" in detail
    assert (
        "the backend allows http://localhost:3000 (ALLOWED_ORIGINS of Deployment jetscale-backend)" in detail
    )
    assert f"the backend must allow origin {config.origin}" in hint and "(now: http://localhost:3000)" in hint


def test_the_suggested_url_is_the_port_of_the_forward_serving_the_backend_whatever_its_name() -> None:
    forwards = (
        Forward(name="web", service="f", remote_port=3000, local_port=free_port()),
        Forward(name="api", service="b", remote_port=8000, local_port=free_port()),
    )
    config = ApiBaseUrlCheck(
        frontend_forward="web", frontend_url=f"http://localhost:{forwards[0].local_port}"
    )

    def lookup(deployment: str, name: str) -> str:
        raise RuntimeError("no such Deployment")  # a failing lookup is an absent value, not a crash

    result = ApiBaseUrlChecker(config, forwards, lookup).run()
    assert failed_step(result)[0] == "find the value"
    checker = ApiBaseUrlChecker(config, forwards, lambda d, n: "http://b.ns.svc:8000")
    name, _detail, hint = failed_step(checker.run())
    assert name == "browser can resolve it" and f"to http://localhost:{forwards[1].local_port}" in hint

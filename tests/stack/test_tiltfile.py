"""The Tiltfile, executed with starlark and recording stand-ins for Tilt's built-ins, agrees with skaffold;
`tilt up -- --no-port-forwards` (devstack's way of running it) drops exactly the port forwards, checked
with the recorder and with the tilt stand-in's own Tiltfile loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import starlark as sl
import yaml
from stack_helpers import REPO, by_kind, run_helm

TILTFILE = REPO / "Tiltfile"


@dataclass
class Tilt:
    """Stand-ins with Tilt's signatures (tilt-dev/tilt internal/tiltfile/api/__init__.py) that record calls."""

    helm_binary: str
    args: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    contexts: list[str] = field(default_factory=list)
    builds: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    manifests: list[dict[str, Any]] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def allow_k8s_contexts(self, contexts: Any) -> None:
        self.contexts += [contexts] if isinstance(contexts, str) else list(contexts)

    def docker_build(
        self, ref: str, context: str, build_args: Any = None, dockerfile: str = "Dockerfile",
        live_update: Any = None, ignore: Any = None, only: Any = None, target: str = "",
    ) -> None:  # fmt: skip
        self.builds.append({"ref": ref, "context": context, "dockerfile": dockerfile})

    def helm(
        self, pathToChartDir: str, name: str = "", namespace: str = "", values: Any = None,
        set: Any = None, kube_version: str = "", skip_crds: bool = False,
    ) -> str:  # fmt: skip
        """Render for real, the way Tilt does: helm template NAME PATH --namespace NS --values F..."""
        values = [values] if isinstance(values, str) else list(values or [])
        self.charts.append({"path": pathToChartDir, "name": name, "namespace": namespace, "values": values})
        args = ["template", name or "chart", pathToChartDir, "--namespace", namespace]
        args += [arg for file in values for arg in ("--values", file)]
        args += [arg for item in (set or []) for arg in ("--set", item)]
        done = run_helm(self.helm_binary, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def k8s_yaml(self, yaml_text: str, allow_duplicates: bool = False) -> None:
        self.manifests += [doc for doc in yaml.safe_load_all(yaml_text) if doc]

    def blob(self, input: str) -> str:
        return input

    def define_bool(self, name: str, args: bool = False, usage: str = "") -> None:
        self.flags[name] = "bool"

    def parse(self) -> dict[str, Any]:
        """Tilt's config.parse for boolean flags: `--name` after `--` sets it, anything else is refused."""
        values: dict[str, Any] = {}
        for arg in self.args:
            name = arg.removeprefix("--")
            assert self.flags.get(name) == "bool", f"flag provided but not defined: -{name}"
            values[name] = True
        return values

    def k8s_resource(
        self, workload: str = "", new_name: str = "", port_forwards: Any = None, extra_pod_selectors: Any = None,
        trigger_mode: Any = None, resource_deps: Any = None, objects: Any = None, auto_init: bool = True,
        pod_readiness: str = "", links: Any = None, labels: Any = None, discovery_strategy: str = "",
    ) -> None:  # fmt: skip
        """Repeated calls for one workload add up (each sets only what it passes)."""
        resource = self.resources.setdefault(
            workload, {"port_forwards": [], "resource_deps": [], "links": []}
        )
        if port_forwards is not None:
            forwards = port_forwards if isinstance(port_forwards, list) else [port_forwards]
            resource["port_forwards"] = [normalize_forward(f) for f in forwards]
        if resource_deps is not None:
            resource["resource_deps"] = list(resource_deps)
        if links is not None:
            resource["links"] = list(links)

    def link(self, url: str, name: str = "") -> dict[str, Any]:
        return {"link": url, "name": name}

    def port_forward(
        self,
        local_port: int,
        container_port: int | None = None,
        name: str = "",
        link_path: str = "",
        host: str = "",
    ) -> dict[str, Any]:
        return {"local": local_port, "container": container_port or local_port, "host": host}

    def run(self) -> None:
        module = sl.Module()
        for name in (
            "allow_k8s_contexts",
            "docker_build",
            "helm",
            "k8s_yaml",
            "k8s_resource",
            "link",
            "port_forward",
            "blob",
        ):
            module.add_callable(name, getattr(self, name))
        module.add_callable("_define_bool", self.define_bool)
        module.add_callable("_parse", self.parse)
        globals_ = sl.Globals.extended_by([sl.LibraryExtension.StructType])
        prelude = "config = struct(define_bool=_define_bool, parse=_parse)\n"
        sl.eval(module, sl.parse("prelude", prelude, sl.Dialect.extended()), globals_)
        ast = sl.parse("Tiltfile", TILTFILE.read_text(), sl.Dialect.extended())
        sl.eval(module, ast, globals_)


def normalize_forward(forward: Any) -> tuple[int, int]:
    """(local, container) for each form Tilt accepts: 8000, '9000', '9000:8000', 'host:9000:8000', port_forward()."""
    if isinstance(forward, dict):
        return int(forward["local"]), int(forward["container"])
    parts = str(forward).split(":")[-2:]
    return int(parts[0]), int(parts[-1])


@pytest.fixture(scope="module")
def skaffold() -> dict[str, Any]:
    return yaml.safe_load((REPO / "skaffold.yaml").read_text())


@pytest.fixture(params=[[], ["--no-port-forwards"]], ids=["by-hand", "no-port-forwards"])
def tilt_args(request: pytest.FixtureRequest) -> list[str]:
    """The Tiltfile args: none (`tilt up` by hand) or devstack's `-- --no-port-forwards`."""
    return list(request.param)


@pytest.fixture
def tilt(helm: str, tilt_args: list[str]) -> Tilt:
    recorder = Tilt(helm, args=tilt_args)
    recorder.run()
    return recorder


def test_only_the_kind_jetscale_context_is_allowed(tilt: Tilt):
    assert tilt.contexts == ["kind-jetscale"]


def test_images_and_build_contexts_match_skaffold(tilt: Tilt, skaffold: dict[str, Any]):
    tilt_builds = {b["ref"]: (b["context"], b["dockerfile"]) for b in tilt.builds}
    skaffold_builds = {
        a["image"]: (a["context"], f"{a['context']}/{a['docker']['dockerfile']}")
        for a in skaffold["build"]["artifacts"]
    }
    assert tilt_builds == skaffold_builds


def test_chart_release_namespace_and_values_match_skaffold(tilt: Tilt, skaffold: dict[str, Any]):
    (release,) = skaffold["deploy"]["helm"]["releases"]
    (chart,) = tilt.charts
    assert chart == {
        "path": release["chartPath"],
        "name": release["name"],
        "namespace": release["namespace"],
        "values": release["valuesFiles"],
    }


def test_forwarded_ports_match_skaffold_and_the_chart(
    tilt: Tilt, skaffold: dict[str, Any], tilt_args: list[str]
):
    skaffold_ports = {f["resourceName"]: [(f["localPort"], f["port"])] for f in skaffold["portForward"]}
    expected = {name: [] for name in skaffold_ports} if tilt_args else skaffold_ports
    assert {name: r["port_forwards"] for name, r in tilt.resources.items()} == expected
    services = by_kind(tilt.manifests, "Service")
    for name, ((_, port),) in skaffold_ports.items():
        assert services[name]["spec"]["ports"][0]["port"] == port


def test_resources_name_rendered_workloads_and_frontend_waits_for_backend(tilt: Tilt):
    deployments = by_kind(tilt.manifests, "Deployment")
    assert set(tilt.resources) == set(deployments) == {"jetscale-backend", "jetscale-frontend"}
    assert tilt.resources["jetscale-frontend"]["resource_deps"] == ["jetscale-backend"]
    ports = {"jetscale-backend": 8000, "jetscale-frontend": 3000}
    for name, resource in tilt.resources.items():
        assert [link["link"].startswith(f"http://localhost:{ports[name]}") for link in resource["links"]] == [
            True
        ], name


def test_the_namespace_is_declared_because_helm_does_not_create_it(tilt: Tilt):
    (release,) = tilt.charts
    assert by_kind(tilt.manifests, "Namespace") == {
        release["namespace"]: {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": release["namespace"]},
        }
    }


def test_an_unknown_tiltfile_flag_is_refused(helm: str):
    with pytest.raises(sl.StarlarkError, match="flag provided but not defined: -no-forwards"):
        Tilt(helm, args=["--no-forwards"]).run()


@pytest.mark.parametrize(
    ("args", "forwards"),
    [([], {"jetscale-backend": [(8000, 8000, "127.0.0.1")], "jetscale-frontend": [(3000, 3000, "127.0.0.1")]}),
     (["--no-port-forwards"], {"jetscale-backend": [], "jetscale-frontend": []})],
    ids=["by-hand", "no-port-forwards"],
)  # fmt: skip
def test_the_tilt_standin_loads_the_tiltfile_in_both_modes(
    helm: str, args: list[str], forwards: dict[str, Any]
):
    """The stand-in's loader (real helm, Tilt's resource assembly) sees the same resources and forwards."""
    from devstack_sim.standins import tiltfile

    loaded = tiltfile.load(TILTFILE, args, "kind-jetscale", "up")
    resources = {r.name: r for r in loaded.assembled.resources}
    assert list(resources) == ["jetscale-backend", "jetscale-frontend", "uncategorized"]
    assert {
        name: [(p.local_port, p.container_port, p.host) for p in resources[name].port_forwards]
        for name in forwards
    } == forwards
    assert resources["jetscale-frontend"].resource_deps == ["jetscale-backend"]
    assert resources["jetscale-backend"].images == ["jetscale-backend"]
    assert sorted(resources["uncategorized"].display_names) == [
        "jetscale-backend:secret",
        "jetscale:namespace",
    ]
    namespaces = {
        o["metadata"].get("namespace")
        for r in resources.values()
        for o in r.objects
        if o["kind"] != "Namespace"
    }
    assert namespaces == {"jetscale"}

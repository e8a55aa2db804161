"""skaffold.yaml: the v4beta14 schema, the wiring to the chart, and what each profile really yields."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from stack_helpers import CHART, REPO, Render, by_kind

SCHEMA = REPO / "devstack" / "validation" / "schemas" / "skaffold-v4beta14.json"
SCHEMA_SHA256 = "7c29a621995d2c6143d3c423c8e3d3dfb25703a49fd1cf77644b54168414b39e"
SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "skaffold-v4beta14.json"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "skaffold.yaml").read_text())


def profile(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in config["profiles"] if p["name"] == name)


def apply_patch(document: Any, patch: dict[str, Any]) -> None:
    """Apply one JSON-patch add/replace operation (skaffold's default op is replace)."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in patch["path"].split("/")[1:]]
    target = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    op = patch.get("op", "replace")
    if isinstance(target, list):
        if op == "add":
            target.insert(len(target) if last == "-" else int(last), patch["value"])
        else:
            target[int(last)] = patch["value"]
    else:
        assert op == "add" or last in target, f"replace of missing {patch['path']}"
        target[last] = patch["value"]


def effective(config: dict[str, Any], *names: str) -> dict[str, Any]:
    """The config with profiles applied in order: sections overlaid field by field, then patches."""
    result = copy.deepcopy(config)
    for name in names:
        active = profile(config, name)
        for section in ("build", "deploy"):
            for key, value in active.get(section, {}).items():
                merged = result[section].get(key)
                both_maps = isinstance(merged, dict) and isinstance(value, dict) and key != "local"
                result[section][key] = {**merged, **value} if both_maps else value
        for patch in active.get("patches", []):
            apply_patch(result, patch)
    return result


def test_skaffold_yaml_validates_against_the_vendored_v4beta14_schema(config: dict[str, Any]):
    schema = json.loads(SCHEMA.read_text())
    errors = [e.message for e in Draft7Validator(schema).iter_errors(config)]
    assert errors == []
    assert config["apiVersion"] == "skaffold/v4beta14" and config["kind"] == "Config"
    assert config["metadata"]["name"] == "jetscale"


def test_vendored_schema_is_the_pinned_upstream_file():
    """The vendored schema is byte-for-byte the v4beta14 file from skaffold's repository (via shared/).

    The digest is pinned so the check runs on every clone; where the shared/ folder sits beside the
    repository, the vendored copy is also compared with it directly.
    """
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    if SHARED_SCHEMA.is_file():
        assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_artifacts_build_the_demo_apps(config: dict[str, Any]):
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert {name: a["context"] for name, a in artifacts.items()} == {
        "jetscale-backend": "demo/backend",
        "jetscale-frontend": "demo/frontend",
    }
    for artifact in artifacts.values():
        assert (REPO / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()
    assert config["build"]["local"]["push"] is False


def test_helm_release_and_image_templates(config: dict[str, Any]):
    (release,) = config["deploy"]["helm"]["releases"]
    assert release["name"] == "jetscale"
    assert release["chartPath"] == "charts/jetscale"
    assert release["namespace"] == "jetscale" and release["createNamespace"] is True
    assert all((REPO / f).is_file() for f in release["valuesFiles"])
    expected = {}
    for artifact in config["build"]["artifacts"]:
        app = artifact["image"].removeprefix("jetscale-")
        var = artifact["image"].replace("-", "_").replace("/", "_")
        expected[f"{app}.image.repository"] = f"{{{{.IMAGE_REPO_{var}}}}}"
        expected[f"{app}.image.tag"] = f"{{{{.IMAGE_TAG_{var}}}}}"
    assert release["setValueTemplates"] == expected


def test_set_value_templates_land_in_the_deployments(config: dict[str, Any], render: Render):
    (release,) = config["deploy"]["helm"]["releases"]
    fake = {key: f"built-{i}" for i, key in enumerate(release["setValueTemplates"])}
    docs = render(*[arg for key, value in fake.items() for arg in ("--set", f"{key}={value}")])
    for name, deployment in by_kind(docs, "Deployment").items():
        app = name.removeprefix("jetscale-")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"{fake[f'{app}.image.repository']}:{fake[f'{app}.image.tag']}"


def test_port_forwards_reach_both_services_on_loopback(config: dict[str, Any]):
    forwards = {(f["resourceType"].lower(), f["resourceName"]): f for f in config["portForward"]}
    assert set(forwards) == {("service", "jetscale-frontend"), ("service", "jetscale-backend")}
    for (_, name), port in (
        (("service", "jetscale-frontend"), 3000),
        (("service", "jetscale-backend"), 8000),
    ):
        forward = forwards[("service", name)]
        assert (forward["port"], forward["localPort"], forward["namespace"]) == (port, port, "jetscale")
        assert forward["address"] == "127.0.0.1"


def test_local_kind_profile(config: dict[str, Any]):
    local = profile(config, "local-kind")
    assert {"kubeContext": "kind-jetscale"} in local["activation"]
    assert local["build"]["local"]["push"] is False and local["build"]["local"]["useBuildkit"] is True
    result = effective(config, "local-kind")
    assert result["deploy"]["helm"]["releases"][0]["valuesFiles"] == ["charts/jetscale/values-local.yaml"]


def test_ci_kind_profile_wins_over_the_auto_activated_local_kind(config: dict[str, Any]):
    names = [p["name"] for p in config["profiles"]]
    assert names.index("local-kind") < names.index("ci-kind"), "ci-kind must be applied last"
    ci = profile(config, "ci-kind")
    assert "activation" not in ci, "ci-kind is chosen explicitly (-p ci-kind)"
    result = effective(config, "local-kind", "ci-kind")
    assert result["deploy"]["statusCheckDeadlineSeconds"] == 300
    assert result["build"]["local"]["tryImportMissing"] is False
    assert result["build"]["local"]["push"] is False
    assert result["deploy"]["helm"]["releases"][0]["valuesFiles"] == ["charts/jetscale/values-ci.yaml"]
    assert all(a["docker"]["noCache"] is True for a in result["build"]["artifacts"])
    assert (CHART / "values-ci.yaml").is_file()


def test_every_profile_keeps_a_schema_valid_config(config: dict[str, Any]):
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    for names in (("local-kind",), ("ci-kind",), ("local-kind", "ci-kind")):
        result = effective(config, *names)
        result.pop("profiles")
        assert [e.message for e in validator.iter_errors(result)] == [], names

"""The jetscale chart with the real helm: lint, determinism, Kubernetes schemas, security, secrets, schema."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from stack_helpers import CHART, REPO, Render, by_kind, run_helm

KUBE_VERSION = "1.33"
APPS = {"jetscale-backend": 8000, "jetscale-frontend": 3000}
VALUES_FILES = ["values.yaml", "values-local.yaml", "values-ci.yaml"]
ES_ON = [
    "--set", "backend.externalSecrets.enabled=true",
    "--set", "backend.externalSecrets.secretStoreRef.name=fleet-secrets",
]  # fmt: skip
NONDETERMINISTIC = re.compile(r"\b(rand\w*|uuidv4|now|lookup|genCA|genSelfSigned\w*|genPrivateKey|date)\b")


def values_args(name: str) -> list[str]:
    return [] if name == "values.yaml" else ["--values", str(CHART / name)]


def containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        c for d in by_kind(docs, "Deployment").values() for c in d["spec"]["template"]["spec"]["containers"]
    ]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_lint_strict_with_subcharts_passes(helm: str):
    done = run_helm(helm, "lint", "--strict", "--with-subcharts", str(CHART))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 chart(s) linted, 0 chart(s) failed" in done.stdout
    assert "[WARNING]" not in done.stdout and "[ERROR]" not in done.stdout


@pytest.mark.parametrize("values", VALUES_FILES[1:])
def test_lint_strict_passes_with_each_values_file(helm: str, values: str):
    done = run_helm(helm, "lint", "--strict", str(CHART), "--values", str(CHART / values))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("values", VALUES_FILES)
def test_rendering_is_deterministic(helm: str, values: str):
    args = ["template", "jetscale", str(CHART), "-n", "jetscale", *values_args(values), *ES_ON]
    first, second = run_helm(helm, *args), run_helm(helm, *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_templates_use_no_nondeterministic_functions():
    for template in CHART.rglob("templates/*"):
        actions = " ".join(re.findall(r"\{\{(.*?)\}\}", template.read_text(), re.DOTALL))
        assert not NONDETERMINISTIC.search(actions), f"{template}: {NONDETERMINISTIC.search(actions)}"


@pytest.mark.parametrize("values", VALUES_FILES)
def test_no_crds_no_hooks(render: Render, values: str):
    for doc in render(*values_args(values), *ES_ON):
        assert doc["kind"] != "CustomResourceDefinition"
        annotations = doc["metadata"].get("annotations") or {}
        assert not [a for a in annotations if a.startswith("helm.sh/hook")], doc["metadata"]["name"]
    assert not (CHART / "crds").exists()


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_builtin_manifest_passes_kubernetes_validate_strict(render: Render, values: str):
    docs = render(
        *values_args(values), "--kube-version", KUBE_VERSION, "--set", "backend.ingress.enabled=true"
    )
    kinds = set()
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        kinds.add(doc["kind"])
    assert {"Deployment", "Service", "Secret", "Ingress"} <= kinds


def test_stable_names_ports_and_labels(render: Render):
    docs = render()
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    assert set(deployments) == set(services) == set(APPS)
    for name, port in APPS.items():
        service, pod = services[name], deployments[name]["spec"]["template"]
        assert service["spec"]["ports"] == [
            {"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}
        ]
        container_ports = pod["spec"]["containers"][0]["ports"]
        assert container_ports == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        labels = deployments[name]["metadata"]["labels"]
        for key in ("name", "instance", "component", "managed-by"):
            assert labels[f"app.kubernetes.io/{key}"]
        assert labels["app.kubernetes.io/instance"] == "jetscale"
        assert labels["helm.sh/chart"].endswith("-0.1.0")
        selector = service["spec"]["selector"]
        assert selector == deployments[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()


def test_images_default_to_dev_tags_and_follow_the_values_skaffold_sets(render: Render):
    default = {c["name"]: c for c in containers(render())}
    assert default["backend"]["image"] == "jetscale-backend:dev"
    assert default["frontend"]["image"] == "jetscale-frontend:dev"
    assert default["backend"]["imagePullPolicy"] == "IfNotPresent"
    built = render(
        "--set", "backend.image.repository=jetscale-backend",
        "--set", "backend.image.tag=9f8e7d",
        "--set", "frontend.image.repository=registry.local/jetscale-frontend",
        "--set", "frontend.image.tag=abc",
    )  # fmt: skip
    images = {c["name"]: c["image"] for c in containers(built)}
    assert images == {
        "backend": "jetscale-backend:9f8e7d",
        "frontend": "registry.local/jetscale-frontend:abc",
    }


def test_every_pod_and_container_is_locked_down(render: Render):
    for values in VALUES_FILES:
        for deployment in by_kind(render(*values_args(values)), "Deployment").values():
            pod = deployment["spec"]["template"]["spec"]
            context = pod["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] == 10001
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
            for container in pod["containers"]:
                sc = container["securityContext"]
                assert sc["readOnlyRootFilesystem"] is True
                assert sc["allowPrivilegeEscalation"] is False
                assert sc["capabilities"] == {"drop": ["ALL"]}
                assert {"requests", "limits"} <= container["resources"].keys()
                for probe in ("readinessProbe", "livenessProbe"):
                    assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                assert mounts["/tmp"] in tmp_volumes


def test_app_settings_reach_the_containers(render: Render):
    docs = render(
        "--set-json", 'backend.allowedOrigins=["http://localhost:3000","https://app.example.com"]',
        "--set", "frontend.apiBaseUrl=http://localhost:18000",
        "--set", "backend.env.LOG_LEVEL=debug",
    )  # fmt: skip
    env = {c["name"]: env_of(c) for c in containers(docs)}
    assert env["backend"]["ALLOWED_ORIGINS"] == "http://localhost:3000,https://app.example.com"
    assert env["backend"]["HOST"] == "0.0.0.0" and env["backend"]["PORT"] == "8000"
    assert env["backend"]["LOG_LEVEL"] == "debug"
    assert env["frontend"]["VITE_API_BASE_URL"] == "http://localhost:18000"
    default = {c["name"]: env_of(c) for c in containers(render())}
    assert default["frontend"]["VITE_API_BASE_URL"] == "http://localhost:8000"
    assert default["backend"]["ALLOWED_ORIGINS"] == "http://localhost:3000"


def test_local_default_is_a_plain_secret_the_backend_reads_and_no_external_secret(render: Render):
    docs = render()
    assert not by_kind(docs, "ExternalSecret")
    secrets = by_kind(docs, "Secret")
    backend = by_kind(docs, "Deployment")["jetscale-backend"]["spec"]["template"]["spec"]["containers"][0]
    (secret_ref,) = backend["envFrom"]
    assert set(secrets) == {secret_ref["secretRef"]["name"]}
    assert set(secrets[secret_ref["secretRef"]["name"]]["data"]) == {"DATABASE_URL"}


def test_external_secrets_on_renders_an_external_secret_for_the_cluster_store(render: Render):
    docs = render(*ES_ON, "--set", "backend.externalSecrets.targetSecretName=jetscale-backend-env")
    (external,) = by_kind(docs, "ExternalSecret").values()
    assert external["apiVersion"] == "external-secrets.io/v1"
    spec = external["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "fleet-secrets"}
    assert spec["target"]["name"] == "jetscale-backend-env"
    assert {d["secretKey"] for d in spec["data"]} == {"DATABASE_URL", "API_TOKEN"}
    assert all(d["remoteRef"]["key"] for d in spec["data"])
    backend = by_kind(docs, "Deployment")["jetscale-backend"]["spec"]["template"]["spec"]["containers"][0]
    assert backend["envFrom"] == [{"secretRef": {"name": "jetscale-backend-env"}}]
    assert not by_kind(docs, "Secret"), "the ExternalSecret replaces the local Secret"


def test_external_secrets_needs_a_store_name(helm: str):
    done = run_helm(helm, "template", "jetscale", str(CHART), "--set", "backend.externalSecrets.enabled=true")
    assert done.returncode != 0
    assert "secretStoreRef/name" in done.stderr


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("replicas: 2\n", "additional properties 'replicas' not allowed"),
        ('backend:\n  replicas: "two"\n', "/replicas"),
        ("backend:\n  replcas: 2\n", "additional properties 'replcas' not allowed"),
        ("frontend:\n  image:\n    pullPolicy: Sometimes\n", "/image/pullPolicy"),
    ],
)
def test_schema_rejects_unknown_keys_and_wrong_types(helm: str, tmp_path: Path, values: str, expected: str):
    bad = tmp_path / "values-bad.yaml"
    bad.write_text(values)
    for command in (["template", "jetscale"], ["lint", "--strict"]):
        done = run_helm(helm, *command, str(CHART), "--values", str(bad))
        assert done.returncode != 0, command
        assert expected in done.stdout + done.stderr, command


def test_subcharts_are_unpacked_and_match_chart_lock(helm: str):
    done = run_helm(helm, "dependency", "list", str(CHART))
    rows = {line.split()[0]: line.split()[-1] for line in done.stdout.splitlines()[1:] if line.strip()}
    assert rows == {"backend": "unpacked", "frontend": "unpacked"}
    listed = subprocess.run(
        ["git", "ls-files", "charts/jetscale"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "charts/jetscale/Chart.lock" in listed
    assert not [name for name in listed if name.endswith(".tgz")], "the unpacked subcharts are the source"

"""The kind stand-in: kind's lines, streams and exit codes; kubeconfig care; nodes in real Docker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from helpers import free_port, wait_for
from standin_helpers import EKS_CONTEXT, Standins, connect_result, docker_name

from devstack.core.toolout import kind_progress
from devstack.sources import kind as kind_source
from devstack.sources.tools import ToolEnv
from devstack_sim.standins import nodes

STEPS = [
    "Ensuring node image (kindest/node:v1.36.1) 🖼️",
    "Preparing nodes 📦 ",
    "Writing configuration 📜",
    "Starting control-plane 🕹️",
    "Installing CNI 🔌",
    "Installing StorageClass 💾",
]
GOODBYES = (
    "Have a nice day! 👋",
    "Thanks for using kind! 😊",
    "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
    "Have a question, bug, or feature request? Let us know! https://kind.sigs.k8s.io/#community 🙂",
)


def expected_create_lines(name: str, kubeconfig: Path, wait: bool) -> list[str]:
    """kind's non-TTY stderr for a one-node create (without the random goodbye line)."""
    lines = [f'Creating cluster "{name}" ...']
    for step in STEPS:
        lines += [f" • {step}  ...", f" ✓ {step}"]
    if wait:
        step = "Waiting ≤ 2m0s for control-plane = Ready ⏳"
        lines += [f" • {step}  ...", f" ✓ {step}", " • Ready after 0s 💚"]
    return [
        *lines,
        f'Set kubectl context to "kind-{name}"',
        "You can now use your cluster with:",
        "",
        f"kubectl cluster-info --context kind-{name} --kubeconfig {kubeconfig}",
        "",
    ]


def test_get_clusters_with_none_says_so_on_stderr(standins: Standins) -> None:
    done = standins.run("kind", "get", "clusters")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "No kind clusters found.\n")
    assert kind_source.clusters(ToolEnv(env=standins.env, allow_sim=True)) == []
    assert [(i["tool"], i["argv"]) for i in standins.invocations()] == [
        ("kind", ["get", "clusters"]),
        ("kind", ["get", "clusters"]),
    ]


def test_devstack_does_not_find_the_standins_unless_allowed(standins: Standins) -> None:
    assert ToolEnv(env=standins.env, allow_sim=True).which("kind") == str(Standins.BIN / "kind")
    # the default (no DEVSTACK_SIM_TOOLS=1) and an explicit allow_sim=False never see them
    assert ToolEnv(env=standins.env).which("kind") != str(Standins.BIN / "kind")
    assert ToolEnv(env=standins.env, allow_sim=False).which("skaffold") != str(Standins.BIN / "skaffold")
    assert "devstack simulator stand-in" in standins.run("kind", "--help").stdout
    assert "devstack simulator stand-in" in standins.run("skaffold", "--help").stdout


def test_version_parses_like_kinds(standins: Standins) -> None:
    done = standins.run("kind", "version")
    assert done.returncode == 0
    assert done.stdout == "kind v0.32.0 go1.24.0 linux/amd64\n"
    assert re.search(r"v(\d+)\.(\d+)\.(\d+)", done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("docker_mode", ["off", "on"])
def test_create_use_duplicate_delete(
    standins: Standins, docker_mode: str, request: pytest.FixtureRequest
) -> None:
    if docker_mode == "on":
        request.getfixturevalue("docker_daemon")
    standins.env["DEVSTACK_SIM_DOCKER"] = docker_mode
    name = docker_name("life") if docker_mode == "on" else "life-off"
    done = standins.run(
        "kind",
        "create",
        "cluster",
        "--name",
        name,
        "--wait",
        "120s",
        "--kubeconfig",
        str(standins.kubeconfig),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[:-1] == expected_create_lines(name, standins.kubeconfig, wait=True)
    assert lines[-1] in GOODBYES
    # devstack's own parser turns the lines into step names
    assert [kind_progress(line) for line in lines[1:4]] == [
        "Ensuring node image (kindest/node:v1.36.1)",
        "Ensuring node image (kindest/node:v1.36.1)",
        "Preparing nodes",
    ]

    config = standins.kubeconfig_doc()
    assert config["current-context"] == f"kind-{name}"
    assert {EKS_CONTEXT, f"kind-{name}"} <= {c["name"] for c in config["contexts"]}
    namespaces = standins.kubectl(f"kind-{name}", "get", "ns", "-o", "name")
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/kube-system" in namespaces.stdout.split()
    listed = standins.run("kind", "get", "clusters")
    assert (listed.stdout, listed.stderr) == (f"{name}\n", "")
    _, api_port = standins.server(f"kind-{name}")
    assert connect_result("127.0.0.1", api_port) == "ok"

    again = standins.run(
        "kind", "create", "cluster", "--name", name, "--kubeconfig", str(standins.kubeconfig)
    )
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr == (
        f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"\n'
    )

    deleted = standins.run(
        "kind", "delete", "cluster", "--name", name, "--kubeconfig", str(standins.kubeconfig)
    )
    assert deleted.returncode == 0
    assert deleted.stderr == f'Deleting cluster "{name}" ...\nDeleted nodes: ["{name}-control-plane"]\n'
    config = standins.kubeconfig_doc()
    for section in ("clusters", "contexts", "users"):
        assert [e["name"] for e in config[section]] == [EKS_CONTEXT]
    assert config["current-context"] == ""
    assert connect_result(*standins.server(EKS_CONTEXT) if False else ("127.0.0.1", 1)) in (
        "refused",
        "OSError",
    )

    twice = standins.run(
        "kind", "delete", "cluster", "--name", name, "--kubeconfig", str(standins.kubeconfig)
    )
    assert (twice.returncode, twice.stdout, twice.stderr) == (0, "", f'Deleting cluster "{name}" ...\n')
    assert standins.run("kind", "get", "clusters").stderr == "No kind clusters found.\n"


def test_devstack_sources_drive_the_standin(standins: Standins) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    tools = ToolEnv(env=standins.env, allow_sim=True)
    seen: list[str] = []
    kind_source.create(
        tools, "viasources", None, str(standins.kubeconfig), seen.append, wait="30s", timeout=120
    )
    assert "Starting control-plane" in [kind_progress(line) for line in seen]
    assert kind_source.clusters(tools) == ["viasources"]
    # the context disappears from the kubeconfig; export brings it back
    doc = standins.kubeconfig_doc()
    for section in ("clusters", "contexts", "users"):
        doc[section] = [e for e in doc[section] if e["name"] != "kind-viasources"]
    doc["current-context"] = EKS_CONTEXT
    standins.kubeconfig.write_text(yaml.safe_dump(doc), encoding="utf-8")
    kind_source.export_kubeconfig(tools, "viasources", str(standins.kubeconfig))
    doc = standins.kubeconfig_doc()
    assert doc["current-context"] == "kind-viasources"
    assert (
        standins.kubectl("kind-viasources", "get", "ns", "default", "-o", "name").stdout
        == "namespace/default\n"
    )
    output = kind_source.delete(tools, "viasources", str(standins.kubeconfig))
    assert output.splitlines() == [
        'Deleting cluster "viasources" ...',
        'Deleted nodes: ["viasources-control-plane"]',
    ]


def test_name_precedence_and_validation(standins: Standins, tmp_path: Path) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    config = tmp_path / "kind.yaml"
    config.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: fromconfig\n", encoding="utf-8"
    )
    bad = standins.run("kind", "create", "cluster", "--name", "Bad_Name")
    assert bad.returncode == 1
    assert bad.stderr == (
        "ERROR: failed to create cluster: 'Bad_Name' is not a valid cluster name, "
        "cluster names must match `^[a-z0-9.-]+$`\n"
    )
    env = {**standins.env, "KIND_CLUSTER_NAME": "fromenv"}
    assert standins.run("kind", "create", "cluster", "--config", str(config), env=env).returncode == 0
    assert (
        standins.run("kind", "create", "cluster", "--config", "-", stdin=config.read_text()).returncode == 0
    )
    assert standins.run("kind", "get", "clusters").stdout == "fromconfig\nfromenv\n"
    # no --kubeconfig: the first entry of $KUBECONFIG is written
    assert {"kind-fromenv", "kind-fromconfig", EKS_CONTEXT} == {
        c["name"] for c in standins.kubeconfig_doc()["contexts"]
    }
    missing = standins.run("kind", "create", "cluster", "--config", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert (
        missing.stderr
        == f"ERROR: failed to create cluster: open {tmp_path / 'nope.yaml'}: no such file or directory\n"
    )
    flag = standins.run("kind", "create", "cluster", "--bogus")
    assert (flag.returncode, flag.stderr) == (1, "ERROR: unknown flag: --bogus\n")


def test_get_kubeconfig_and_missing_cluster(standins: Standins) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    missing = standins.run("kind", "get", "kubeconfig", "--name", "ghost")
    assert missing.returncode == 1
    assert missing.stderr == (
        "ERROR: could not locate any control plane nodes for cluster named 'ghost'. "
        "Use the --name option to select a different cluster\n"
    )
    standins.create("kc")
    printed = yaml.safe_load(standins.run("kind", "get", "kubeconfig", "-n", "kc").stdout)
    assert printed["current-context"] == "kind-kc"
    assert printed["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{standins.server('kind-kc')[1]}"
    internal = yaml.safe_load(standins.run("kind", "get", "kubeconfig", "-n", "kc", "--internal").stdout)
    assert internal["clusters"][0]["cluster"]["server"] == "https://kc-control-plane:6443"


def test_home_is_required(standins: Standins) -> None:
    env = {k: v for k, v in standins.env.items() if k != "DEVSTACK_SIM_HOME"}
    for tool in ("kind", "skaffold"):
        done = standins.run(tool, "version", env=env)
        assert done.returncode == 1
        assert "DEVSTACK_SIM_HOME is not set" in done.stderr


@pytest.mark.slow
def test_load_docker_image(standins: Standins, tmp_path: Path) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    standins.create("loads")
    absent = standins.run("kind", "load", "docker-image", "never-built:1", "--name", "loads")
    assert (absent.returncode, absent.stderr) == (1, 'ERROR: image: "never-built:1" not present locally\n')
    built = standins.run("skaffold", "build", "-q", "--kube-context", "kind-loads")
    assert built.returncode == 0, built.stderr
    tag = next(
        b["tag"] for b in yaml.safe_load(built.stdout)["builds"] if b["imageName"] == "jetscale-backend"
    )
    first = standins.run("kind", "load", "docker-image", tag, "--name", "loads")
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(
        rf'Image: "{re.escape(tag)}" with ID "sha256:[0-9a-f]{{64}}" not yet present on node "loads-control-plane", loading\.\.\.\n',
        first.stderr,
    )
    second = standins.run("kind", "load", "docker-image", tag, "--name", "loads")
    assert second.stderr.endswith("found to be already present on all nodes.\n")
    unknown = standins.run("kind", "load", "docker-image", tag, "--name", "loads", "--nodes", "bogus")
    assert (unknown.returncode, unknown.stderr) == (1, 'ERROR: unknown node: "bogus"\n')
    nocluster = standins.run("kind", "load", "docker-image", tag, "--name", "ghost")
    assert (nocluster.returncode, nocluster.stderr) == (1, 'ERROR: no nodes found for cluster "ghost"\n')
    # the API node lists the image where skaffold looks for it
    from kubernetes import client

    node = client.CoreV1Api(standins.api_client("kind-loads")).read_node("loads-control-plane")
    assert any(f"docker.io/library/{tag}" in (i.names or []) for i in node.status.images or [])


KIND_CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: 80
        hostPort: {host_port}
        listenAddress: 127.0.0.1
      - containerPort: 53
        hostPort: {udp_port}
        protocol: UDP
  - role: worker
"""


@pytest.mark.slow
def test_nodes_in_docker_and_the_api_follows_the_control_plane(
    docker_daemon: None, standins: Standins, tmp_path: Path
) -> None:
    from kubernetes import client

    standins.env["DEVSTACK_SIM_DOCKER"] = "on"
    host_port, udp_port = free_port(), free_port()
    config = tmp_path / "kind.yaml"
    config.write_text(KIND_CONFIG.format(host_port=host_port, udp_port=udp_port), encoding="utf-8")
    name = docker_name("dock")
    done = standins.create(name, "--config", str(config))
    assert " • Joining worker nodes 🚜  ..." in done.stderr.splitlines()
    assert " • Preparing nodes 📦 📦   ..." in done.stderr.splitlines()
    api_host, api_port = standins.server(f"kind-{name}")

    docker = nodes.docker_client()
    assert docker is not None
    try:
        found = {
            c.name: c
            for c in docker.containers.list(all=True, filters={"label": f"io.x-k8s.kind.cluster={name}"})
        }
        assert sorted(found) == [f"{name}-control-plane", f"{name}-worker"]
        plane = found[f"{name}-control-plane"]
        assert plane.labels["io.x-k8s.kind.role"] == "control-plane"
        assert found[f"{name}-worker"].labels["io.x-k8s.kind.role"] == "worker"
        assert plane.attrs["Config"]["Hostname"] == f"{name}-control-plane"
        assert plane.attrs["HostConfig"]["NetworkMode"] == "none"
        assert plane.attrs["HostConfig"]["PortBindings"] == {
            "6443/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(api_port)}],
            "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}],
            "53/udp": [{"HostIp": "0.0.0.0", "HostPort": str(udp_port)}],
        }
        assert found[f"{name}-worker"].attrs["HostConfig"]["PortBindings"] in ({}, None)

        # devstack's own node reader and drift check see a cluster that matches its config
        from devstack.engine.cluster import drift
        from devstack.settings import Settings
        from devstack.sources.nodes import list_nodes

        seen = list_nodes(name, Settings.from_environ())
        assert [(n.name, n.role, n.running) for n in seen] == [
            (f"{name}-control-plane", "control-plane", True),
            (f"{name}-worker", "worker", True),
        ]
        assert drift(yaml.safe_load(config.read_text()), seen) == []

        core = client.CoreV1Api(standins.api_client(f"kind-{name}"))
        created = core.create_namespaced_config_map(
            "default", {"metadata": {"name": "survivor"}, "data": {"answer": "42"}}
        )
        plane.stop(timeout=10)
        wait_for(lambda: connect_result(api_host, api_port) == "refused", 10, "the API to refuse connections")
        assert standins.kubectl(f"kind-{name}", "get", "ns").returncode == 1
        plane.start()
        wait_for(lambda: connect_result(api_host, api_port) == "ok", 15, "the API to listen again")
        again = client.CoreV1Api(standins.api_client(f"kind-{name}")).read_namespaced_config_map(
            "survivor", "default"
        )
        assert again.data == {"answer": "42"}
        assert again.metadata.uid == created.metadata.uid

        deleted = standins.run(
            "kind", "delete", "cluster", "--name", name, "--kubeconfig", str(standins.kubeconfig)
        )
        assert deleted.stderr.splitlines() == [
            f'Deleting cluster "{name}" ...',
            f'Deleted nodes: ["{name}-control-plane" "{name}-worker"]',
        ]
        assert docker.containers.list(all=True, filters={"label": f"io.x-k8s.kind.cluster={name}"}) == []
        assert connect_result(api_host, api_port) == "refused"
    finally:
        docker.close()

"""The simulated node: one kind-like control-plane node that runs every pod."""

from __future__ import annotations

import platform
from typing import Any

from devstack.sim.errors import ApiError
from devstack.sim.resources import NODES
from devstack.sim.store import Obj, Store

from .meta import now_rfc3339, parse_cpu_millis, parse_memory_bytes

NODE_IP = "172.18.0.2"  # where kind puts its first node on the `kind` docker network
KUBELET_VERSION = "v1.33.1"
# 8 CPUs and 16Gi, as the brief's reference machine; the pod limit is raised for scale tests.
ALLOCATABLE = {"cpu": "8", "memory": "16Gi", "pods": "10000", "ephemeral-storage": "100Gi"}


def node_object(name: str) -> Obj:
    """A Ready node as kind would register it."""
    now = now_rfc3339()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")

    def cond(type_: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "type": type_,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }

    return {
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": arch,
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {
            "podCIDR": "10.244.0.0/16",
            "podCIDRs": ["10.244.0.0/16"],
            "providerID": f"kind://docker/sim/{name}",
        },
        "status": {
            "capacity": dict(ALLOCATABLE),
            "allocatable": dict(ALLOCATABLE),
            "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": name}],
            "conditions": [
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond(
                    "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"
                ),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "nodeInfo": {
                "architecture": arch,
                "containerRuntimeVersion": "containerd://2.1.1",
                "kernelVersion": platform.release(),
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
            },
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        },
    }


def ensure_node(store: Store, name: str) -> Obj:
    """The stored node, registering it first when nobody has."""
    node = store.get(NODES, "", name)
    if node is not None:
        return node
    try:
        return store.create(NODES, node_object(name))
    except ApiError:
        return store.require(NODES, "", name)


def node_ip(node: Obj) -> str:
    """The node's InternalIP."""
    for address in node.get("status", {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return NODE_IP


def allocatable(node: Obj) -> tuple[int, int, int]:
    """(cpu millicores, memory bytes, pods) the node offers."""
    alloc = node.get("status", {}).get("allocatable") or ALLOCATABLE
    return (
        parse_cpu_millis(alloc.get("cpu", ALLOCATABLE["cpu"])),
        parse_memory_bytes(alloc.get("memory", ALLOCATABLE["memory"])),
        int(alloc.get("pods", ALLOCATABLE["pods"])),
    )

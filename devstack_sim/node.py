"""The simulated node as kind registers it: one Ready control-plane node that runs every pod."""

from __future__ import annotations

import platform
import uuid

from devstack_sim.store import Obj, now_rfc3339

NODE_IP = "172.18.0.2"  # where kind puts its first node on the `kind` docker network
KUBELET_VERSION = "v1.33.1"
# 8 CPUs and 16Gi like a developer laptop; the pod limit is raised for the 5,000-pod scale tests.
ALLOCATABLE = {
    "cpu": "8",
    "memory": "16Gi",
    "pods": "10000",
    "ephemeral-storage": "100Gi",
    "hugepages-2Mi": "0",
}


def node_object(name: str) -> Obj:
    """A Ready control-plane node as kind registers it."""
    now = now_rfc3339()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")

    def condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {
            "type": kind,
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
                "node.kubernetes.io/exclude-from-external-load-balancers": "",
            },
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": "10.244.0.0/24",
            "podCIDRs": ["10.244.0.0/24"],
            "providerID": f"kind://docker/kind/{name}",
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": name},
            ],
            "capacity": dict(ALLOCATABLE),
            "allocatable": dict(ALLOCATABLE),
            "conditions": [
                condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                condition(
                    "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
                ),
                condition(
                    "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"
                ),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": arch,
                "bootID": str(uuid.uuid4()),
                "containerRuntimeVersion": "containerd://2.1.1",
                "kernelVersion": platform.release(),
                "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION,
                "machineID": uuid.uuid4().hex,
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": str(uuid.uuid4()),
            },
        },
    }

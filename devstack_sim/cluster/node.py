"""The simulated node: one kind-like control-plane node that runs every pod."""

from __future__ import annotations

from devstack_sim.errors import ApiError
from devstack_sim.node import ALLOCATABLE, NODE_IP, node_object
from devstack_sim.resources import NODES
from devstack_sim.store import Obj, Store

from .meta import parse_cpu_millis, parse_memory_bytes


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

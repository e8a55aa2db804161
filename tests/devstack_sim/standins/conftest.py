"""Fixtures for the kind/skaffold stand-in tests: an isolated `$DEVSTACK_SIM_HOME`, the stand-ins first
on PATH, a kubeconfig already holding an unrelated EKS context, and a teardown that deletes every
cluster the test created and proves no daemon, pod process or node container is left behind."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from standin_helpers import EKS_CONTEXT, Standins, eks_kubeconfig

from devstack_sim.standins import daemon, nodes


def _daemon_processes(home: Path) -> list[psutil.Process]:
    found = []
    for folder in (home / "clusters").glob("*"):
        process = daemon.running(folder)
        if process is not None:
            found.append(process)
    return found


def _processes_mentioning(text: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(text in part for part in process.info["cmdline"] or []):
                found.append(process)
        except (psutil.Error, TypeError):
            continue
    return found


def _labelled_containers() -> list[object]:
    client = nodes.docker_client()
    if client is None:
        return []
    try:
        return list(client.containers.list(all=True, filters={"label": nodes.CLUSTER_LABEL}))
    finally:
        client.close()


_BEFORE_THIS_RUN = frozenset(getattr(c, "id", "") for c in _labelled_containers())
"""Node containers that were there before this test run (an interrupted earlier run's): not this run's leak."""


def _kind_containers(home: Path) -> list[str]:
    """Kind-labelled containers that belong to this test's home (or, made during this run, to no live home)."""
    client = nodes.docker_client()
    if client is None:
        return []
    try:
        leftovers = []
        for container in client.containers.list(all=True, filters={"label": nodes.CLUSTER_LABEL}):
            owner = container.labels.get(nodes.HOME_LABEL, "")
            orphan = (not owner or not Path(owner).exists()) and container.id not in _BEFORE_THIS_RUN
            if owner == str(home) or orphan:
                leftovers.append(container.name)
        return leftovers
    finally:
        client.close()


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standins]:
    """The stand-ins' environment; after the test every cluster is deleted and nothing may remain."""
    home = tmp_path / "simhome"
    kubeconfig = tmp_path / "kube" / "config"
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.write_text(yaml.safe_dump(eks_kubeconfig()), encoding="utf-8")
    env = dict(os.environ)
    env.update(
        DEVSTACK_SIM_HOME=str(home),
        DEVSTACK_SIM_PYTHON=sys.executable,
        KUBECONFIG=str(kubeconfig),
        KUBECACHEDIR=str(tmp_path / "kube" / "cache"),
        PATH=os.pathsep.join([str(Standins.BIN), env.get("PATH", "")]),
    )
    env.pop("KIND_CLUSTER_NAME", None)
    env.pop("DEVSTACK_SIM_TOOLS", None)
    for key in ("DEVSTACK_SIM_HOME", "DEVSTACK_SIM_PYTHON", "KUBECONFIG", "KUBECACHEDIR", "PATH"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("KIND_CLUSTER_NAME", raising=False)
    monkeypatch.delenv("DEVSTACK_SIM_TOOLS", raising=False)
    helper = Standins(home=home, kubeconfig=kubeconfig, env=env)
    try:
        yield helper
    finally:
        spawned = []
        for process in _daemon_processes(home):
            try:
                spawned += [process, *process.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        for folder in sorted((home / "clusters").glob("*")):
            helper.run("kind", "delete", "cluster", "--name", folder.name, "--kubeconfig", str(kubeconfig))
        for folder in sorted((home / "clusters").glob("*")):
            daemon.stop(folder)  # only reached when delete failed; the assertions below then fail
        _, alive = psutil.wait_procs(spawned, timeout=10)
        leftovers = _kind_containers(home)
        mentioning = _processes_mentioning(str(home))
        config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
        assert not alive, f"daemon or pod processes outlived `kind delete cluster`: {alive}"
        assert not mentioning, f"processes still running from {home}: {mentioning}"
        assert not leftovers, f"kind node containers left behind: {leftovers}"
        assert EKS_CONTEXT in [c["name"] for c in config.get("contexts") or []], (
            "the unrelated context was lost"
        )

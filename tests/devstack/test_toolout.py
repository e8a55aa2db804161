"""Parsing kind and skaffold output lines (strings from ../shared/contracts/TOOLS.md)."""

from __future__ import annotations

from devstack.core import events as ev
from devstack.core.reducer import reduce
from devstack.core.state import State
from devstack.core.toolout import kind_progress, parse_skaffold_line


def test_kind_steps() -> None:
    assert (
        kind_progress(" • Ensuring node image (kindest/node:v1.36.1) 🖼️  ...")
        == "Ensuring node image (kindest/node:v1.36.1)"
    )
    assert kind_progress(" ✓ Preparing nodes 📦 ") == "Preparing nodes"
    assert (
        kind_progress(" • Waiting ≤ 2m0s for control-plane = Ready ⏳  ...")
        == "Waiting ≤ 2m0s for control-plane = Ready"
    )
    assert kind_progress('Creating cluster "jetscale" ...') == 'Creating cluster "jetscale" ...'
    assert kind_progress("\x1b[32m ✓\x1b[0m Writing configuration 📜") == "Writing configuration"
    assert kind_progress("Have a nice day! 👋") is None


def test_skaffold_status_lines() -> None:
    ready = parse_skaffold_line(" - deployment/jetscale-backend is ready. [1/2 deployment(s) still pending]")
    assert ready is not None and (ready.kind, ready.subject) == ("rollout-ready", "jetscale-backend")
    ready_ns = parse_skaffold_line(" - jetscale:deployment/jetscale-frontend is ready.")
    assert ready_ns is not None and ready_ns.subject == "jetscale-frontend"
    failed = parse_skaffold_line(
        " - deployment/jetscale-backend failed. Error: container backend is backing off waiting to restart."
    )
    assert failed is not None and failed.kind == "rollout-failed"
    assert failed.detail == "container backend is backing off waiting to restart"
    assert parse_skaffold_line("1/2 deployment(s) failed").kind == "status-failed"  # type: ignore[union-attr]
    assert parse_skaffold_line("Deployments stabilized in 3.21 seconds").kind == "stabilized"  # type: ignore[union-attr]
    fwd = parse_skaffold_line(
        "Port forwarding service/jetscale-frontend in namespace jetscale, remote port 3000 -> http://127.0.0.1:3001"
    )
    assert fwd is not None and fwd.detail == "3001"
    assert parse_skaffold_line("some docker build chatter") is None


def feed(*lines: str) -> State:
    state = reduce(State(), ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=0.0))
    for line in lines:
        state = reduce(state, ev.DeployOutput(line, at=1.0))
    return state


def test_a_dev_loop_counts_iterations_and_tracks_rollouts() -> None:
    state = feed(
        "Generating tags...",
        "Checking cache...",
        " - jetscale-frontend: Found Locally",
        "Building [jetscale-backend]...",
        "Build [jetscale-backend] succeeded",
        "Starting deploy...",
        "Waiting for deployments to stabilize...",
        " - jetscale:deployment/jetscale-backend: waiting for rollout to finish: 0 of 1 updated replicas are available...",
        " - jetscale:deployment/jetscale-backend is ready. [1/2 deployment(s) still pending]",
        " - jetscale:deployment/jetscale-frontend is ready.",
        "Deployments stabilized in 2.1 seconds",
        "Watching for changes...",
    )
    deploy = state.deploy
    assert deploy.phase == "watching" and deploy.iteration == 1
    assert dict(deploy.artifacts) == {"jetscale-frontend": "cached", "jetscale-backend": "built"}
    assert deploy.rollout("jetscale-backend") == ("ready", "")
    state = reduce(state, ev.DeployOutput("Generating tags...", at=2.0))
    assert state.deploy.iteration == 2 and state.deploy.phase == "building" and state.deploy.rollouts == ()


def test_a_failed_run_keeps_its_errors_and_exit_code() -> None:
    state = feed(
        "Generating tags...",
        "Starting deploy...",
        "Waiting for deployments to stabilize...",
        " - deployment/jetscale-backend failed. Error: container backend is waiting to start: jetscale-backnd:dev can't be pulled.",
        "1/2 deployment(s) failed",
    )
    state = reduce(state, ev.DeployExited(1, at=3.0))
    assert state.deploy.phase == "failed" and state.deploy.exit_code == 1
    assert any("can't be pulled" in e for e in state.deploy.errors)
    assert state.deploy.lines[-1] == "1/2 deployment(s) failed"

"""The tilt stand-in's command line without a cluster: version, cobra's unknown-flag refusal, the
client with no Tilt running, a busy web port, and Tiltfile load errors (syntax, unknown builtin,
a context Tilt will not deploy to) as `tilt ci` reports them (TILT.md §0, §1.4, §2.2, §4.1, §7)."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest
from helpers import free_port, wait_for
from tilt_helpers import EKS_CONTEXT, run, stack, start, tilt_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tilt_env(tmp_path)


def test_version_prints_the_build_stamp_and_follows_the_simulator_setting(env: dict[str, str]) -> None:
    done = run(env, "version")
    assert (done.returncode, done.stdout, done.stderr) == (0, "v0.37.6, built 2026-07-28\n", "")
    assert run(env, "--version").stdout == "v0.37.6, built 2026-07-28\n"
    older = {**env, "DEVSTACK_SIM_TILT_VERSION": "0.35.2"}
    assert run(older, "version").stdout == "v0.35.2, built 2026-07-28\n"
    refused = run(older, "--version")  # `tilt --version` exists from v0.37.0
    assert refused.returncode == 1 and "unknown flag: --version" in refused.stderr


@pytest.mark.parametrize("flag", ["--hud", "--watch", "--no-such-flag"])
def test_an_unknown_flag_is_refused_like_cobra(env: dict[str, str], flag: str) -> None:
    done = run(env, "up", flag)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: unknown flag: {flag}\n")
    assert done.stdout == f"unknown flag: {flag}\n"


def test_log_filter_flags_exist_from_v0_34(env: dict[str, str]) -> None:
    old = run({**env, "DEVSTACK_SIM_TILT_VERSION": "0.33.9"}, "up", "--log-level", "warn")
    assert old.returncode == 1 and old.stdout == "unknown flag: --log-level\n"


def test_client_commands_without_a_running_tilt(env: dict[str, str]) -> None:
    done = run(env, "get", "uiresources", "-o", "json")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "Error: No tilt apiserver found: tilt-default\n"
    other = run({**env, "TILT_PORT": "10999"}, "wait", "--for=condition=Ready", "uiresource/x")
    assert other.returncode == 1 and other.stderr == "Error: No tilt apiserver found: tilt-10999\n"
    bad = run({**env, "TILT_PORT": "ten"}, "get", "session")
    assert bad.returncode == 1
    assert bad.stdout == 'parsing env TILT_PORT: strconv.Atoi: parsing "ten": invalid syntax\n'
    trigger = run({**env, "TILT_PORT": "10999"}, "trigger", "jetscale-backend")
    assert trigger.returncode == 1
    assert trigger.stderr.startswith("Could not connect to Tilt at http://localhost:10999/api/trigger: ")


def test_a_busy_web_port_stops_tilt_before_it_starts(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run(env, "up", "--port", str(port), cwd=stack(tmp_path))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"Tilt started on http://localhost:{port}/",
        "v0.37.6, built 2026-07-28",
    ]
    assert done.stderr.splitlines() == [
        f"Error: Tilt cannot start because you already have another process on port {port}",
        "If you want to run multiple Tilt instances simultaneously,",
        "use the --port flag or TILT_PORT env variable to set a custom port",
        f"Original error: listen tcp 127.0.0.1:{port}: bind: address already in use",
    ]


@pytest.mark.parametrize(
    ("tiltfile", "expected"),
    [
        (
            "allow_k8s_contexts('kind-x')\nk8s_yaml(\n  'a.yaml' 'b.yaml' 3)\n",
            ':3:12: got string literal "b.yaml", want )',
        ),
        ("docker_build('a', '.')\nnot_a_builtin('x')\n", ":2:1: undefined: not_a_builtin"),
    ],
    ids=["syntax-error", "unknown-builtin"],
)
def test_a_broken_tiltfile_fails_ci_with_its_line(
    env: dict[str, str], tmp_path: Path, tiltfile: str, expected: str
) -> None:
    folder = stack(tmp_path, tiltfile)
    done = run(env, "ci", "--port", "0", "--context", EKS_CONTEXT, cwd=folder)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith(f"Error: {folder / 'Tiltfile'}{expected}"), done.stderr
    assert f"Loading Tiltfile at: {folder / 'Tiltfile'}" in done.stdout
    assert "ERROR: " in done.stdout


def test_a_context_tilt_does_not_trust_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    done = run(
        env, "ci", "--port", "0", "--context", EKS_CONTEXT, "--", "--no-port-forwards", cwd=stack(tmp_path)
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: Stop! {EKS_CONTEXT} might be production.\n"
        "If you're sure you want to deploy there, add:\n"
        f"allow_k8s_contexts('{EKS_CONTEXT}')\n"
        "to your Tiltfile. Otherwise, switch k8s contexts and restart Tilt.\n"
    )


def test_an_unknown_tiltfile_arg_is_a_load_error(env: dict[str, str], tmp_path: Path) -> None:
    done = run(env, "ci", "--port", "0", "--context", EKS_CONTEXT, "--", "--no-forwards", cwd=stack(tmp_path))
    assert done.returncode == 1
    assert "Error in config.parse: flag provided but not defined: -no-forwards" in done.stderr


def test_down_with_a_broken_tiltfile_fails(env: dict[str, str], tmp_path: Path) -> None:
    done = run(env, "down", "--context", EKS_CONTEXT, cwd=stack(tmp_path, "fail('not today')\n"))
    assert done.returncode == 1
    assert done.stderr.endswith("Error in fail: not today\n")


def test_a_shutdown_held_up_past_two_seconds_exits_1(env: dict[str, str], tmp_path: Path) -> None:
    """Tilt's watchdog: still running 2 s after the signal (here a client that started a request
    holds the web server's graceful shutdown) → exit 1. Without it the same SIGTERM gives exit 0."""
    port = free_port()
    port_env = {**env, "TILT_PORT": str(port)}
    for hold, expected in ((False, 0), (True, 1)):
        running = start(
            port_env,
            "up",
            "--context",
            EKS_CONTEXT,
            cwd=stack(tmp_path / str(hold)),
            log=tmp_path / f"{hold}.log",
        )
        try:
            wait_for(lambda: run(port_env, "get", "session").returncode == 0, 30, "tilt up")
            if not hold:  # tilt up keeps running with the (Tiltfile) resource in error
                wait_for(lambda r=running: "might be production" in r.output, 30, "the load error")
                tiltfile = json.loads(run(port_env, "get", "uiresource", "(Tiltfile)", "-o", "json").stdout)
                assert tiltfile["status"]["updateStatus"] == "error"
                assert tiltfile["status"]["buildHistory"][0]["error"].startswith(
                    f"Stop! {EKS_CONTEXT} might be"
                )
                session = json.loads(run(port_env, "get", "session", "Tiltfile", "-o", "json").stdout)
                (loaded,) = [t for t in session["status"]["targets"] if t["name"] == "tiltfile:update"]
                assert (
                    loaded["state"]["terminated"]["error"] == tiltfile["status"]["buildHistory"][0]["error"]
                )
            client = socket.create_connection(("127.0.0.1", port)) if hold else None
            if client is not None:
                client.sendall(b"GET / HTTP/1.1\r\n")
            assert running.stop(signal.SIGTERM, timeout=10) == expected, running.output
            if client is not None:
                client.close()
        finally:
            running.stop()


def test_ci_without_resources_ends_only_by_timeout_or_signal(env: dict[str, str], tmp_path: Path) -> None:
    """A Tiltfile with no resources never succeeds (TILT.md §2.3 step 3): `--timeout` ends it, and
    SIGINT gives `Error: context canceled` (exit 1; `tilt up` would exit 0)."""
    folder = stack(tmp_path, "print('nothing to deploy')\n")
    timed = run(env, "ci", "--port", "0", "--context", EKS_CONTEXT, "--timeout", "1s", cwd=folder)
    assert (timed.returncode, timed.stderr) == (1, "Error: Timeout after 1s\n")
    assert "nothing to deploy" in timed.stdout.splitlines()
    running = start(env, "ci", "--port", "0", "--context", EKS_CONTEXT, cwd=folder, log=tmp_path / "ci.log")
    try:
        wait_for(lambda: "nothing to deploy" in running.output, 30, "the Tiltfile to load")
        assert running.stop(signal.SIGINT) == 1
        assert running.output.splitlines()[-1] == "Error: context canceled"
    finally:
        running.stop()

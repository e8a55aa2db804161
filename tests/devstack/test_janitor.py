"""Owner leases and the janitor at every start: a live owner's folder is never touched, a dead one's
is removed (with its marked processes) and named, whichever way the owner ended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from helpers import wait_for

from devstack.exitcodes import OK
from devstack.settings import Settings
from devstack.sources import leases
from devstack.sources.janitor import DEMO, DEMO_MARKER, demos_root

OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from devstack.sources.leases import Lease
    lease = Lease.hold(Path(sys.argv[1]), purpose=sys.argv[2], container_labels=[])
    print("leased", flush=True)
    time.sleep(600)
    """
)


def start_owner(folder: Path, purpose: str = DEMO) -> subprocess.Popen[str]:
    """A process that leases `folder` and then just runs."""
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(folder), purpose], stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None and owner.stdout.readline().strip() == "leased"
    return owner


def devstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args], capture_output=True, text=True, timeout=60
    )


def test_a_lease_is_taken_only_once_its_owner_is_gone(tmp_path: Path) -> None:
    folder = leases.new_folder(tmp_path / "root", prefix="x-")
    assert folder.stat().st_mode & 0o777 == 0o700 and (tmp_path / "root").stat().st_mode & 0o777 == 0o700
    owner = start_owner(folder)
    try:
        with leases.taken(folder) as record:
            assert record is None, "the owner runs"
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        with leases.taken(folder, wait=True) as record:
            assert record is not None and record["pid"] == owner.pid and record["purpose"] == DEMO
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def test_a_released_lease_is_free_in_the_same_process(tmp_path: Path) -> None:
    lease = leases.Lease.hold(tmp_path, purpose="test")
    with leases.taken(tmp_path) as record:
        assert record is None, "another open file of the same process cannot take it either"
    lease.release()
    lease.release()
    with leases.taken(tmp_path) as record:
        assert record is not None and record["pid"] == os.getpid()
    assert [p.name for p in tmp_path.iterdir()] == [leases.LEASE_FILE], "no temporary name is left"


def test_a_folder_without_a_lease_is_stale_only_once_it_is_old(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    with leases.taken(folder) as record:
        assert record is None, "just made: its lease is about to be written"
    old = time.time() - leases.UNLEASED_GRACE - 5
    os.utime(folder, (old, old))
    with leases.taken(folder) as record:
        assert record == {}


def test_any_command_removes_a_demo_whose_owner_is_gone_and_names_it() -> None:
    folder = leases.new_folder(demos_root(Settings.from_environ().state_dir), prefix="devstack-demo-")
    owner = start_owner(folder)
    straggler = subprocess.Popen(
        ["sleep", "600"], env={**os.environ, DEMO_MARKER: str(folder)}, start_new_session=True
    )
    try:
        quiet = devstack("status", "--help")
        assert quiet.returncode == OK and quiet.stderr == "", "a live owner's demo is left alone"
        assert folder.is_dir() and straggler.poll() is None
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        out = devstack("check", "--help")  # any command that runs the group (not the printing-only ones)
        assert out.returncode == OK and out.stdout.startswith("Usage: devstack check")
        assert out.stderr.splitlines() == [
            f"devstack: removed the {DEMO} left by pid {owner.pid}, which is gone: "
            f"process {straggler.pid} sleep, folder {folder}"
        ]
        assert straggler.wait(10) == -signal.SIGTERM and not folder.exists()
        assert devstack("status", "--help").stderr == "", "nothing is stale any more"
    finally:
        for process in (owner, straggler):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_down_stale_json_lists_what_it_removed_and_leaves_live_owners_alone() -> None:
    state = Settings.from_environ().state_dir
    live = leases.new_folder(state / "private")
    dead = leases.new_folder(state / "private")
    owners = [start_owner(live, "kubernetes client credential files")]
    owners.append(start_owner(dead, "kubernetes client credential files"))
    try:
        owners[1].send_signal(signal.SIGKILL)
        owners[1].wait()
        out = devstack("down", "--stale", "--json")
        assert out.returncode == OK, out.stderr
        assert json.loads(out.stdout) == {
            "ok": True,
            "removed": [
                {
                    "purpose": "kubernetes client credential files",
                    "folder": str(dead),
                    "owner_pid": owners[1].pid,
                    "processes": [],
                    "containers": [],
                }
            ],
        }
        assert live.is_dir() and not dead.exists()
        text = devstack("down", "--stale")
        assert text.returncode == OK and text.stdout.startswith("nothing stale")
    finally:
        for owner in owners:
            if owner.poll() is None:
                owner.kill()
                owner.wait()


def test_down_stale_refuses_delete_cluster() -> None:
    out = devstack("down", "--stale", "--delete-cluster")
    assert out.returncode == 2 and "--stale and --delete-cluster" in out.stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_kubernetes_client_writes_credentials_into_a_private_folder_removed_at_exit(
    sig: int, tmp_path: Path
) -> None:
    """`new_api_client` in a process that then ends: its credential files never touch `$TMPDIR`."""
    from devstack_sim import certs, kubeconfig

    pki = certs.load_or_generate(tmp_path / "pki", "creds")
    config = tmp_path / "kubeconfig"
    config.write_text(json.dumps(kubeconfig.build("creds", 6443, pki)))
    code = textwrap.dedent(
        f"""
        import sys, time
        from devstack.sources.kube import KubeTarget, new_api_client
        from devstack.sources.processes import install_exit_handlers
        install_exit_handlers()
        client = new_api_client(KubeTarget("kind-creds", "default", {str(config)!r}))
        print(client.configuration.key_file, flush=True)
        time.sleep(600)
        """
    )
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    key = Path(child.stdout.readline().strip())
    try:
        state = Settings.from_environ().state_dir
        assert key.parent.parent == state / "private" and key.stat().st_mode & 0o777 == 0o600
        assert "PRIVATE KEY" in key.read_text() and os.listdir(tmpdir) == []
        child.send_signal(sig)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if sig == signal.SIGKILL:
        assert key.exists()
        assert "removed the kubernetes client credential files" in devstack("status", "--help").stderr
    wait_for(lambda: not key.parent.exists(), 5, "the credential folder's removal")
    assert os.listdir(tmpdir) == [] and not psutil.pid_exists(child.pid)

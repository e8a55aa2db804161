"""`devstack demo` in a real terminal (tmux): the panes appear, the pods become Ready, and `q`,
Ctrl-C, SIGTERM or SIGHUP end it with the terminal restored and no process of it left behind; the
first launch walks through `up`, and a profile switch inside the demo stays on the demo's cluster,
ports and files."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from helpers import REPO, free_port, kind_containers, require, wait_for

pytestmark = pytest.mark.slow
DEMO_HOME = re.compile(r"(/\S*/devstack-demo-[^/\s]+)")


def _demo_env() -> dict[str, str]:
    """The isolated HOME, XDG state and kubeconfig of the test, and free ports for the demo's forwards."""
    return {
        "HOME": os.environ["HOME"],
        "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
        "KUBECONFIG": os.environ["KUBECONFIG"],
        "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
        "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
    }


def _walkthrough_seen(env: dict[str, str]) -> None:
    """Not a first launch: the demo's walkthrough was seen before (the dashboard opens and `up` starts)."""
    from devstack.tui.tour import mark_tour

    mark_tour(Path(env["XDG_STATE_HOME"]) / "devstack", True, "demo")


class Terminal:
    """A private tmux server with one 160x50 window running a command."""

    def __init__(self, tmux: str, name: str):
        self.tmux = tmux
        self.name = name

    def run(self, *args: str) -> str:
        out = subprocess.run([self.tmux, "-L", self.name, *args], capture_output=True, text=True, timeout=30)
        return out.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"cd {shlex.quote(str(REPO))} && env -u COLUMNS -u LINES {exports} {command}"
        self.run("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", shell)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def pane(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "t", fmt).strip()


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    tmux = shutil.which("tmux")
    require(tmux is not None, "tmux on PATH")
    assert tmux is not None
    term = Terminal(tmux, f"devstack-e2e-{os.getpid()}-{tmp_path.name}")
    try:
        yield term
    finally:
        subprocess.run([tmux, "-L", term.name, "kill-server"], capture_output=True, timeout=30)


def _ready_pods(screen: str) -> int:
    return len(re.findall(r"✓\s+jetscale-(?:backend|frontend)-\S+\s+1/1\s+Running", screen))


def _demo_processes(devstack: psutil.Process) -> tuple[list[psutil.Process], str]:
    """devstack's descendants, and every process of its demo environment (the daemonised sim)."""
    children = devstack.children(recursive=True)

    def where(child: psutil.Process) -> str:  # skaffold runs in the demo's stack folder
        try:
            return " ".join([*child.cmdline(), child.cwd()])
        except psutil.Error:
            return ""

    home = next((m.group(1) for c in children for m in [DEMO_HOME.search(where(c))] if m), "")
    assert home, "no child names the demo environment"
    others = [p for p in psutil.process_iter(["cmdline"]) if home in " ".join(p.info["cmdline"] or [])]
    pods = [child for other in others for child in other.children(recursive=True)]  # the pods' programs
    return list(dict.fromkeys([*children, *others, *pods])), home


@pytest.mark.parametrize(
    ("how", "code"),
    [("q", 0), ("ctrl-c", 130), ("sigterm", 128 + signal.SIGTERM), ("sighup", 128 + signal.SIGHUP)],
)
def test_demo_in_tmux_shows_ready_pods_and_exits_leaving_nothing(
    terminal: Terminal, tmp_path: Path, how: str, code: int
) -> None:
    exit_file = tmp_path / "exit"
    env = _demo_env()
    _walkthrough_seen(env)
    command = f"{shlex.quote(sys.executable)} -m devstack demo; echo $? > {exit_file}; sleep 120"
    terminal.start(command, env)

    wait_for(lambda: "Pods" in terminal.screen() and "Forwards" in terminal.screen(), 60, "the panes")
    wait_for(lambda: _ready_pods(terminal.screen()) == 2, 120, "both pods Ready")
    wait_for(lambda: "skaffold dev ✓ watching" in terminal.screen(), 60, "skaffold dev watching")
    wait_for(lambda: "health ✓" in terminal.screen(), 60, "the stack healthy")
    assert terminal.pane("#{window_width}x#{window_height}") == "160x50"
    assert terminal.pane("#{alternate_on}") == "1"

    shell = psutil.Process(int(terminal.pane("#{pane_pid}")))
    devstack = next(p for p in shell.children() if "devstack" in " ".join(p.cmdline()))
    processes, home = _demo_processes(devstack)
    assert len(processes) >= 3  # devstack's skaffold dev, the simulator, the pods' programs

    if how == "q":
        terminal.keys("q")
        wait_for(lambda: "Quit devstack?" in terminal.screen(), 20, "the question")
        terminal.keys("y")
    elif how == "ctrl-c":
        terminal.keys("C-c")
    else:
        devstack.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGHUP)

    wait_for(exit_file.exists, 120, "devstack to exit")
    wait_for(lambda: exit_file.read_text().strip() != "", 10, "the exit code")
    assert int(exit_file.read_text()) == code
    assert terminal.pane("#{alternate_on}") == "0"  # Textual restored the terminal
    assert terminal.pane("#{mouse_any_flag}") == "0"
    wait_for(
        lambda: not [p for p in [devstack, *processes] if p.is_running() and p.status() != "zombie"],
        30,
        "every process of the demo to end",
    )
    assert not Path(home).exists()


def test_closing_the_terminal_leaves_nothing_behind(terminal: Terminal, tmp_path: Path) -> None:
    """The window is closed under devstack: nothing can be restored, everything must still end."""
    env = _demo_env()
    _walkthrough_seen(env)
    terminal.start(f"{shlex.quote(sys.executable)} -m devstack demo", env)
    wait_for(lambda: _ready_pods(terminal.screen()) == 2, 120, "both pods Ready")
    shell = psutil.Process(int(terminal.pane("#{pane_pid}")))
    devstack = next(p for p in [shell, *shell.children()] if "devstack" in " ".join(p.cmdline()))
    processes, home = _demo_processes(devstack)
    terminal.run("kill-session", "-t", "t")
    wait_for(
        lambda: not [p for p in [devstack, *processes] if p.is_running() and p.status() != "zombie"],
        60,
        "every process of the demo to end after the terminal closed",
    )
    assert not Path(home).exists()


class PortWatch:
    """Samples, in a thread, every TCP port a process of the demo listens on (devstack, its children,
    and every process naming the demo's folder, e.g. the daemonised simulator and its pods)."""

    def __init__(self, devstack: psutil.Process, home: str):
        self.devstack = devstack
        self.home = home
        self.bound: set[tuple[int, str, int, str]] = set()  # (pid, address, port, what)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _family(self) -> dict[int, str]:
        family: dict[int, str] = {}
        with contextlib.suppress(psutil.Error):
            family[self.devstack.pid] = "devstack"
            family.update((c.pid, c.name()) for c in self.devstack.children(recursive=True))
        for process in psutil.process_iter(["cmdline", "name"]):
            if self.home in " ".join(process.info["cmdline"] or []):
                family[process.pid] = str(process.info["name"])
        return family

    def sample(self) -> None:
        family = self._family()
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.pid in family and conn.laddr:
                self.bound.add((conn.pid, conn.laddr.ip, conn.laddr.port, family[conn.pid]))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(psutil.Error, OSError):
                self.sample()

    def __enter__(self) -> PortWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def _profile_ports() -> set[int]:
    """Every local port the stack's own profiles name (what a demo must never bind)."""
    ports = set()
    for path in (REPO / "profiles").glob("*.yaml"):
        ports |= {int(f["local_port"]) for f in yaml.safe_load(path.read_text()).get("forwards") or []}
    return ports


def test_first_demo_launch_walks_through_and_a_profile_switch_stays_sealed_in_the_demo(
    terminal: Terminal, tmp_path: Path
) -> None:
    """Done when (issue 13): the first `devstack demo` shows the walkthrough; after `p` → ci-kind
    and `q`, no process, container or file of the demo remains and no port outside the demo's
    was ever bound."""
    exit_file = tmp_path / "exit"
    env = _demo_env()
    demo_ports = {int(env["DEVSTACK_DEMO_FRONTEND_PORT"]), int(env["DEVSTACK_DEMO_BACKEND_PORT"])}
    state_dir = Path(env["XDG_STATE_HOME"]) / "devstack"
    assert not (state_dir / "demo-tour.json").exists()  # a first launch
    terminal.start(f"{shlex.quote(sys.executable)} -m devstack demo; echo $? > {exit_file}; sleep 120", env)

    wait_for(lambda: "Welcome to devstack" in terminal.screen(), 60, "the walkthrough on the first launch")
    wait_for(lambda: "Press enter to start" in terminal.screen(), 60, "the walkthrough ready")
    shell = psutil.Process(int(terminal.pane("#{pane_pid}")))
    devstack = next(p for p in shell.children() if "devstack" in " ".join(p.cmdline()))
    terminal.keys("Enter")
    wait_for(lambda: "All set" in terminal.screen(), 180, "the walkthrough's up to finish")
    processes, home = _demo_processes(devstack)
    cluster = yaml.safe_load((Path(home) / "stack" / "profiles" / "ci-kind.yaml").read_text())["cluster"][
        "name"
    ]
    with PortWatch(devstack, home) as ports:
        terminal.keys("Enter")
        wait_for(lambda: "health ✓" in terminal.screen(), 60, "the dashboard, healthy")
        terminal.keys("p")
        wait_for(lambda: "Switch profile" in terminal.screen(), 20, "the profile picker")
        terminal.keys("Up", "Enter")  # ci-kind is listed above the current local-kind
        wait_for(lambda: "Switch to ci-kind?" in terminal.screen(), 20, "the question (skaffold dev runs)")
        terminal.keys("y")
        wait_for(lambda: "profile ci-kind" in terminal.screen(), 60, "the switch")
        wait_for(lambda: "skaffold run ✓" in terminal.screen(), 240, "ci-kind deployed (skaffold run)")
        wait_for(
            lambda: "health ✓" in terminal.screen() and _ready_pods(terminal.screen()) == 2, 120, "healthy"
        )
        ports.sample()
        later = [p for p in psutil.process_iter(["cmdline"]) if home in " ".join(p.info["cmdline"] or [])]
        later += [c for p in [devstack, *later] for c in p.children(recursive=True)]
        processes += [p for p in later if p.pid not in {q.pid for q in processes}]
        assert f"context kind-{cluster}" in terminal.screen()  # still the demo's own cluster
        terminal.keys("q")
        wait_for(
            lambda: exit_file.exists() or "Quit devstack?" in terminal.screen(), 30, "quit (or its question)"
        )
        if not exit_file.exists() and "Quit devstack?" in terminal.screen():
            terminal.keys("y")
        wait_for(exit_file.exists, 120, "devstack to exit")
    wait_for(lambda: exit_file.read_text().strip() != "", 10, "the exit code")
    assert int(exit_file.read_text()) == 0

    wait_for(
        lambda: not [p for p in [devstack, *processes] if p.is_running() and p.status() != "zombie"],
        30,
        "every process of the demo to end",
    )
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"]) if home in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
    assert kind_containers(cluster) == [] and kind_containers("jetscale") == []
    assert not Path(home).exists()
    assert [p.name for p in (state_dir / "demos").iterdir()] == []
    assert list((state_dir / "forwards").glob("*.json")) == []  # no forward marker of the demo's
    assert list((state_dir / "private").iterdir()) == [] if (state_dir / "private").exists() else True
    assert (state_dir / "demo-tour.json").exists()  # the walkthrough remembered as seen

    listened = {port for _pid, _ip, port, _what in ports.bound}
    assert {ip for _pid, ip, _port, _what in ports.bound} <= {"127.0.0.1"}, ports.bound
    assert demo_ports <= listened, ports.bound  # the watch saw the forwards
    assert not (listened & _profile_ports()), ports.bound  # never 3000/8000
    own = {port for pid, _ip, port, _what in ports.bound if pid == devstack.pid}
    assert own == demo_ports, ports.bound  # devstack itself binds the demo's ports only

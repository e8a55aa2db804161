"""`devstack demo` in a real terminal (tmux): the panes appear, the pods become Ready, and `q`,
Ctrl-C, SIGTERM or SIGHUP end it with the terminal restored and no process of it left behind."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from helpers import REPO, free_port, require, wait_for

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

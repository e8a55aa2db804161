"""A shell and a command in a pod from the terminal app, in a real terminal (tmux): the app suspends,
the terminal belongs to the shell (a real pty in the simulated container), and the app comes back
with the exit code when the shell ends."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
from helpers import wait_for
from test_tui_e2e_tmux import (  # noqa: F401 - the fixture
    Terminal,
    _demo_env,
    _ready_pods,
    _walkthrough_seen,
    terminal,
)

pytestmark = pytest.mark.slow
PROMPT = re.compile(r"[$#]\s*$", re.MULTILINE)  # capture-pane drops the space after it


def test_a_shell_and_a_command_in_the_selected_pod_run_in_the_terminal_and_return_to_the_app(
    terminal: Terminal,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    exit_file = tmp_path / "exit"
    command = f"{shlex.quote(sys.executable)} -m devstack demo; echo $? > {exit_file}; sleep 120"
    env = _demo_env()
    _walkthrough_seen(env)  # the dashboard opens and `up` starts
    terminal.start(command, env)
    wait_for(lambda: _ready_pods(terminal.screen()) == 2, 120, "both pods Ready")
    assert terminal.pane("#{alternate_on}") == "1"

    terminal.keys("s")  # the Pods pane has the focus; its first row is the backend
    wait_for(lambda: terminal.pane("#{alternate_on}") == "0", 30, "the app to hand the terminal over")
    wait_for(lambda: PROMPT.search(terminal.screen()), 30, "the shell's prompt")
    terminal.keys("echo in-$HOSTNAME-$((6*7)); tty; stty size; exit 4", "Enter")
    wait_for(lambda: terminal.pane("#{alternate_on}") == "1", 30, "the app back")
    wait_for(lambda: "shell in jetscale-backend" in terminal.screen(), 30, "the shell's notice")
    assert "exited with 4" in terminal.screen()

    terminal.keys("e")
    wait_for(lambda: "Run in pod jetscale-backend" in terminal.screen(), 30, "the command prompt")
    terminal.keys("echo out-$((40+2)); exit 0", "Enter")
    wait_for(lambda: "out-42" in terminal.screen(), 30, "the command's output in the terminal")
    wait_for(lambda: "press enter to return to devstack" in terminal.screen(), 30, "the way back")
    screen = terminal.screen()  # the terminal's own screen: the shell's transcript is still on it
    assert re.search(r"^in-jetscale-backend-\S+-42$", screen, re.MULTILINE)  # $HOSTNAME is the pod's name
    assert re.search(r"^/dev/pts/\d+$", screen, re.MULTILINE)  # a real terminal
    assert "\n50 160\n" in screen  # of the window's size
    assert terminal.pane("#{alternate_on}") == "0"
    terminal.keys("Enter")
    wait_for(lambda: terminal.pane("#{alternate_on}") == "1", 30, "the app back again")
    wait_for(lambda: "exited with 0" in terminal.screen(), 30, "the command's exit code")
    assert "out-42" not in terminal.screen()  # the app's own screen again

    terminal.keys("q")
    wait_for(lambda: "Quit devstack?" in terminal.screen(), 20, "the question")
    terminal.keys("y")
    wait_for(exit_file.exists, 120, "devstack to exit")
    wait_for(lambda: exit_file.read_text().strip() != "", 10, "the exit code")
    assert int(exit_file.read_text()) == 0

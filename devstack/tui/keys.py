"""Every key of the app in one table: the footer, the `?` help and the command palette read it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    """One key: what it does in the footer (`label`) and in the help and palette (`help`)."""

    key: str
    action: str
    label: str
    help: str
    display: str = ""
    footer: bool = True
    priority: bool = False

    @property
    def shown(self) -> str:
        """How the key is written in the help (`/`, `?`, `ctrl+c`)."""
        return self.display or self.key


APP_KEYS: tuple[Key, ...] = (
    Key("u", "up", "Up", "Bring the stack up: cluster, deploy (skaffold dev), forwards, checks"),
    Key("d", "down", "Down", "Remove the stack from the cluster: stops the dev loop (asks first)"),
    Key("l", "logs", "Logs", "Follow the selected pod's log in the Log pane (again: deploy output)"),
    Key("r", "restart", "Restart", "Rollout-restart the selected workload, or re-open the forwards"),
    Key("x", "delete_pod", "Delete", "Delete the selected pod (asks first); its ReplicaSet replaces it"),
    Key("c", "checks", "Checks", "Run the checks now"),
    Key("o", "open", "Open", "Open the frontend (http://localhost:3000) in the browser"),
    Key(
        "t",
        "timeline",
        "Timeline",
        "The dev loop's timeline: the current iteration live, the last ones with their totals "
        "(slowest phase highlighted)",
        footer=False,
    ),
    Key("slash", "filter", "Filter", "Filter the focused pane (pods, events, log, ...)", display="/"),
    Key("p", "profile", "Profile", "Switch to another profile of this stack"),
    Key("question_mark", "help", "Help", "Show every key (this overlay)", display="?"),
    Key("q", "quit", "Quit", "Quit: stops the dev loop and forwards (asks first when they run)"),
    Key(
        "ctrl+c",
        "quit_now",
        "Quit now",
        "Quit at once: stop the dev loop and forwards",
        footer=False,
        priority=True,
    ),
)

# Keys handled by the panes and Textual itself: listed in the help so it names every binding.
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("enter", "Why is this red? Explain the selected pod, workload, service, forward, check or event"),
    ("↑ ↓ / j k", "Move the selection (scroll the log)"),
    ("g G", "First / last row (top / end of the log)"),
    ("pgup pgdn", "Page up / down"),
    ("tab shift+tab", "Next / previous pane"),
    ("mouse", "Click a row to select it, click again to explain it; scroll with the wheel"),
    ("escape", "Close an overlay, clear the filter"),
    ("ctrl+p", "Command palette: every action by name"),
)


def bindings() -> list[BindingType]:
    """The app's `BINDINGS`."""
    return [
        Binding(k.key, k.action, k.label, show=k.footer, key_display=k.display or None, priority=k.priority)
        for k in APP_KEYS
    ]


def help_rows() -> list[tuple[str, str]]:
    """(key, what it does) for every binding, app keys first."""
    return [(k.shown, k.help) for k in APP_KEYS] + list(NAVIGATION)

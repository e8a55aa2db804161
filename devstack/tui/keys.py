"""Every key of the app in one table: the footer, the `?` help and the command palette read it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    """One key: what it does in the footer (`label`) and in the help and palette (`help`).

    `rank` orders the footer when it cannot show every key: the lowest rank drops first (`?` and
    `q` are never dropped). `palette`: listed in the command palette.
    """

    key: str
    action: str
    label: str
    help: str
    display: str = ""
    footer: bool = True
    priority: bool = False
    palette: bool = True
    rank: int = 0

    @property
    def shown(self) -> str:
        """How the key is written in the help (`/`, `?`, `ctrl+c`)."""
        return self.display or self.key

    def text(self, frontend_url: str = "") -> str:
        """The help text, naming the profile's frontend URL where it says `{frontend_url}`."""
        return self.help.replace(FRONTEND_URL, frontend_url or "the profile's frontend forward")


FRONTEND_URL = "{frontend_url}"


KEEP = 100
"""Footer rank of the keys that are never dropped (`?`, `q`, a screen's own keys)."""
PALETTE_RANK = 5
"""Footer rank of the command palette key (the first to go: `?` lists it)."""

APP_KEYS: tuple[Key, ...] = (
    Key("u", "up", "Up", "Bring the stack up: cluster, deploy (skaffold dev), forwards, checks", rank=60),
    Key("d", "down", "Down", "Remove the stack from the cluster: stops the dev loop (asks first)", rank=30),
    Key("l", "logs", "Logs", "Follow the selected pod's log in the Log pane (again: deploy output)", rank=70),
    Key("r", "restart", "Restart", "Rollout-restart the selected workload, or re-open the forwards", rank=45),
    Key(
        "x",
        "delete_pod",
        "Delete",
        "Delete the selected pod (asks first); its ReplicaSet replaces it",
        rank=35,
    ),
    Key("c", "checks", "Checks", "Run the checks now", rank=40),
    Key("o", "open", "Open", f"Open the frontend ({FRONTEND_URL}) in the browser", rank=20),
    Key(
        "t",
        "timeline",
        "Timeline",
        "The dev loop's timeline: each iteration's phases and total, the slowest highlighted",
        footer=False,
    ),
    Key(
        "slash", "filter", "Filter", "Filter the focused pane (pods, events, log, ...)", display="/", rank=50
    ),
    Key("p", "profile", "Profile", "Switch to another profile of this stack", rank=25),
    Key("question_mark", "help", "Help", "Show every key (this overlay)", display="?", rank=KEEP),
    Key("q", "quit", "Quit", "Quit: stops the dev loop and forwards (asks first when they run)", rank=KEEP),
    Key(
        "ctrl+c",
        "quit_now",
        "Quit now",
        "Quit at once: stop the dev loop and forwards",
        footer=False,
        priority=True,
        palette=False,  # one Quit in the palette: `q`'s
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
    ("tab bar", "Narrow terminals: click a tab (or tab to the bar, ← →) for the pane under Pods"),
    ("escape", "Close an overlay; clear the focused pane's filter"),
    ("ctrl+p", "Command palette: every action by name"),
)


def footer_rank(action: str) -> int:
    """How long a key stays in a narrow footer (`Key.rank`; a screen's own keys: `KEEP`)."""
    return next((k.rank for k in APP_KEYS if k.action == action), KEEP)


def bindings() -> list[BindingType]:
    """The app's `BINDINGS`."""
    return [
        Binding(k.key, k.action, k.label, show=k.footer, key_display=k.display or None, priority=k.priority)
        for k in APP_KEYS
    ]


def help_rows(frontend_url: str = "") -> list[tuple[str, str]]:
    """(key, what it does) for every binding, app keys first (URLs from the profile)."""
    return [(k.shown, k.text(frontend_url)) for k in APP_KEYS] + list(NAVIGATION)

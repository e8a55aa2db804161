"""A centred, scrollable overlay box: the look the help and "why is this red?" screens share."""

from __future__ import annotations

from textual.screen import ModalScreen


class Overlay(ModalScreen[None]):
    """A modal screen whose content sits in a centred box with the class `overlay-box`."""

    DEFAULT_CSS = """
    Overlay {
        align: center middle;
        background: $background 60%;
    }
    Overlay .overlay-box {
        width: 90%;
        max-width: 110;
        height: auto;
        max-height: 90%;
        border: round $accent;
        border-title-style: bold;
        padding: 0 1;
        background: $surface;
    }
    """

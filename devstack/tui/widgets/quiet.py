"""`QuietStatic`: a Static that repaints only when its text changed.

`Static.update` refreshes the widget and the screen's layout even for the same text; the header
and the steps bar are shown on every repaint, so with nothing new they would relayout the whole
screen each time (most of an idle app's work).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    """A Static whose `show_text` is a no-op while the text (and its styles) stay the same."""

    _shown: Text | None = None

    def show_text(self, text: Text) -> None:
        """Show `text` unless it is what is shown already."""
        if self._shown is not None and text == self._shown:
            return
        self._shown = text
        self.update(text)

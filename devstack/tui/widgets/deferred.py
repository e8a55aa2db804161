"""`Deferred`: a placeholder that builds its widget after the first frame.

Like `textual.lazy.Lazy`, but the widget (and the module defining it) is only created then, so
neither its import nor its mount delays the first frame.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Deferred(Widget):
    """Replaced by `factory()` right after the first refresh."""

    DEFAULT_CSS = """
    Deferred { display: none; }
    """

    def __init__(self, factory: Callable[[], Widget]) -> None:
        super().__init__()
        self._factory = factory

    def on_mount(self) -> None:
        """Build the real widget once this frame is on screen."""
        self.call_after_refresh(self._replace)

    async def _replace(self) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return
        await parent.mount(self._factory(), after=self)
        await self.remove()

"""The footer: Textual's, fitted to the terminal's width so `?` and `q` are always on it.

When the keys do not fit, the lowest-ranked drop first (`keys.footer_rank`): the command palette
key, then `o`, `p`, ... A screen's own keys (the walkthrough's enter and escape) rank with `?` and
`q`. The keys keep their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from textual import events
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from devstack.tui.keys import KEEP, PALETTE_RANK, footer_rank


class Shown(NamedTuple):
    """One key the footer may show."""

    binding: Binding
    enabled: bool
    tooltip: str
    display: str
    rank: int
    extra: int = 0

    @property
    def width(self) -> int:
        """Cells it takes: ` k Label ` (Textual's padding), plus `extra` (the palette's border)."""
        return len(self.display) + len(self.binding.description) + 3 + self.extra


def fitting(keys: Iterable[Shown], width: int) -> list[Shown]:
    """The keys that fit `width` cells, dropping the lowest-ranked first (order kept); keys ranked
    `KEEP` or more are never dropped."""
    kept = list(keys)
    while sum(k.width for k in kept) > width:
        droppable = [k for k in kept if k.rank < KEEP]
        if not droppable:
            break
        kept.remove(min(droppable, key=lambda k: k.rank))
    return kept


class KeyFooter(Footer):
    """Textual's footer without overflow: keys that do not fit are left out, lowest rank first."""

    def compose(self) -> ComposeResult:
        """The keys that fit, then the palette key if it still fits."""
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys: list[Shown] = []
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            keys.append(Shown(binding, enabled, tooltip, display, footer_rank(binding.action)))
        palette = self._palette(active)
        width = self.app.size.width
        if palette is not None:
            keys.append(palette)
        kept = fitting(keys, width)
        for key in kept:
            if key is palette:
                continue
            yield FooterKey(
                key.binding.key,
                key.display,
                key.binding.description,
                key.binding.action,
                disabled=not key.enabled,
                tooltip=key.tooltip,
            ).data_bind(compact=Footer.compact)
        if palette is not None and palette in kept:
            yield FooterKey(
                palette.binding.key,
                palette.display,
                palette.binding.description,
                palette.binding.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=palette.binding.tooltip or palette.binding.description,
            )

    def _palette(self, active: Mapping[str, ActiveBinding]) -> Shown | None:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        found = active.get(self.app.COMMAND_PALETTE_BINDING)
        if found is None:
            return None
        _node, binding, enabled, tooltip = found
        display = self.app.get_key_display(binding)
        return Shown(binding, enabled, tooltip, display, PALETTE_RANK, extra=1)  # its left border

    def on_resize(self, _event: events.Resize) -> None:
        """Fit the keys to the new width."""
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)

"""`:` then a kind's name, as in k9s: pods, deploy, svc, cm, secrets, ing, jobs, cj, pvc, ep, events, ns."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from devstack.core.kinds import completions, find_kind


def _option(plural: str) -> Option:
    from devstack.core.kinds import BY_PLURAL

    spec = BY_PLURAL[plural]
    aliases = ", ".join(a for a in spec.aliases if a != spec.singular)
    return Option(f"{spec.plural}  ({aliases})" if aliases else spec.plural, id=spec.plural)


class KindPicker(ModalScreen[str | None]):
    """An input that narrows the list of kinds; enter opens the typed or highlighted one."""

    DEFAULT_CSS = """
    KindPicker { align: center top; background: $background 60%; }
    KindPicker #kind-box {
        width: 60; height: auto; margin-top: 3; border: round $accent; background: $surface;
    }
    KindPicker #kind-input { border: none; height: 1; padding: 0 1; }
    KindPicker #kind-list { height: auto; max-height: 16; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def compose(self) -> ComposeResult:
        """The input over the list."""
        with Vertical(id="kind-box") as box:
            box.border_title = "Browse a kind"
            box.border_subtitle = "enter opens, escape cancels"
            yield Input(placeholder=": cm, secrets, ing, jobs, cj, pvc, ep, ns ...", id="kind-input")
            yield OptionList(*[_option(spec.plural) for spec in completions("")], id="kind-list")

    def on_mount(self) -> None:
        """Type at once."""
        self.query_one(OptionList).highlighted = 0
        self.query_one(Input).focus()

    @property
    def options(self) -> list[str]:
        """The kinds the list offers now (plural names)."""
        listing = self.query_one(OptionList)
        return [str(listing.get_option_at_index(i).id) for i in range(listing.option_count)]

    def on_input_changed(self, event: Input.Changed) -> None:
        """Narrow the list to the kinds whose names start with what was typed."""
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options([_option(spec.plural) for spec in completions(event.value.lstrip(":"))])
        if listing.option_count:
            listing.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """An exact name wins; else the highlighted kind; else say what is unknown."""
        typed = event.value.lstrip(":").strip()
        spec = find_kind(typed) if typed else None
        if spec is not None:
            self.dismiss(spec.plural)
            return
        listing = self.query_one(OptionList)
        if listing.highlighted is not None and listing.option_count:
            self.dismiss(str(listing.get_option_at_index(listing.highlighted).id))
            return
        self.notify(f"no kind called {typed!r}", title="kinds", severity="warning")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click (or enter in the list) on a kind."""
        self.dismiss(str(event.option.id))

    def action_move(self, step: int) -> None:
        """Arrow keys move the list's highlight while typing."""
        listing = self.query_one(OptionList)
        if listing.option_count:
            current = listing.highlighted or 0
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def action_cancel(self) -> None:
        """Close without browsing."""
        self.dismiss(None)

"""Sorting a table's rows by name, status, age or restarts, as the sort keys (`N` `S` `A` `R`) ask.

Each column has the direction a first press means (the most restarts first, the newest first, names
and statuses A to Z); pressing the same key again reverses it. Ties fall back to the name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SORT_COLUMNS = ("name", "status", "age", "restarts")
_FIRST_DESCENDING = {"restarts": True, "age": False, "name": False, "status": False}


@dataclass(frozen=True)
class SortFields:
    """What a row can be sorted by. `severity` orders statuses worst first (0 = fine)."""

    name: str
    status: str = ""
    severity: int = 0
    created: float | None = None
    restarts: int = 0


@dataclass(frozen=True)
class Sort:
    """A column and a direction ("" = the table's own order)."""

    column: str = ""
    descending: bool = False

    def pressed(self, column: str) -> Sort:
        """The sort after pressing `column`'s key: that column, or the same one reversed."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort(column, _FIRST_DESCENDING.get(column, False))

    @property
    def arrow(self) -> str:
        """↓ for descending, ↑ for ascending ("" when unsorted)."""
        if not self.column:
            return ""
        return "↓" if self.descending else "↑"


def sorted_keys(rows: Mapping[str, SortFields], sort: Sort) -> list[str]:
    """Row keys in the order `sort` asks for (by name when unsorted)."""

    def by_name(key: str) -> tuple[str, str]:
        return rows[key].name, key

    keys = sorted(rows, key=by_name)
    if sort.column == "restarts":
        keys.sort(key=lambda k: rows[k].restarts, reverse=sort.descending)
    elif sort.column == "age":
        # age descending = oldest first = smallest creation time first; unknown creation times last
        known = [k for k in keys if rows[k].created is not None]
        unknown = [k for k in keys if rows[k].created is None]
        known.sort(key=lambda k: rows[k].created or 0.0, reverse=not sort.descending)
        keys = known + unknown
    elif sort.column == "status":
        keys.sort(key=lambda k: (-rows[k].severity, rows[k].status.lower()), reverse=sort.descending)
    elif sort.column == "name" and sort.descending:
        keys.reverse()
    return keys

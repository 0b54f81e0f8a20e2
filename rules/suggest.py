"""Bounded "did you mean" hints.

`difflib.get_close_matches` compares a name with every choice: a few ms
against the 682 known scopes, 50 ms against 2,000 declared functions. A
hostile manifest with 20,000 misspelt names would cost minutes, so one
`Suggester` computes hints for its first `MAX_SUGGESTIONS` distinct names, and
fewer when the choices are many; later names are still reported, without a hint.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_SUGGESTIONS = 50
MAX_COMPARISONS = 35_000  # name-choice comparisons in all: 50 names against ~700 choices
NOT_COMPUTED = "; no suggestion computed (too many unknown names)"


class Suggester:
    def __init__(self, choices: Iterable[str]):
        self.choices = list(choices)
        self._closest: dict[str, str | None] = {}

    def closest(self, name: str) -> str | None:
        """The closest choice to ``name``; None when nothing is close or the budget is spent."""
        if name not in self._closest and len(self._closest) < MAX_SUGGESTIONS and \
                (len(self._closest) + 1) * len(self.choices) <= MAX_COMPARISONS:
            import difflib  # asked only for an unknown name: not a cost of every scan's start-up

            close = difflib.get_close_matches(name, self.choices, n=1, cutoff=0.6)
            self._closest[name] = close[0] if close else None
        return self._closest.get(name)

    def hint(self, name: str, otherwise: str = "") -> str:
        """"; did you mean 'x'?", else ``otherwise``, else a note that no suggestion was computed."""
        close = self.closest(name)
        if close is not None:
            return f"; did you mean '{close}'?"
        return otherwise if name in self._closest else NOT_COMPUTED

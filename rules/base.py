"""What a rule is: an id, its documentation, and a pure check over app facts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from auditor.facts import AppFacts
    from auditor.model import Finding, Location

Check = Callable[["AppFacts"], Iterable["Finding"]]


@dataclass(frozen=True)
class Rule:
    id: str                    # public contract, e.g. "scope/unused"
    name: str                  # SARIF reportingDescriptor.name, PascalCase
    level: str                 # default level: error | warning | note
    summary: str               # one line: shortDescription
    description: str           # a paragraph: fullDescription
    help: str                  # markdown: what it does / why it matters / example / fix
    cwe: tuple[int, ...]
    precision: str             # very-high | high | medium | low (GitHub code scanning)
    security_severity: float   # 0.0-10.0, drives GitHub's severity label
    check: Check | None        # None: emitted by the engine itself (suppression bookkeeping)

    def finding(self, message: str, location: "Location", *, level: str | None = None, **extra) -> "Finding":
        from auditor.model import Finding

        return Finding(self.id, level or self.level, message, location, **extra)

    @property
    def tags(self) -> list[str]:
        return ["security", "forge"] + [f"external/cwe/cwe-{n}" for n in self.cwe]

    @property
    def help_text(self) -> str:
        """The help as plain text: markdown headings and backticks removed."""
        text = re.sub(r"^#+\s*", "", self.help.strip(), flags=re.MULTILINE)
        return text.replace("```yaml\n", "").replace("```js\n", "").replace("```", "").replace("`", "")


def rule_doc(module_doc: str | None) -> tuple[str, str]:
    """(description, help markdown) from a rule module's docstring.

    The first paragraph is the description; the whole docstring is the help.
    """
    doc = (module_doc or "").strip()
    return doc.split("\n\n", 1)[0].replace("\n", " "), doc

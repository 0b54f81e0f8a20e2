"""What a rule is: an id, its documentation, and a pure check over app facts."""

from __future__ import annotations

import re
from typing import Callable, Iterable, NamedTuple, TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.facts import AppFacts
    from auditor.model import Finding, Location

Check = Callable[["AppFacts"], Iterable["Finding"]]


class Rule(NamedTuple):
    id: str                    # public contract, e.g. "scope/unused"
    name: str                  # SARIF reportingDescriptor.name, PascalCase
    level: str                 # default level: error | warning | note
    summary: str               # one line: shortDescription
    doc: str                   # the rule module's docstring, markdown: what it does / why / example / fix
    cwe: tuple[int, ...]
    precision: str             # very-high | high | medium | low (GitHub code scanning)
    security_severity: float   # 0.0-10.0, drives GitHub's severity label
    check: Check | None        # None: emitted by the engine itself (suppression bookkeeping)
    invocations: bool = False  # the check reads entry points, module state or flow (facts built with module_state)
    module_state: bool = False  # the check reads facts.state (a large app's is split between processes by module)

    def finding(self, message: str, location: "Location", *, level: str | None = None, **extra) -> "Finding":
        from auditor.model import Finding

        return Finding(self.id, level or self.level, message, location, **extra)

    @property
    def tags(self) -> list[str]:
        return ["security", "forge"] + [f"external/cwe/cwe-{n}" for n in self.cwe]

    @property
    def description(self) -> str:
        """fullDescription: the docstring's first paragraph."""
        return self.doc.strip().split("\n\n", 1)[0].replace("\n", " ")

    @property
    def help(self) -> str:
        return self.doc.strip()

    @property
    def help_text(self) -> str:
        """The help as plain text: markdown headings and backticks removed."""
        text = re.sub(r"^#+\s*", "", self.help.strip(), flags=re.MULTILINE)
        return text.replace("```yaml\n", "").replace("```js\n", "").replace("```", "").replace("`", "")



def entry_point_ids(facts: "AppFacts", node, path, functions: tuple[str, ...] = ()) -> list[str]:
    """The ids of the entry points whose invocation can run ``node``, or that belong to one of the
    manifest's ``functions`` (empty when entries were not computed: the tenant rule is off, or the
    manifest names none)."""
    if functions:
        return sorted({entry.id for entry in facts.entries.entries if entry.function_key in functions})
    if node is None or not facts.entries.entries or facts.graph is None or path not in facts.graph.modules:
        return []
    return sorted({entry.id for entry in facts.entries.reaching(node, path, facts.graph)})

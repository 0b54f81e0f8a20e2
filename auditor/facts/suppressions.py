"""Inline suppressions: ``forge-audit-ignore RULE[, RULE]: reason`` in a comment.

A comment alone on its line covers that line and the next; a comment trailing
code (or a YAML value) covers only its own line, so it never reaches past the
statement it sits on. A
reason is required: a suppression without one suppresses nothing and is
reported, as is one that matched no finding.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditor.model import Suppression

MARKER = b"forge-audit-ignore"
_COMMENT = re.compile(
    r"(?://|/\*|#)\s*forge-audit-ignore(?![\w-])\s*(?P<rules>[\w/*,\s-]*?)\s*(?::\s*(?P<reason>.*?))?\s*(?:\*/.*)?$"
)


def find_suppressions(path: Path, data: bytes) -> list[Suppression]:
    if MARKER not in data:
        return []
    found = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if "forge-audit-ignore" not in line:
            continue
        match = _COMMENT.search(line)
        if match is None:
            continue
        reason = (match.group("reason") or "").strip()
        rules = [r for r in re.split(r"[,\s]+", match.group("rules") or "") if r]
        alone = not line[: match.start()].strip()
        for rule_id in rules or [""]:
            found.append(Suppression(rule_id=rule_id, reason=reason, path=path, line=number, covers_next=alone))
    return found

"""Inline suppressions: ``forge-audit-ignore RULE[, RULE]: reason`` in a comment.

Only real comments count: comment nodes of the tree-sitter tree in JS/TS, and
``#`` comments of manifest.yml as the YAML scanner sees them. The same text in
a string literal, a template, JSX text or a quoted or block YAML scalar is
data, and an attacker could plant it there to silence a finding.

A comment alone on its line covers that line and the next; a comment trailing
code (or a YAML value) covers only its own line, so it never reaches past the
statement it sits on. A reason is required: a suppression without one
suppresses nothing and is reported, as is one that matched no finding.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from auditor.model import Suppression
from auditor.parsing import ParsedFile, text

MARKER = "forge-audit-ignore"
_COMMENT = re.compile(
    r"(?://|/\*|#)\s*forge-audit-ignore(?![\w-])\s*(?P<rules>[\w/*,\s-]*?)\s*(?::\s*(?P<reason>.*?))?\s*(?:\*/.*)?$"
)


def js_suppressions(parsed: ParsedFile) -> list[Suppression]:
    if MARKER.encode() not in parsed.data:
        return []
    found = []
    for node in parsed.captures("(comment) @comment").get("comment", []):
        body = text(node)
        if MARKER not in body:
            continue
        row, column = node.start_point
        line_start = node.start_byte - column
        code_before = parsed.data[line_start:node.start_byte].strip()
        for offset, line in enumerate(body.split("\n")):
            # Lines after the first of a block comment hold only comment text.
            found += _parse(line, parsed.path, row + 1 + offset, alone=offset > 0 or not code_before)
    return found


def yaml_suppressions(path: Path, source: str) -> list[Suppression]:
    if MARKER not in source:
        return []
    lines = source.splitlines()
    try:
        scalars = [(t.start_mark, t.end_mark) for t in yaml.scan(source, Loader=yaml.SafeLoader)
                   if isinstance(t, yaml.ScalarToken)]
    except yaml.YAMLError:  # no reliable comments past a scanner error: suppress nothing
        return []
    found = []
    for number, line in enumerate(lines):
        if MARKER not in line:
            continue
        start = _yaml_comment_start(line, number, scalars)
        if start is not None:
            found += _parse(line[start:], path, number + 1, alone=not line[:start].strip())
    return found


def _yaml_comment_start(line: str, number: int, scalars) -> int | None:
    """Column of the ``#`` starting a comment on ``line``: at the line start or after a space, outside
    every scalar token (a quoted or block scalar may hold ``#``, and may span lines)."""
    for match in re.finditer("#", line):
        column = match.start()
        if column and line[column - 1] not in " \t":
            continue
        if not any((s.line, s.column) <= (number, column) < (e.line, e.column) for s, e in scalars):
            return column
    return None


def _parse(comment: str, path: Path, line: int, alone: bool) -> list[Suppression]:
    match = _COMMENT.search(comment) if MARKER in comment else None
    if match is None:
        return []
    reason = (match.group("reason") or "").strip()
    rules = [r for r in re.split(r"[,\s]+", match.group("rules") or "") if r]
    return [Suppression(rule_id=rule_id, reason=reason, path=path, line=line, covers_next=alone)
            for rule_id in rules or [""]]

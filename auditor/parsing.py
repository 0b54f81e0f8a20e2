"""tree-sitter parsing of app code, and conversion of its positions to SARIF's.

tree-sitter rows are 0-based and its columns count bytes; SARIF wants 1-based
lines and columns in UTF-16 code units. Facts are found with tree-sitter
queries, which walk the tree in C: walking a 5 MB bundle node by node in
Python would take seconds.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from auditor.loader import SourceFile
from auditor.model import Location, Notification, Region

GRAMMAR_BY_SUFFIX = {
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
}


@functools.cache
def language(name: str) -> tree_sitter.Language:
    if name == "javascript":
        return tree_sitter.Language(tree_sitter_javascript.language())
    if name == "typescript":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_typescript.language_tsx())


@functools.cache
def _query(grammar: str, source: str) -> tree_sitter.Query:
    return tree_sitter.Query(language(grammar), source)


@dataclass
class ParsedFile:
    source: SourceFile
    grammar: str
    tree: tree_sitter.Tree
    _occurrences: dict[str, list[tree_sitter.Node]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def data(self) -> bytes:
        return self.source.data

    def captures(self, query_source: str) -> dict[str, list[tree_sitter.Node]]:
        """Captures of a query over the whole file."""
        cursor = tree_sitter.QueryCursor(_query(self.grammar, query_source))
        return cursor.captures(self.tree.root_node)

    def occurrences(self, pattern: str) -> list[tree_sitter.Node]:
        """The smallest named node at each whole-word match of ``pattern`` in the source (cached:
        facts ask again and again about the same names)."""
        if pattern not in self._occurrences:
            self._occurrences[pattern] = self._find(pattern)
        return self._occurrences[pattern]

    def _find(self, pattern: str) -> list[tree_sitter.Node]:
        root = self.tree.root_node
        nodes = []
        # No word-boundary assertions: requiring the node to span exactly the
        # match already rejects partial identifiers, strings and comments.
        for match in re.finditer(pattern.encode(), self.data):
            node = root.named_descendant_for_byte_range(match.start(), match.end())
            if node is not None and (node.start_byte, node.end_byte) == match.span():
                nodes.append(node)
        return nodes

    def column(self, byte_offset: int, byte_column: int) -> int:
        line_start = byte_offset - byte_column
        prefix = self.data[line_start:byte_offset].decode("utf-8", "replace")
        return len(prefix.encode("utf-16-le")) // 2 + 1

    def region(self, node: tree_sitter.Node) -> Region:
        start_row, start_col = node.start_point
        end_row, end_col = node.end_point
        return Region(
            start_row + 1, self.column(node.start_byte, start_col),
            end_row + 1, self.column(node.end_byte, end_col),
        )

    def location(self, node: tree_sitter.Node, message: str | None = None) -> Location:
        return Location(self.path, self.region(node), message)


def text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace")


_SYNTAX_ERRORS = "(ERROR) @error (MISSING) @missing"
# Where JavaScript allows a NUL character: inside these tokens (a `${...}` hole in a template is code again).
_NUL_HOLDERS = {"comment", "string", "template_string", "regex"}


def parse_source(source: SourceFile) -> tuple[ParsedFile | None, list[Notification]]:
    """The parsed file and notifications about it; a notification with ``failure`` set means the tree
    may be missing code (syntax errors: tree-sitter's error recovery can swallow whole statements)."""
    grammar = GRAMMAR_BY_SUFFIX.get(source.path.suffix)
    if grammar is None:
        return None, []
    parser = tree_sitter.Parser(language(grammar))
    # tree-sitter stops tokens at a NUL byte even where JavaScript allows one; a space has the same
    # width and keeps every offset, and NUL bytes anywhere else are reported below.
    try:
        tree = parser.parse(source.data.replace(b"\0", b" "))
    except Exception as exc:  # tree-sitter raises plain errors on pathological input
        return None, [Notification("error", f"skipped: could not parse file: {exc}", source.path)]
    parsed = ParsedFile(source, grammar, tree)
    notes = []
    if tree.root_node.has_error:
        errors = parsed.captures(_SYNTAX_ERRORS)
        nodes = sorted(errors.get("error", []) + errors.get("missing", []), key=lambda n: n.start_byte)
        first = parsed.region(nodes[0]) if nodes else Region(1, 1)
        notes.append(Notification(
            "warning",
            f"syntax errors ({len(nodes)} place(s), first at line {first.start_line}); "
            "facts were taken from the parts that parsed",
            source.path, Region(first.start_line, first.start_column),
        ))
    stray = _stray_nul(parsed)
    if stray is not None:
        line_start = parsed.data.rfind(b"\n", 0, stray) + 1
        notes.append(Notification(
            "warning", "NUL byte outside comments and strings: not valid JavaScript, the file may not run as parsed",
            source.path, Region(parsed.data.count(b"\n", 0, stray) + 1, parsed.column(stray, stray - line_start))))
    return parsed, notes


def _stray_nul(parsed: ParsedFile) -> int | None:
    """Offset of the first NUL byte outside a comment, string, template text or regex."""
    root = parsed.tree.root_node
    for match in re.finditer(b"\0", parsed.data):
        node = root.descendant_for_byte_range(match.start(), match.end())
        while node is not None and node.type not in _NUL_HOLDERS and node.type != "template_substitution":
            node = node.parent
        if node is None or node.type == "template_substitution":
            return match.start()
    return None

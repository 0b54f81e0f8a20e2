"""tree-sitter parsing of app code, and conversion of its positions to SARIF's.

tree-sitter rows are 0-based and its columns count bytes; SARIF wants 1-based
lines and columns in UTF-16 code units. Facts are found with tree-sitter
queries, which walk the tree in C: walking a 5 MB bundle node by node in
Python would take seconds.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterator

import tree_sitter

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
        return tree_sitter.Language(_grammar("tree_sitter_javascript").language())
    if name == "typescript":
        return tree_sitter.Language(_grammar("tree_sitter_typescript").language_typescript())
    return tree_sitter.Language(_grammar("tree_sitter_typescript").language_tsx())


@functools.cache
def _grammar(package: str) -> ModuleType:
    """A grammar package's compiled ``_binding`` module, loaded without running the package's
    ``__init__``: that imports importlib.resources (tempfile, shutil, zipfile...) for query files we
    never read, ~7 ms of every scan's start-up. Another layout falls back to the package itself."""
    if package in sys.modules:
        return sys.modules[package]
    name = f"{package}._binding"
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_binding" + suffix)
            if os.path.isfile(path):
                binding = importlib.util.spec_from_file_location(name, path)
                if binding is not None and binding.loader is not None:
                    module = importlib.util.module_from_spec(binding)
                    binding.loader.exec_module(module)
                    return module
    return importlib.import_module(package)


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
        root, data = self.tree.root_node, self.data
        nodes = []
        # No word-boundary assertions: requiring the node to span exactly the match already rejects
        # partial identifiers, strings and comments. A match glued to a word character of the same
        # token (`require` in `__webpack_require__`) is skipped before asking tree-sitter for a node.
        for start, end in _spans(pattern, data):
            if start < end and (start and data[start] in _WORD and data[start - 1] in _WORD
                                or end < len(data) and data[end - 1] in _WORD and data[end] in _WORD):
                continue
            node = root.named_descendant_for_byte_range(start, end)
            if node is not None and node.start_byte == start and node.end_byte == end:
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


_LITERAL_NAME = re.compile(r"(?:\w|\\\$)+", re.ASCII)  # a name as re.escape or word_pattern writes it


def _spans(pattern: str, data: bytes) -> Iterator[tuple[int, int]]:
    """Where ``pattern`` matches in ``data`` (non-overlapping, as re.finditer). Plain names and alternatives
    of plain names (`requestJira|fetch`), the common questions, are found by bytes.find: no pattern compiled
    per name, and a scan per name is several times faster over a bundle than one of the alternation."""
    body = pattern[3:-1] if pattern.startswith("(?:") and pattern.endswith(")") else pattern
    names = body.split("|")
    if not all(_LITERAL_NAME.fullmatch(name) for name in names):
        for match in _word_pattern(pattern).finditer(data):
            yield match.span()
        return
    found = []
    for order, name in enumerate(names):
        needle = name.replace("\\$", "$").encode()
        pos = data.find(needle)
        while pos != -1:
            found.append((pos, order, pos + len(needle)))
            pos = data.find(needle, pos + 1)
    end = 0
    for start, _, stop in sorted(found):  # leftmost first, then the alternative written first, as `re` picks
        if start >= end:
            yield start, stop
            end = stop


_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")  # ASCII identifier bytes


@functools.lru_cache(maxsize=4096)  # names are asked of every file: more than `re`'s own cache holds
def _word_pattern(pattern: str) -> re.Pattern[bytes]:
    return re.compile(pattern.encode())


def text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace")


_ERROR_QUERY = "(ERROR) @error (MISSING) @missing"
SYNTAX_ERRORS = "syntax errors"  # how the notification about a partly parsed file starts
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
        if tree.root_node.has_error:
            tree = repair(parser, tree, source.data)
    except Exception as exc:  # tree-sitter raises plain errors on pathological input
        return None, [Notification("error", f"skipped: could not parse file: {exc}", source.path)]
    parsed = ParsedFile(source, grammar, tree)
    notes = []
    if tree.root_node.has_error:
        nodes = _error_nodes(tree, grammar)
        first = parsed.region(nodes[0]) if nodes else Region(1, 1)
        notes.append(Notification(
            "warning",
            f"{SYNTAX_ERRORS} ({len(nodes)} place(s), first at line {first.start_line}); "
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


def _error_nodes(tree: tree_sitter.Tree, grammar: str) -> list[tree_sitter.Node]:
    errors = tree_sitter.QueryCursor(_query(grammar, _ERROR_QUERY)).captures(tree.root_node)
    return sorted(errors.get("error", []) + errors.get("missing", []), key=lambda n: n.start_byte)


# -- grammar gaps ---------------------------------------------------------------
# Valid code the pinned grammars reject (tree-sitter-typescript 0.23.2 and tree-sitter-javascript 0.25.0
# are the newest releases). Each gap is bridged by a patch of the same byte length that keeps every
# newline, so rows, columns and offsets of the repaired tree are those of the file.

# The `>` closing a tagged template's type arguments: styled.div<{ open: boolean }>`...`, sql<Row[]>`...`
_TEMPLATE_AFTER_TYPE = re.compile(rb">\s*`")
# A `&` that starts no character reference the grammars read, in JSX text or inside a JSX string attribute:
# bare, or a decimal reference longer than five digits (`&#128203;`, an emoji beyond U+FFFF).
_BARE_AMPERSAND = re.compile(rb"&(?![&=]|#[0-9]{1,5};|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
# A reserved word as a JSX attribute name (<label for="x">): valid JSX the JavaScript grammar rejects.
_KEYWORD_ATTRIBUTE = re.compile(
    rb"(?<=\s)(?:break|case|catch|class|const|continue|debugger|default|delete|do|else|export|extends|false|"
    rb"finally|for|function|if|import|in|instanceof|new|null|return|super|switch|this|throw|true|try|typeof|"
    rb"var|void|while|with)(?=\s*=\s*[\"'{]|\s*/?>)")
_TYPE_ONLY_STAR = re.compile(rb"\bexport\s+(type)\s+\*")
# An import type in a call's type arguments: useState<import('history').History | null>(null,)
_IMPORT_TYPE = re.compile(rb"import\(\s*(['\"])[^'\"\n]*\1\s*\)\s*\.")
_LITERAL_TEXT = {"comment", "string_fragment", "regex_pattern", "jsx_text", "html_character_reference"}
_MAX_TYPE_ARGUMENTS = 2000  # bytes scanned back from a `>` for its `<`
_REPAIR_ROUNDS = 3
_OPENER_OF = {ord(">"): ord("<"), ord("}"): ord("{"), ord(")"): ord("("), ord("]"): ord("[")}
_GT, _EQUALS, _BACKTICK = ord(">"), ord("="), ord("`")


def repair(parser: tree_sitter.Parser, tree: tree_sitter.Tree, data: bytes) -> tree_sitter.Tree:
    """``tree`` (of ``data``, with errors) with the grammar gaps bridged, as far as that leaves fewer errors.

    Patches are found on the tree at hand, so a gap hidden by the error recovery around another one is
    found on the next round. The patched buffer is parsed, then ``data`` is parsed again with that tree
    as the old tree and no edit: tree-sitter reuses the whole tree, and node text is the file's own (a
    JSX `&` stays a `&`). Should that parse fall back into an error, the patched tree is kept: only the
    text of its patched nodes differs."""
    clean = data.replace(b"\0", b" ")
    patched = bytearray(clean)
    best, best_errors = tree, _error_bytes(tree)
    for _ in range(_REPAIR_ROUNDS):
        attempt = bytearray(patched)
        if not any([patch(best, attempt) for patch in _PATCHES]):
            break
        candidate = parser.parse(bytes(attempt))
        errors = _error_bytes(candidate)
        if errors >= best_errors:
            break
        patched, best, best_errors = attempt, candidate, errors
        if not errors:
            break
    if best is tree:
        return tree
    exact = parser.parse(clean, best)
    return exact if _error_bytes(exact) <= best_errors else best


def _error_bytes(tree: tree_sitter.Tree) -> int:
    """How much of the file tree-sitter could not parse (a MISSING token counts as one byte)."""
    if not tree.root_node.has_error:
        return 0
    total = 0
    todo = [tree.root_node]
    while todo:
        node = todo.pop()
        if node.is_error:
            total += max(node.end_byte - node.start_byte, 1)
        elif node.is_missing:
            total += 1
        elif node.has_error:
            todo.extend(node.children)
    return total


def _in_literal_text(tree: tree_sitter.Tree, offset: int) -> bool:
    """Whether the byte at ``offset`` is inside a comment, string, regex or template text."""
    node = tree.root_node.descendant_for_byte_range(offset, offset + 1)
    return node is not None and node.type in _LITERAL_TEXT


def _in_jsx_text(tree: tree_sitter.Tree, offset: int) -> bool:
    """Whether the byte at ``offset`` is in JSX text, a JSX attribute string or an unparsed region."""
    node = tree.root_node.descendant_for_byte_range(offset, offset + 1)
    while node is not None:
        if node.is_error or node.type == "jsx_text":
            return True
        if node.type == "string":
            return node.parent is not None and node.parent.type == "jsx_attribute"
        if node.type not in ("&", "string_fragment", "html_character_reference"):
            return False
        node = node.parent
    return False


def _blank(patched: bytearray, start: int, end: int) -> None:
    for i in range(start, end):
        if patched[i] not in b"\r\n":
            patched[i] = 0x20


def _patch_type_only_export(tree: tree_sitter.Tree, patched: bytearray) -> int:
    """`export type * from './x'` (TypeScript 5.0) -> `export      * from './x'`."""
    count = 0
    for match in _TYPE_ONLY_STAR.finditer(patched):
        if not _in_literal_text(tree, match.start(1)):
            _blank(patched, match.start(1), match.end(1))
            count += 1
    return count


def _patch_import_types(tree: tree_sitter.Tree, patched: bytearray) -> int:
    """`<import('m').T>` -> `<            T>`: the type stays a name; only right after `<`, `,`, `|` or `&`,
    where a dynamic import() expression would be a comparison or an operand, not a module load."""
    count = 0
    for match in _IMPORT_TYPE.finditer(patched):
        before = bytes(patched[max(0, match.start() - 200):match.start()]).rstrip()
        if before[-1:] in (b"<", b",", b"|", b"&") and not _in_literal_text(tree, match.start()):
            _blank(patched, match.start(), match.end())
            count += 1
    return count


def _patch_type_arguments(tree: tree_sitter.Tree, patched: bytearray) -> int:
    """Blanks `<...>` between a template tag and its template (the tag stays a call of the template)."""
    count = 0
    for match in _TEMPLATE_AFTER_TYPE.finditer(patched):
        close = match.start()
        start = _type_arguments_start(patched, close)
        if start is None or _in_literal_text(tree, start) or _in_literal_text(tree, match.end() - 1):
            continue
        _blank(patched, start, close + 1)
        count += 1
    return count


def _type_arguments_start(data: bytearray, close: int) -> int | None:
    """Offset of the `<` matching the `>` at ``close``, when what precedes it can be a tag
    (a name, a call or an index); None otherwise."""
    stack = []
    i = close
    while i >= max(0, close - _MAX_TYPE_ARGUMENTS):
        c = data[i]
        if c == _GT and i > 0 and data[i - 1] == _EQUALS:
            i -= 2  # `=>` of a function type
            continue
        if c in _OPENER_OF:
            stack.append(_OPENER_OF[c])
        elif c in b"<{([":
            if not stack or stack.pop() != c:
                return None
            if not stack:
                before = data[i - 1:i]
                return i if before and (before.isalnum() or before in b"_$)]") else None
        elif c == _BACKTICK:
            return None
        i -= 1
    return None


def _patch_jsx(tree: tree_sitter.Tree, patched: bytearray) -> int:
    count = 0
    for match in _BARE_AMPERSAND.finditer(patched):
        if match.start() > 0 and patched[match.start() - 1] == ord("&"):
            continue  # the second `&` of `&&`
        if _in_jsx_text(tree, match.start()):
            patched[match.start()] = 0x20
            count += 1
    for match in _KEYWORD_ATTRIBUTE.finditer(patched):
        node = tree.root_node.descendant_for_byte_range(match.start(), match.end())
        while node is not None and not node.is_error:
            node = node.parent
        if node is not None:  # only where the grammar failed: the same word elsewhere is code
            patched[match.start()] = ord("_")
            count += 1
    return count


_PATCHES = (_patch_type_arguments, _patch_type_only_export, _patch_import_types, _patch_jsx)


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

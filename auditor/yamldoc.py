"""Safe YAML loading that remembers where every key and value stood.

SARIF regions need a line and column for each manifest finding, which plain
``yaml.safe_load`` throws away. We compose the node graph with the safe loader,
then build plain Python data ourselves, recording positions by path
(``("permissions", "scopes", 2)``). Building it ourselves is also where the
hostile cases are caught: duplicate keys, recursive aliases and alias bombs
(a few lines that expand to millions of nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from auditor.model import Region

try:  # libyaml is much faster on large files; fall back to pure Python.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

# A real manifest has a few hundred nodes; this bound stops alias bombs
# long before they cost noticeable time or memory.
MAX_NODES = 100_000
# Real manifests nest fewer than 15 levels; the bound keeps recursion far from Python's limit.
MAX_DEPTH = 64

Path = tuple[Any, ...]


class YamlProblem(NamedTuple):
    """Why a YAML document could not be loaded (or loaded only in part)."""

    message: str
    region: Region


@dataclass
class YamlDoc:
    data: Any
    lines: list[str]
    value_regions: dict[Path, Region] = field(default_factory=dict)
    key_regions: dict[Path, Region] = field(default_factory=dict)

    def region(self, path: Path, *, key: bool = False) -> Region:
        """Region of the value (or key) at ``path``; the nearest ancestor's if unknown."""
        path = tuple(path)
        while True:
            if key and path in self.key_regions:
                return self.key_regions[path]
            if path in self.value_regions:
                return self.value_regions[path]
            if path in self.key_regions:
                return self.key_regions[path]
            if not path:
                return Region(1, 1)
            path = path[:-1]

    def get(self, path: Path, default: Any = None) -> Any:
        node = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node


class YamlError(Exception):
    def __init__(self, problem: YamlProblem):
        super().__init__(problem.message)
        self.problem = problem


def _utf16_column(line: str, index: int) -> int:
    """1-based SARIF column (UTF-16 code units) for a code-point index into ``line``."""
    prefix = line[:index]
    return len(prefix.encode("utf-16-le")) // 2 + 1


def _region_from_marks(lines: list[str], start: Any, end: Any | None = None) -> Region:
    def point(mark: Any) -> tuple[int, int]:
        line = mark.line
        text = lines[line] if line < len(lines) else ""
        return line + 1, _utf16_column(text, mark.column)

    start_line, start_col = point(start)
    if end is None:
        return Region(start_line, start_col)
    end_line, end_col = point(end)
    if (end_line, end_col) <= (start_line, start_col):
        return Region(start_line, start_col)
    return Region(start_line, start_col, end_line, end_col)


def decode_yaml_bytes(data: bytes) -> str:
    """Decode manifest bytes as UTF-8; raise YamlError naming the bad byte's line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(
            YamlProblem(
                f"manifest is not valid UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                Region(line, 1),
            )
        ) from None


def load_yaml(text: str) -> YamlDoc:
    """Load one YAML document; raise YamlError with a position on any problem."""
    lines = text.splitlines()
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            region = _region_from_marks(lines, mark) if mark else Region(1, 1)
            line = lines[mark.line] if mark and mark.line < len(lines) else ""
            if "\t" in line[: mark.column + 1]:
                message = "tab character in indentation (YAML indents with spaces only)"
            raise YamlError(YamlProblem(f"YAML syntax error: {message}", region)) from None
        except yaml.YAMLError as exc:
            raise YamlError(YamlProblem(f"YAML error: {exc}", Region(1, 1))) from None
        except RecursionError:  # the pure-Python parser recurses per nesting level
            raise YamlError(YamlProblem("YAML nests too deeply to load", Region(1, 1))) from None
        doc = YamlDoc(data=None, lines=lines)
        if root is not None:
            doc.data = _Builder(loader, doc).build(root, ())
        return doc
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: Any, doc: YamlDoc):
        self.loader = loader
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()

    def fail(self, message: str, node: Any) -> None:
        raise YamlError(YamlProblem(message, _region_from_marks(self.doc.lines, node.start_mark)))

    def build(self, node: Any, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(
                f"YAML expands to more than {MAX_NODES:,} nodes (an alias bomb?); refusing to load it",
                node,
            )
        if len(path) > MAX_DEPTH:
            self.fail(f"YAML nests more than {MAX_DEPTH} levels deep; refusing to load it", node)
        self.doc.value_regions[path] = _region_from_marks(self.doc.lines, node.start_mark, node.end_mark)
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                self.fail(f"invalid YAML value: {exc}", node)
        if id(node) in self.active:
            self.fail("recursive YAML alias: a node contains itself", node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: Any, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail("YAML merge keys (<<) are not supported in manifest.yml", key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail("mapping keys must be plain scalars", key_node)
            key = self.loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                self.fail("mapping keys must be plain scalars", key_node)
            if key in result:
                first = self.doc.key_regions[path + (key,)]
                self.fail(f"duplicate key '{key}' (first defined on line {first.start_line})", key_node)
            self.doc.key_regions[path + (key,)] = _region_from_marks(
                self.doc.lines, key_node.start_mark, key_node.end_mark
            )
            result[key] = self.build(value_node, path + (key,))
        return result

"""Instrumenting the declaration of a module-level state, so the replay can judge that very state.

A confirmation must show that tenant A's data reached tenant B *through the
named state*, not through some other leak in the same handler. The replay
therefore registers, next to the state's declaration (same line, so line
numbers stay as they were), a probe with the harness:

    const cache = __forgeAuditProbe.init("s1", () => (new Map()));
    __forgeAuditProbe("s1", () => cache, (v) => { cache = v; });

`get` lets the harness look into the state after tenant A's step; `init` and
`set` let it reset the state to a freshly initialised value (the initialiser
re-evaluated where it stands) before tenant B's step. `const` becomes `let` so
the reset can assign. Class statics register from a static block inside the
class (private `#fields` included); `globalThis.x` needs no instrumentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from auditor.model import Finding, Region
from auditor.parsing import ParsedFile, text

PROBE = "__forgeAuditProbe"
_STATIC_MEMBERS = ("field_definition", "public_field_definition")


@dataclass
class Probe:
    id: str
    path: Path | None = None          # None: nothing to instrument (globals)
    # (start, end, rank, replacement) in bytes; at one offset lower ranks go first (a closing `))`
    # before the registration that follows the statement, before another initialiser's opening)
    edits: list[tuple[int, int, int, str]] = field(default_factory=list)


def probe_for(finding: Finding, index: int, modules: dict) -> Probe | str:
    """The probe of the state a tenant/global-state finding names, or why it cannot be had."""
    name, kind = finding.properties.get("state"), finding.properties.get("kind")
    if not isinstance(name, str):
        return "the finding names no state"
    if kind == "global":
        return Probe("global:" + name.split(".", 1)[-1])
    info = modules.get(finding.location.path)
    if info is None or finding.location.region is None:
        return "the state's module is not part of the replayed code"
    parsed: ParsedFile = info.parsed
    node = _node_at(parsed, finding.location.region)
    probe_id = f"s{index}"
    if node is not None and node.type == "variable_declarator":
        return _binding(probe_id, parsed, node)
    if node is not None and node.type in _STATIC_MEMBERS:
        return _static(probe_id, parsed, node)
    if node is not None and node.type == "export_statement" and node.child_by_field_name("value") is not None:
        value = node.child_by_field_name("value")
        return Probe(probe_id, parsed.path, _init(probe_id, value))
    return f"the declaration of '{name}' was not found in {parsed.path.name}"


def _init(probe_id: str, value: tree_sitter.Node) -> list[tuple[int, int, int, str]]:
    """Wrap an initialiser so the harness can evaluate it again: `init(id, () => (value))`. Only
    insertions: a state declared inside another state's initialiser gets its own."""
    return [(value.start_byte, value.start_byte, 2, f"{PROBE}.init({probe_id!r}, () => ("),
            (value.end_byte, value.end_byte, 0, "))")]


def _binding(probe_id: str, parsed: ParsedFile, declarator: tree_sitter.Node) -> Probe | str:
    name = declarator.child_by_field_name("name")
    statement = declarator.parent
    if name is None or name.type != "identifier" or statement is None:
        return "the state is not a plain binding"
    edits = []
    keyword = statement.child(0)
    if keyword is not None and keyword.type == "const":
        edits.append((keyword.start_byte, keyword.end_byte, 1, "let"))
    value = declarator.child_by_field_name("value")
    if value is not None:
        edits += _init(probe_id, value)
    outer = statement.parent if statement.parent is not None and statement.parent.type == "export_statement" \
        else statement
    binding = text(name)
    edits.append((outer.end_byte, outer.end_byte, 1,
                  f";{PROBE}({probe_id!r}, () => {binding}, (v) => {{ {binding} = v; }});"))
    return Probe(probe_id, parsed.path, edits)


def _static(probe_id: str, parsed: ParsedFile, member: tree_sitter.Node) -> Probe | str:
    prop = member.child_by_field_name("property") or member.child_by_field_name("name")
    if prop is None:
        return "the static field has no name"
    access = f"this.{text(prop)}" if prop.type in ("property_identifier", "private_property_identifier") \
        else f"this[{text(prop)}]"
    edits = []
    value = member.child_by_field_name("value")
    if value is not None:
        edits += _init(probe_id, value)
    end = member.end_byte
    # a field without `;` is ended by the line break: close it before the static block
    separator = "" if parsed.data[end - 1:end] == b";" else ";"
    edits.append((end, end, 1, f"{separator} static {{ {PROBE}({probe_id!r}, () => {access}, (v) => {{ {access} = v; }}); }}"))
    return Probe(probe_id, parsed.path, edits)


def _node_at(parsed: ParsedFile, region: Region) -> tree_sitter.Node | None:
    """The node a finding's region spans (regions count UTF-16 columns; the tree counts bytes)."""
    lines = parsed.data.split(b"\n")
    if not 0 < region.start_line <= len(lines):
        return None

    def offset(line: int, column: int) -> int:
        before = b"\n".join(lines[:line - 1])
        prefix = lines[line - 1].decode("utf-8", "replace").encode("utf-16-le")[:2 * (column - 1)]
        return len(before) + (1 if line > 1 else 0) + len(prefix.decode("utf-16-le", "replace").encode("utf-8"))

    start = offset(region.start_line, region.start_column)
    end = offset(region.end_line or region.start_line, region.end_column or region.start_column)
    node = parsed.tree.root_node.named_descendant_for_byte_range(start, max(start, end))
    # the outermost node of that span (`let x;`: the declarator, not its identifier)
    while node is not None and node.parent is not None and node.parent.start_byte == start and \
            node.parent.end_byte <= max(end, node.end_byte):
        node = node.parent
    return node


def apply(source: bytes, edits: list[tuple[int, int, int, str]]) -> bytes:
    out, pos = [], 0
    replacements = {e for e in edits if e[0] < e[1]}  # two states declared by one `const` replace it once
    insertions = [e for e in edits if e[0] == e[1]]
    for start, end, _, new in sorted([*replacements, *insertions], key=lambda e: (e[0], e[2])):
        out += [source[pos:start], new.encode("utf-8")]
        pos = end
    return b"".join(out) + source[pos:]

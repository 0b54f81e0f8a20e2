"""What the rules that follow invocation data share: finding the entries that reach a sink, and one
finding shape (primary location at the sink, the source and the missing check as related locations,
a code flow from source to sink, the entry points)."""

from __future__ import annotations

from pathlib import Path

import tree_sitter

from auditor.facts.taint import Flow, Origin
from auditor.parsing import text
from rules.base import Rule

MAX_SHOWN = 60


def shown(node: tree_sitter.Node) -> str:
    """Code as a message quotes it: one line, comments left out, shortened."""
    data, start, pieces = node.text, node.start_byte, []
    stack, comments = [node], []
    while stack and len(comments) < MAX_SHOWN:
        current = stack.pop()
        if current.type == "comment":
            comments.append(current)
        elif current.start_byte - start < MAX_SHOWN * 4:  # only the part a message can show
            stack.extend(current.children)
    cut = 0
    for comment in sorted(comments, key=lambda c: c.start_byte):
        pieces.append(data[cut:comment.start_byte - start])
        cut = comment.end_byte - start
    code = " ".join(b"".join(pieces + [data[cut:]]).decode("utf-8", "replace").split())
    return code if len(code) <= MAX_SHOWN else code[:MAX_SHOWN - 1] + "…"


def listed(entries, limit: int = 4) -> str:
    """Entry point ids for a message: "resolver:a, resolver:b and 3 more" (the resolver functions of
    several modules may define the same key: one id)."""
    ids = sorted({e.id for e in entries})
    if not ids:
        return "the entry"
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def imported_from(flow: Flow, name_node: tree_sitter.Node, path: Path, modules: set[str]) -> bool:
    """Is ``name_node`` (an identifier) a binding imported or required from one of ``modules``?"""
    found = flow.values.bindings(path).imports.get(text(name_node))
    return found is not None and found.module in modules


def flow_finding(rule: Rule, flow: Flow, sink: tree_sitter.Node, path: Path, origin: Origin, message: str,
                 entries, *, level: str | None = None, missing=None, properties=None):
    """A finding at ``sink`` for data from ``origin``; ``missing``: where the absent check belongs (a Location)."""
    where = flow.location(sink, path)
    related = [origin.location.with_message(f"source: {origin.what}")] + ([missing] if missing else [])
    return rule.finding(
        message, where, level=level, related=related,
        code_flows=[[origin.location.with_message(origin.what), *origin.via, where.with_message(f"reaches {shown(sink)}")]],
        properties={"entryPoints": sorted({e.id for e in entries}), "source": origin.kind, "sourceData": origin.what,
                    **(properties or {})},
    )

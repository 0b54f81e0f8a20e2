"""What the sandbox's API and storage stubs answer with, beyond the tenant's canary.

- Response shapes from the bundled catalog (rules/data/responses.json): each operation's success
  response as a compact shape, so a stubbed call answers with the nesting the code reads
  (`body.issues[].fields.summary`).
- The app's vocabulary, read from its syntax trees: the string literals it compares a property or a
  name against (`f.name === 'Story Points'`, `case 'refresh':`), seeded into one element of a
  stubbed array so `find()` matches; and the property names it reads, which a seeded storage value
  lists as its own keys so `{ ...DEFAULTS, ...stored }` copies made-up, canary-carrying fields.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import tree_sitter

from auditor.facts.bindings import HOLE
from auditor.facts.values import Values, Where
from auditor.parsing import text

MAX_LITERALS = 6     # literals kept per compared name (one array element each)
MAX_NAMES = 48       # property names a seeded storage value lists
EQUALITY = ("===", "==", "!==", "!=")
# Names every object or array has, or that make a value look like a promise: never listed.
_BUILTIN = frozenset({"length", "then", "catch", "finally", "constructor", "prototype", "toString", "valueOf",
                      "toJSON", "map", "filter", "find", "forEach", "reduce", "some", "every", "includes",
                      "push", "join", "keys", "values", "entries", "get", "set", "has", "size"})


def sandbox_data(facts) -> dict:
    """The stubs' header: {"catalog", "literals", "names"}."""
    parsed = [info.parsed for info in facts.graph.modules.values()]
    literals, names = vocabulary(parsed, Values(parsed, facts.graph))
    return dict(response_shapes(call_prefixes(facts.api_calls)), literals=literals, names=names)


def call_prefixes(calls) -> dict[str, list[str]]:
    """product -> the literal start of each path the app requests ("" when a path starts unknown)."""
    out: dict[str, list[str]] = {}
    for call in calls:
        first = call.parts[0] if call.parts else HOLE
        out.setdefault(call.product, []).append(first.split("?", 1)[0] if isinstance(first, str) else "")
    return out


def response_shapes(prefixes: dict[str, list[str]] | None = None) -> dict:
    """The catalog's shapes as JSON text (parsed in the isolate only when a call needs it):
    {"operations": product -> [[METHOD, literal path prefix, anchored path regex, shape]], "schemas"}.
    With ``prefixes`` (see `call_prefixes`), only the operations those paths can be and the schemas they use."""
    from rules import catalog

    data = catalog.responses()
    operations = {product: [[method, path.split("{", 1)[0],
                             "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) + "$", shape]
                            for method, path, shape in rows
                            if prefixes is None or any(p.startswith(path.split("{", 1)[0]) or
                                                       path.startswith(p) for p in prefixes.get(product, ()))]
                  for product, rows in data["operations"].items()}
    schemas = data["schemas"] if prefixes is None else _used_schemas(operations, data["schemas"])
    return {"catalog": json.dumps({"operations": operations, "schemas": schemas}, separators=(",", ":"))}


def _used_schemas(operations: dict, schemas: dict) -> dict:
    used: dict = {}
    todo = [row[3] for rows in operations.values() for row in rows]
    while todo:
        shape = todo.pop()
        if isinstance(shape, str) and shape.startswith("#") and shape[1:] not in used and shape[1:] in schemas:
            used[shape[1:]] = schemas[shape[1:]]
            todo.append(used[shape[1:]])
        elif isinstance(shape, dict):
            todo.extend(shape.values())
        elif isinstance(shape, list) and shape and shape[0] != "=":
            todo.extend(shape[1:])
    return used


def vocabulary(parsed_files, values: Values) -> tuple[dict[str, list[str]], list[str]]:
    """The literals compared with each property or name (directly or through a constant), and the
    property names read most often."""
    literals: dict[str, list[str]] = {}
    counts: Counter = Counter()
    for parsed in parsed_files:
        captures = parsed.captures(_QUERY)
        where = Where(parsed.path)
        for name, found in compared_literals(captures.get("binary", []) + captures.get("switch", []),
                                             lambda node: values.string(node, where)).items():
            known = literals.setdefault(name, [])
            known += [v for v in found if v not in known][:MAX_LITERALS - len(known)]
        for node in captures.get("name", []):
            parent = node.parent
            if not (parent is not None and parent.type == "member_expression" and parent.parent is not None
                    and parent.parent.type == "call_expression" and parent.parent.child_by_field_name("function") == parent):
                counts[text(node)] += 1
    names = [name for name, _ in counts.most_common() if name not in _BUILTIN and not name.startswith("_")]
    return literals, sorted(names[:MAX_NAMES])


def compared_literals(nodes, constant=lambda node: None) -> dict[str, list[str]]:
    """name -> the string literals it is compared with, in order, among ``nodes`` (binary expressions
    and switch statements; others are ignored): `x.name === 'A'`, `'A' != name`, `case 'A':`.
    ``constant`` gives the string a name (`ACTION`, `Action.Refresh`) stands for, if it is a constant."""
    literals: dict[str, list[str]] = {}

    def compared(subject: tree_sitter.Node | None, literal: tree_sitter.Node | None) -> None:
        name = compared_name(subject)
        value = string_literal(literal)
        if name and value is None and literal is not None and literal.type in ("identifier", "member_expression"):
            value = constant(literal)
        if name and value is not None:
            found = literals.setdefault(name, [])
            if value not in found and len(found) < MAX_LITERALS:
                found.append(value)

    for node in sorted(nodes, key=lambda n: n.start_byte):
        if node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is None or text(operator) not in EQUALITY:
                continue
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            compared(left, right)
            compared(right, left)
        elif node.type == "switch_statement":
            subject = node.child_by_field_name("value")
            body = node.child_by_field_name("body")
            for case in body.named_children if body is not None else []:
                if case.type == "switch_case":
                    compared(subject, case.child_by_field_name("value"))
    return literals


_QUERY = """
(binary_expression) @binary
(switch_statement) @switch
(member_expression property: (property_identifier) @name)
(shorthand_property_identifier_pattern) @name
(pair_pattern key: (property_identifier) @name)
"""


def compared_name(node: tree_sitter.Node | None) -> str | None:
    """`f.name`, `f?.name`, `f['name']` -> name; `action` -> action; through parentheses."""
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    if node is None:
        return None
    if node.type == "identifier":
        return text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return text(prop) if prop is not None else None
    if node.type == "subscript_expression":
        return string_literal(node.child_by_field_name("index"))
    return None


def string_literal(node: tree_sitter.Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None

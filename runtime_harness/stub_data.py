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

import re
from collections import Counter

import tree_sitter

from auditor.facts.values import Values, Where
from auditor.parsing import text

MAX_LITERALS = 6     # literals kept per compared name (one array element each)
MAX_NAMES = 48       # property names a seeded storage value lists
_EQUALITY = ("===", "==", "!==", "!=")
# Names every object or array has, or that make a value look like a promise: never listed.
_BUILTIN = frozenset({"length", "then", "catch", "finally", "constructor", "prototype", "toString", "valueOf",
                      "toJSON", "map", "filter", "find", "forEach", "reduce", "some", "every", "includes",
                      "push", "join", "keys", "values", "entries", "get", "set", "has", "size"})


def sandbox_data(facts) -> dict:
    """The stubs' header: {"operations", "schemas", "literals", "names"}."""
    parsed = [info.parsed for info in facts.graph.modules.values()]
    literals, names = vocabulary(parsed, Values(parsed, facts.graph))
    return dict(response_shapes(), literals=literals, names=names)


def response_shapes() -> dict:
    """product -> [[METHOD, anchored path regex, shape]] and the named schemas, from the catalog."""
    from rules import catalog

    data = catalog.responses()
    return {"operations": {product: [[method, "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) + "$", shape]
                                     for method, path, shape in rows]
                           for product, rows in data["operations"].items()},
            "schemas": data["schemas"]}


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
    ``constant`` gives the string an identifier stands for, if it is a constant."""
    literals: dict[str, list[str]] = {}

    def compared(subject: tree_sitter.Node | None, literal: tree_sitter.Node | None) -> None:
        name = compared_name(subject)
        value = string_literal(literal)
        if name and value is None and literal is not None and literal.type == "identifier":
            value = constant(literal)
        if name and value is not None:
            found = literals.setdefault(name, [])
            if value not in found and len(found) < MAX_LITERALS:
                found.append(value)

    for node in sorted(nodes, key=lambda n: n.start_byte):
        if node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is None or text(operator) not in _EQUALITY:
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

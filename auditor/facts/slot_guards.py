"""Equality-guarded single-slot caches: module state handed out only to the invocation that filled it.

```js
let client = null;
let lastToken = null;
export async function getClient(override) {
  const token = override ?? (await kvs.getSecret('token'));
  if (client && lastToken === token) return client;
  client = new Client(token);
  lastToken = token;
  return client;
}
```

`client` is read only where `lastToken === token` holds, and `lastToken` is set from `token` together
with `client`: a one-entry cache keyed by `token`, as tenant-scoped as a Map keyed by it. The shape is
accepted only when all of these hold (anything else leaves the states to the ordinary judgement):

* the slot and the key are module-level `let` bindings, written only as whole assignments
  (`slot = …;`, `key = x;`) and read only in one function, the one that writes them;
* every `key = x;` sits in the same block as one `slot = …;` and the other way round, with no
  `await` from the first of the two to the end of the second, so the two change together;
* `x` is the same identifier in every `key = x;` and in the guards: a parameter or local of that
  function that it never reassigns, not initialized with a literal;
* every read of the slot is guarded: in the consequent of an `if` whose `&&`-condition includes
  `key === x` (or `x === key`, `==`); in the `else` of an `if` whose `||`-condition includes
  `key !== x`; after such an `if` (no `else`) whose body assigns both at its top level or ends by
  returning or throwing; after this invocation's own `slot = …;` in an enclosing block; or a test
  (`slot`, `!slot`) in a guarding condition itself, where it only decides the branch;
* no `await` lies between the guard (or the assignments) and the read, so no other invocation can
  change the slot in between.

A singleton of an app class is judged field by field the same way (`this.client` keyed by
`this.clientToken` in one method), when the instance is used only through method calls and its class
uses `this` only as `this.<field>` inside its methods, so that the accesses seen are all there are.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import tree_sitter

from auditor.facts.scopes import FUNCTIONS, enclosing_function
from auditor.facts.state import StateFact
from auditor.parsing import text

EQUAL = {"===", "=="}
UNEQUAL = {"!==", "!="}
LITERALS = {"string", "number", "true", "false", "null", "undefined", "template_string"}


class SlotGuard(NamedTuple):
    slot: StateFact
    held_in: str               # the binding or field holding the value (`client`, `this.client`)
    key: StateFact             # the state compared with the invocation's value (`lastToken`)
    compared: str              # the invocation's value (`token`)
    origin: str                # its initializer as written (`override ?? …`), '' for a parameter
    comparison: str            # one guarding comparison as written (`lastToken === token`)
    line: int                  # and its line


def equality_guards(states: list[StateFact], per_tenant) -> dict[int, SlotGuard]:
    """id(slot state) -> its guard, for every slot read only under an equality with its key whose
    compared value ``per_tenant(guard)`` accepts. A singleton of an app class counts as guarded when
    each of its fields that holds invocation data is such a slot or the only-compared key of one."""
    found = {id(g.slot): g for g in _guarded_lets(states) if per_tenant(g)}
    for state in states:
        guard = _guarded_fields(state, per_tenant) if state.class_node is not None else None
        if guard is not None:
            found[id(state)] = guard
    return found


def _guarded_lets(states: list[StateFact]) -> list[SlotGuard]:
    found = []
    by_function: dict[tuple, list[StateFact]] = {}  # slot and key live in one function: pair only there
    for state in states:
        function = _single_function(state) if state.kind == "let" and _whole_assignments(state) else None
        if function is not None:
            by_function.setdefault((state.path, function.start_byte, function.end_byte), []).append(state)
    for group in by_function.values():
        function = group[0].writes[0].function
        for slot in group:
            guard = next((g for key in group if key is not slot and slot.reads
                          for g in [_guard(slot, key, function)] if g is not None), None)
            if guard is not None:
                found.append(guard)
    return found


def _guarded_fields(state: StateFact, per_tenant) -> SlotGuard | None:
    """The guard of the one field of a singleton that holds invocation data (`this.client`, keyed by
    `this.clientToken`), when every other field holding invocation data is only its compared key, the
    instance is used only through method calls and its class touches `this` only as `this.<field>`
    inside instance methods (so the accesses seen are all there are)."""
    if not all(a.node.type == "call_expression" for a in state.writes + state.reads) or not _self_contained(state):
        return None
    fields: dict[str, StateFact] = {}
    for access in state.members:
        name = re.match(r"this\.#?\w+", access.how)
        if name is None:
            return None
        field = fields.setdefault(name.group(0), StateFact(name.group(0), "let", state.declaration, state.path))
        (field.writes if access.kind == "write" else field.reads).append(access)
    guards = [g for g in _guarded_lets(list(fields.values())) if per_tenant(g)]
    covered = {id(g.slot) for g in guards} | {id(g.key) for g in guards if only_compared(g.key)}
    holding = [f for f in fields.values() if any(w.tainted is not None for w in f.writes)]
    if not guards or any(id(f) not in covered for f in holding):
        return None
    return guards[0]._replace(slot=state)


def _self_contained(state: StateFact) -> bool:
    """Does the class use `this` only as `this.<field>` inside its methods (no field initializers or
    arrow-function fields reading it, no `this` handed on whole, no base class whose methods we do not see)?"""
    if any(c.type == "class_heritage" for c in state.class_node.children):
        return False
    body = state.class_node.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        uses = [n for n in _nodes(member, {"this"}, into_functions=True)]
        if member.type != "method_definition" and uses:
            return False
        if any(n.parent is None or n.parent.type != "member_expression" for n in uses):
            return False
    return True


def only_compared(state: StateFact) -> bool:
    """Is every read of ``state`` an operand of an equality test (its value never flows anywhere)?"""
    return all(r.node.parent is not None and r.node.parent.type == "binary_expression"
               and _operator(r.node.parent) in EQUAL | UNEQUAL for r in state.reads)


def _whole_assignments(state: StateFact) -> bool:
    return all(w.node.type == "assignment_expression"
               and text(w.node.child_by_field_name("left")) == state.name
               and w.node.parent is not None and w.node.parent.type == "expression_statement"
               for w in state.writes)


def _single_function(state: StateFact) -> tree_sitter.Node | None:
    """The one function (of one file) holding every write and read of ``state``, if there is one."""
    if not state.writes:
        return None
    functions = {(a.function.start_byte, a.function.end_byte) if a.function is not None else None
                 for a in state.writes + state.reads}
    paths = {a.location.path for a in state.writes + state.reads}
    if len(functions) != 1 or None in functions or len(paths) != 1:
        return None
    return state.writes[0].function


def _guard(slot: StateFact, key: StateFact, function: tree_sitter.Node) -> SlotGuard | None:
    compared = {text(w.node.child_by_field_name("right")) for w in key.writes}
    if len(compared) != 1 or key.writes[0].node.child_by_field_name("right").type != "identifier":
        return None
    name = compared.pop()
    origin = _invocation_value(name, function)  # None: not this invocation's own value
    if origin is None or not _paired(slot, key):
        return None
    guards = []
    for read in slot.reads:
        if enclosing_function(read.node) != function:
            return None
        guard = _guarding(read.node, slot, key, name)
        if guard is None:
            return None
        guards.append(guard)
    comparisons = [g for g in guards if g.type == "binary_expression"]
    if not comparisons:
        return None  # every read follows the invocation's own store: no cache at all, nothing to say
    return SlotGuard(slot, slot.name, key, name, origin, text(comparisons[0]), comparisons[0].start_point[0] + 1)


def _paired(slot: StateFact, key: StateFact) -> bool:
    """Every `slot = …;` has one `key = x;` in the same block and the other way round, with no `await`
    from the first of the two to the end of the second (another invocation would see one without the
    other)."""
    def blocks(state):
        return {(w.node.parent.parent.start_byte, w.node.parent.parent.end_byte): w.node for w in state.writes}
    slots, keys = blocks(slot), blocks(key)
    if len(slots) != len(slot.writes) or len(keys) != len(key.writes) or slots.keys() != keys.keys():
        return False
    for block, first in slots.items():
        first, second = sorted((first, keys[block]), key=lambda n: n.start_byte)
        body = enclosing_function(first).child_by_field_name("body")
        if any(first.end_byte <= a.start_byte < second.end_byte for a in _nodes(body, {"await_expression"})):
            return False
    return True


def _invocation_value(name: str, function: tree_sitter.Node) -> str | None:
    """The initializer ('' for a parameter) of ``name`` when it is this invocation's own value: a parameter
    or local of ``function`` it never reassigns, not a literal. None otherwise (a module binding, a
    constant, a reassigned local)."""
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    declared = None
    if params is not None and any(text(i) == name for i in _nodes(
            params, {"identifier", "shorthand_property_identifier_pattern"})):
        declared = ""
    body = function.child_by_field_name("body")
    for node in _nodes(body, {"variable_declarator", "assignment_expression", "augmented_assignment_expression",
                              "update_expression"}) if body is not None else ():
        if node.type == "variable_declarator":
            target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if target is None or text(target) != name:
                continue
            if declared is not None or value is None or _constant(value):
                return None
            declared = text(value)
        elif text(node.child_by_field_name("left") or node.child_by_field_name("argument") or node) == name:
            return None  # reassigned: the compared value and the stored key could differ
    return declared


def _constant(value: tree_sitter.Node) -> bool:
    if value.type == "template_string":
        return not any(c.type == "template_substitution" for c in value.named_children)
    return value.type in LITERALS


def _nodes(root: tree_sitter.Node, types: set[str], into_functions: bool = False):
    """Nodes of ``types`` under ``root``, not entering nested functions unless asked to."""
    stack = list(root.named_children)
    while stack:
        node = stack.pop()
        if node.type in types:
            yield node
        if into_functions or node.type not in FUNCTIONS:
            stack.extend(node.named_children)


def _operator(node: tree_sitter.Node) -> str:
    op = node.child_by_field_name("operator")
    return text(op) if op is not None else ""


def _terms(condition: tree_sitter.Node, joiner: str) -> list[tree_sitter.Node]:
    """The operands of a `&&` (or `||`) chain, parentheses removed."""
    while condition.type == "parenthesized_expression" and condition.named_children:
        condition = condition.named_children[0]
    if condition.type == "binary_expression" and _operator(condition) == joiner:
        return _terms(condition.child_by_field_name("left"), joiner) + \
            _terms(condition.child_by_field_name("right"), joiner)
    return [condition]


def _comparison(condition: tree_sitter.Node, joiner: str, operators: set[str], key: str, name: str):
    for term in _terms(condition, joiner):
        if term.type == "binary_expression" and _operator(term) in operators and \
                {text(term.child_by_field_name("left")), text(term.child_by_field_name("right"))} == {key, name}:
            return term
    return None


def _guarding(read: tree_sitter.Node, slot: StateFact, key: StateFact, name: str) -> tree_sitter.Node | None:
    """The comparison that guards ``read`` (see the module docstring), None when none does."""
    child, node = read, read.parent
    while node is not None and node.type not in FUNCTIONS:
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            alternative = node.child_by_field_name("alternative")
            if child == condition:  # `slot && key === x`, `!slot || key !== x`: the slot only decides the branch
                for joiner, operators in (("&&", EQUAL), ("||", UNEQUAL)):
                    found = _comparison(condition, joiner, operators, key.name, name)
                    if found is not None and any(_tests(t, read) for t in _terms(condition, joiner)):
                        return found
            if child == consequence:
                found = _comparison(condition, "&&", EQUAL, key.name, name)
                if found is not None and _calm(found.end_byte, read):
                    return found
            if child == alternative:
                found = _comparison(condition, "||", UNEQUAL, key.name, name)
                if found is not None and _calm(found.end_byte, read):
                    return found
        if node.type == "statement_block":
            for statement in node.named_children:
                if statement.start_byte >= child.start_byte:
                    break
                found = _refreshes(statement, slot, key, name, read) or _stored(statement, slot, read)
                if found is not None:
                    return found
        child, node = node, node.parent
    return None


def _tests(term: tree_sitter.Node, read: tree_sitter.Node) -> bool:
    """Is ``term`` the read itself or its negation (`slot`, `!slot`)?"""
    if term.type == "unary_expression" and _operator(term) == "!":
        term = term.child_by_field_name("argument")
    return term == read


def _refreshes(statement, slot, key, name, read) -> tree_sitter.Node | None:
    """`if (… || key !== x) { slot = …; key = x; }` (or a body that returns/throws) before ``read``."""
    if statement.type != "if_statement" or statement.child_by_field_name("alternative") is not None:
        return None
    found = _comparison(statement.child_by_field_name("condition"), "||", UNEQUAL, key.name, name)
    body = statement.child_by_field_name("consequence")
    if found is None or body is None:
        return None
    statements = body.named_children if body.type == "statement_block" else [body]
    if statements and statements[-1].type in ("return_statement", "throw_statement"):
        return found if _calm(statement.end_byte, read) else None
    assigned = [s for s in statements if s.type == "expression_statement" and s.named_children
                and s.named_children[0].type == "assignment_expression"
                and text(s.named_children[0].child_by_field_name("left")) in (slot.name, key.name)]
    if {text(s.named_children[0].child_by_field_name("left")) for s in assigned} != {slot.name, key.name}:
        return None
    first = min(assigned, key=lambda s: s.start_byte).named_children[0].child_by_field_name("right")
    return found if _calm(first.end_byte, read) else None


def _stored(statement, slot, read) -> tree_sitter.Node | None:
    """`slot = …;` itself before ``read``: the read gets what this invocation just stored."""
    assignment = statement.named_children[0] if statement.type == "expression_statement" and \
        statement.named_children else None
    if assignment is None or assignment.type != "assignment_expression" or \
            text(assignment.child_by_field_name("left")) != slot.name:
        return None
    return assignment if _calm(assignment.end_byte, read) else None


def _calm(start: int, read: tree_sitter.Node) -> bool:
    """No `await` (no other invocation can run) from byte ``start`` to ``read`` in its function."""
    function = enclosing_function(read)
    body = function.child_by_field_name("body") if function is not None else None
    return body is not None and not any(start <= a.start_byte < read.start_byte
                                        for a in _nodes(body, {"await_expression"}))

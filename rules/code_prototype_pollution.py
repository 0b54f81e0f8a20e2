"""Reports nested computed writes whose property names come from the caller (prototype pollution).

## What it does
In code a user or a web trigger invokes, finds writes `o[k] = v` where `k`
derives from caller data (the payload, a caller-described part of
`context`, a web trigger's request — including the keys of a caller's
object, `for (const k in payload.settings)`) and `o` itself was reached
through another caller-named property: `t[a][b] = v`, the hand-written deep
merge that recurses into `target[key]`, the deep set that walks
`cur = cur[part] ??= {}` along a caller's path. A write is not reported when
an `if` that skips or stops on `__proto__` / `constructor` / `prototype`
(literally, or through a constant list or set of them) guards it. One
finding per function.

With `--confirm`, the finding is replayed: tenant A invokes an entry with `__proto__` in
the caller data (as an object key, a dotted path, a path list or a property name), tenant B
then invokes it in the same warm isolate; confirmed when `Object.prototype` still has the
property A named after B's invocation.

## Why is this bad?
With `a = "__proto__"`, `t[a]` is `Object.prototype`, and `t[a][b] = v`
gives every object in the process a property `b`. Forge reuses a warm
process for later invocations — of other users and other tenants — so a
polluted `isAdmin`, `role` or `url` default leaks into code that never saw
the attacker's payload, until the process is recycled (CWE-1321).

## Example
```js
function deepMerge(target, source) {
  for (const key of Object.keys(source)) {
    if (typeof source[key] === 'object') deepMerge(target[key] ??= {}, source[key]);
    else target[key] = source[key];
  }
}
resolver.define('saveSettings', ({ payload }) => deepMerge(settings, payload.settings));
```

## How to fix
Skip the dangerous names before writing
(`if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;`),
build targets with `Object.create(null)` or use a `Map`, or validate the
payload against a schema with a closed set of keys.
"""

from __future__ import annotations

import re

from auditor.facts.bindings import call_of_callee, string_value, unwrap
from auditor.facts.scopes import FUNCTIONS, enclosing_function
from auditor.facts.taint import arguments, Denylist, receives_caller_data
from auditor.facts.values import function_name, word_pattern
from auditor.parsing import text
from rules.base import Rule
from rules.invocation_data import flow_finding, listed, shown

DANGEROUS = frozenset({"__proto__", "constructor", "prototype"})
# `o[k] = v`, `o[k] ??= v`…: found by bytes (a query walks every node of a bundle)
WRITE_AFTER_BRACKET = re.compile(rb"\]\s*(?:\?\?|\|\||&&)?=(?![=>])")
MAX_DEPTH = 6


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(receives_caller_data):
        return
    for path in sorted(flow.graph.modules):
        parsed = flow.parsed(path)
        reported = set()
        for left in _computed_writes(parsed):
            fn = enclosing_function(left)
            if fn is None or fn.id in reported:
                continue
            index = left.child_by_field_name("index")
            if index is None or not _through_caller_key(flow, left.child_by_field_name("object"), path, 0, set()):
                continue  # the cheaper question first: most computed writes fill a flat map
            origins = flow.caller_origins(index, path)
            if not origins:
                continue
            entries = {e for e in flow.reaching(left, path) if receives_caller_data(e)}
            if not entries or flow.guarded(left, path, _excludes_dangerous(flow)) is not None:
                continue
            reported.add(fn.id)
            write = left.parent
            missing = flow.location(fn, path, "no check of the keys against '__proto__', 'constructor', 'prototype' "
                                    "in this function")
            yield flow_finding(
                RULE, flow, write, path, origins[0],
                f"{shown(write)} writes a property named by caller data ({origins[0].what}) into an object reached "
                "through another caller-named property, and nothing excludes '__proto__', 'constructor' and "
                f"'prototype': a payload {{\"__proto__\": {{…}}}} sent to {listed(entries)} adds properties to "
                "Object.prototype for every later invocation the warm process serves, other tenants' included",
                entries, missing=missing)


def _computed_writes(parsed):
    """The `o[k]` targets of assignments in the file."""
    root = parsed.tree.root_node
    for match in WRITE_AFTER_BRACKET.finditer(parsed.data):
        bracket = root.descendant_for_byte_range(match.start(), match.start() + 1)
        left = bracket.parent if bracket is not None else None
        write = left.parent if left is not None else None
        if left is not None and left.type == "subscript_expression" and write is not None and \
                write.type in ("assignment_expression", "augmented_assignment_expression") and \
                write.child_by_field_name("left") is not None and write.child_by_field_name("left").id == left.id:
            yield left


def _through_caller_key(flow, node, path, depth, seen) -> bool:
    """Can ``node`` be an object read with a caller-named property (``t[a]``), directly or through names,
    defaults (``t[a] ??= {}``, ``t[a] || {}``) and a helper's parameter at any of its call sites?"""
    if node is None or depth > MAX_DEPTH or node.id in seen:
        return False
    seen.add(node.id)
    node = unwrap(node)
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return bool(flow.caller_origins(index, path)) if index is not None else False
    if node.type in ("assignment_expression", "augmented_assignment_expression"):
        return _through_caller_key(flow, node.child_by_field_name("left"), path, depth + 1, seen) or \
            _through_caller_key(flow, node.child_by_field_name("right"), path, depth + 1, seen)
    if node.type in ("binary_expression", "ternary_expression"):
        return any(_through_caller_key(flow, node.child_by_field_name(side), path, depth + 1, seen)
                   for side in ("left", "right", "consequence", "alternative"))
    if node.type != "identifier":
        return False
    bindings = flow.values.bindings(path)
    decl = bindings.declaration(node)
    if decl is None:
        return False
    if decl.kind == "param":
        return _parameter_from_caller_key(flow, decl, path, depth, seen)
    declarator = decl.declarator if decl.kind in ("const", "let", "var") else None
    values = [declarator.child_by_field_name("value")] if declarator is not None and \
        declarator.type == "variable_declarator" else []
    values += bindings.assigned_values(decl)
    return any(_through_caller_key(flow, v, path, depth + 1, seen) for v in values if v is not None)


def _parameter_from_caller_key(flow, decl, path, depth, seen) -> bool:
    fn = decl.scope
    if fn.type not in FUNCTIONS:
        return False
    params = fn.child_by_field_name("parameters")
    names = [p for p in params.named_children if p.type != "comment"] if params is not None else []
    index = next((i for i, p in enumerate(names) if p.start_byte <= decl.node.start_byte < p.end_byte), None)
    if index is None:
        return False
    for call, call_path in flow.values.call_sites(fn, path) + _recursive_calls(flow, fn, path):
        args = arguments(call)
        if index < len(args) and _through_caller_key(flow, args[index], call_path, depth + 1, seen):
            return True
    return False


def _recursive_calls(flow, fn, path) -> list:
    """Calls of ``fn`` by its own name inside its body (a deep merge recursing into ``target[key]``), which
    the call sites of ``fn`` leave out."""
    name_node, _ = function_name(fn)
    if name_node is None:
        return []
    found = []
    for occurrence in flow.parsed(path).occurrences(word_pattern(text(name_node))):
        call = call_of_callee(occurrence) if fn.start_byte < occurrence.start_byte < fn.end_byte else None
        if call is not None and unwrap(call.child_by_field_name("function")).type == "identifier":
            found.append((call, path))
    return found


def _excludes_dangerous(flow) -> Denylist:
    def names_dangerous(condition, path):
        return flow.derives(condition, path, lambda node, at: "excludes " + string_value(node)
                            if node.type == "string" and string_value(node) in DANGEROUS else None)
    return Denylist(names_dangerous)


RULE = Rule(
    id="code/prototype-pollution", name="CallerKeyedNestedWrite", level="error",
    summary="Nested computed write with caller-chosen property names (prototype pollution)",
    doc=__doc__, cwe=(1321,), precision="medium", security_severity=8.1, check=check, invocations=True,
)

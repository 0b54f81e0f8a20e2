"""Invocation inputs for two tenants that ask for the same things.

The payload fields an entry point reads are taken from its syntax tree
(`payload.issueKey`, `payload?.filter?.jql`, `const { projectKey, options: { mode } } = payload`,
`const body = JSON.parse(request.body)`, `request.queryParameters.project[0]`).
Identifier-like fields (keys and ids) get the same value for both tenants, so
both ask for `PROJ-1`; a field the code compares with string literals
(`switch (payload.action) { case 'sync': ... }`, `if (mode === 'full')`) gets one
of them, the same for both tenants: variant ``i`` of a payload takes the i-th, variant None
none (`if (entryPoint === 'edit') return` guards the code worth replaying; `variants()` lists
them). Every other field carries the tenant's
canary, so data that came from tenant A is recognisable wherever it turns up.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import tree_sitter

from auditor.facts.bindings import EXPRESSION_WRAPPERS
from auditor.parsing import language, text
from runtime_harness.stub_data import compared_literals, string_literal

SHARED_VALUES = [
    (re.compile(r"issue", re.I), "PROJ-1"), (re.compile(r"project", re.I), "PROJ"),
    (re.compile(r"page|content|blog", re.I), "12345"), (re.compile(r"space", re.I), "SPACE"),
    (re.compile(r"board", re.I), "42"), (re.compile(r"sprint", re.I), "7"), (re.compile(r"filter", re.I), "10042"),
    (re.compile(r"account|user|assignee|reporter", re.I), "5b10ac8d82e05b22cc7d4ef5"),
    (re.compile(r"jql", re.I), "project = PROJ"), (re.compile(r"comment", re.I), "10100"),
    (re.compile(r"component", re.I), "10010"), (re.compile(r"version", re.I), "10020"),
    (re.compile(r"email", re.I), "someone@example.com"),
]
KEYISH = re.compile(r"(key|id|slug|jql|type|kind|status|mode|lang|locale|action|priority|email)s?$", re.I)
KEYISH_CASED = re.compile(r"(Key|Id)s?$")
# Identifiers of one invocation, request or job: two tenants never send the same one, so they are never
# shared (a cache keyed by one cannot hand one tenant's entry to another).
PER_INVOCATION = re.compile(r"(job|request|invocation|trace|span|correlation|session|message|execution|delivery|event)"
                            r"[_-]?ids?$|uuid$|guid$|nonce$", re.I)


# A storage key naming product objects (`board:PROJ`, `tracked-boards`, `sprint-ids`) holds their ids, which
# are per-site counters or keys: both tenants store the same ones (board 1 exists on every site).
STORED_IDS = re.compile(r"^(?:[a-z]+[-_])*(issue|project|page|space|board|sprint|filter|component|version)"
                        r"(?:s|[-_]?ids?)?$", re.I)


def is_keyish(name: str) -> bool:
    return bool(KEYISH.search(name) or KEYISH_CASED.search(name)) and not PER_INVOCATION.search(name)


def js_rules() -> dict:
    """The same naming rules for the sandbox, which makes up fields the code reads at run time."""
    return {"shared": [[pattern.pattern, value] for pattern, value in SHARED_VALUES],
            "keyish": KEYISH.pattern, "keyishCased": KEYISH_CASED.pattern, "perInvocation": PER_INVOCATION.pattern,
            "storedIds": STORED_IDS.pattern}


def shared_value(name: str) -> str:
    for pattern, value in SHARED_VALUES:
        if pattern.search(name):
            return value
    return "KEY-1" if re.search(r"key$", name, re.I) else "1001"


def leaf(name: str, canary: str, path: str = "") -> Any:
    """The value of a field at the end of ``path`` (e.g. `issue.key`): shared when identifier-like."""
    if is_keyish(name):
        value = shared_value(path or name)
        return [value] if name.endswith("s") and not name.endswith("ss") else value
    return f"{canary}:{name}"


_JSON_BODY = "(json)"  # a path step: the JSON text parsed (`JSON.parse(request.body)`)
_ALIAS_DEPTH = 3


@functools.lru_cache(maxsize=64)
def _nodes(source: str) -> tuple[tree_sitter.Node, ...]:
    """Every node of an entry function's code, in source order: parsed once for the variant count and for
    each tenant's payload of every pair."""
    out, stack = [], [tree_sitter.Parser(language("tsx")).parse(source.encode("utf-8", "replace")).root_node]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return tuple(out)


def _step(member: tree_sitter.Node) -> str | None:
    """The property a member or subscript expression reads: `.name`, `?.name`, `['name']`."""
    if member.type == "member_expression":
        prop = member.child_by_field_name("property")
        return text(prop) if prop is not None and prop.type == "property_identifier" else None
    return string_literal(member.child_by_field_name("index"))


def _reads(nodes: list[tree_sitter.Node], root: str, depth: int = 0) -> list[list[str]]:
    """The property paths read from the name ``root``: member chains, destructuring (nested, with
    defaults), aliases (`const p = req.payload`) and JSON texts parsed (`JSON.parse(request.body)`)."""
    found = []
    for node in nodes:
        if node.type != "identifier" or text(node) != root:
            continue
        path, top = [], node
        while True:
            parent = top.parent
            if parent is None:
                break
            if parent.type in EXPRESSION_WRAPPERS:
                top = parent
            elif parent.type in ("member_expression", "subscript_expression") and \
                    parent.child_by_field_name("object") == top and _step(parent) is not None:
                if parent.parent is not None and parent.parent.type == "call_expression" and \
                        parent.parent.child_by_field_name("function") == parent:
                    break  # `items.find(…)`: a method of the value read so far, not a field of it
                path.append(_step(parent))
                top = parent
            elif parent.type == "arguments" and parent.parent is not None and \
                    text(parent.parent.child_by_field_name("function") or parent) == "JSON.parse":
                path.append(_JSON_BODY)
                top = parent.parent
            else:
                break
        if path and path[-1] != _JSON_BODY:
            found.append(path)
        declarator = top.parent
        if declarator is None or declarator.type not in ("variable_declarator", "assignment_expression") or \
                (declarator.child_by_field_name("value") or declarator.child_by_field_name("right")) != top:
            continue
        target = declarator.child_by_field_name("name") or declarator.child_by_field_name("left")
        if target is not None and target.type == "object_pattern":
            found += [path + p for p in _pattern_paths(target, nodes, depth)]
        elif target is not None and target.type == "identifier" and depth < _ALIAS_DEPTH and text(target) != root:
            found += [path + p for p in _reads(nodes, text(target), depth + 1)]
    return found


def _root_reads(nodes: list[tree_sitter.Node], root: str) -> list[list[str]]:
    """`_reads` for a root that may be a member chain (`req.payload`): the paths read below it, through
    `req.payload.x`, `const { payload: { x } } = req` and `const p = req.payload; p.x` alike."""
    name, *steps = root.split(".")
    return [path[len(steps):] for path in _reads(nodes, name)
            if path[:len(steps)] == steps and len(path) > len(steps)]


def read_fields(source: str, params: list[str]) -> list[str]:
    """The top-level fields an entry reads from its payload, in source order."""
    nodes = _nodes(source)
    return list(dict.fromkeys(path[0] for root in ([p for p in params if p] or ["payload"])
                              for path in _root_reads(nodes, root)))


def _pattern_paths(pattern: tree_sitter.Node, nodes: list[tree_sitter.Node], depth: int) -> list[list[str]]:
    """`{ a, b: { c }, d = 1, e: alias }` -> [a], [b, c], [d], [e] and what is read from `alias`."""
    found = []
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            found.append([text(prop)])
        elif prop.type == "object_assignment_pattern":
            left = prop.child_by_field_name("left")
            if left is not None and left.type == "shorthand_property_identifier_pattern":
                found.append([text(left)])
        elif prop.type == "pair_pattern":
            key = prop.child_by_field_name("key")
            name = string_literal(key) if key is not None and key.type == "string" else text(key) if key else None
            value = prop.child_by_field_name("value")
            if value is not None and value.type == "assignment_pattern":
                value = value.child_by_field_name("left")
            if not name or value is None:
                continue
            if value.type == "object_pattern":
                found += [[name] + p for p in _pattern_paths(value, nodes, depth)]
            else:
                found.append([name])
                if value.type == "identifier" and depth < _ALIAS_DEPTH:
                    found += [[name] + p for p in _reads(nodes, text(value), depth + 1)]
    return found


def _aliases(nodes: list[tree_sitter.Node]) -> dict[str, str]:
    """Local names of destructured fields (`const { action: kind } = payload`): local -> field."""
    return {text(p.child_by_field_name("value")): text(p.child_by_field_name("key")) for p in nodes
            if p.type == "pair_pattern" and p.child_by_field_name("value") is not None
            and p.child_by_field_name("value").type == "identifier"}


def _compared(nodes: list[tree_sitter.Node], constants: dict[str, str]) -> dict[str, list[str]]:
    """Field name -> the literals the code compares it with (through a destructuring alias too);
    ``constants``: what compared names stand for (`TriageAction.Refresh` -> 'refresh')."""
    literals = compared_literals(nodes, lambda node: constants.get(text(node)))
    for local, field in _aliases(nodes).items():
        if local in literals:
            literals.setdefault(field, literals[local])
    return literals


def variants(source: str, params: list[str], context_params: list[str] = (),
             constants: dict | None = None) -> list[int | None]:
    """The input variants `payload_for` and `context` can make for this entry, in the order worth
    trying: one per literal (up to the most literals one of the fields it reads is compared with),
    then None, with no compared field set to a literal."""
    nodes = _nodes(source)
    literals = _compared(nodes, constants or {})
    roots = ([p for p in params if p] or ["payload"]) + list(context_params)
    fields = {part for root in roots for path in _root_reads(nodes, root) for part in path}
    return [*range(max([len(literals[f]) for f in fields if f in literals], default=0)), None]


def _build(paths: list[list[str]], canary: str, values: bool = False, literals: dict | None = None,
           variant: int | None = 0) -> dict:
    """Nested objects along the paths the code reads, with shared values at identifier-like leaves and
    at leaves compared with literals (the ``variant``-th literal). Other leaves are left out (the sandbox
    makes them up, shaped as the code uses them) unless ``values`` asks for canary strings (for JSON
    bodies, which cannot be made up later)."""
    out: dict = {}
    for parts in sorted(paths, key=len):
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                choices = (literals or {}).get(part) if variant is not None else None
                value = choices[variant % len(choices)] if choices else leaf(part, canary, ".".join(parts[-2:]))
                if values or not (isinstance(value, str) and value.startswith(canary)):
                    node.setdefault(part, value)
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return out


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base.setdefault(key, value)
    return base


_TENANT_IDS = ("cloudId", "installContext", "workspaceId", "installation", "installationId")


def context(tenant: dict, source: str = "", params: list[str] = (), variant: int | None = 0,
            constants: dict | None = None) -> dict:
    """The context an entry receives (its second argument, a resolver's `req.context`): the installation's
    ids, and the fields the entry's code (``source``) reads from the names in ``params``
    (`context.extension.gadgetConfiguration.boardId`, `const { extension: { type } } = req.context`), with
    compared literals (`extension.type === 'jira:issuePanel'`) as in `payload_for`."""
    cloud = tenant["cloudId"]
    base = {
        "cloudId": cloud, "installContext": f"ari:cloud:jira::site/{cloud}", "workspaceId": f"ws-{cloud}",
        "installation": {"ari": {"installationId": tenant["installation"]}, "contexts": [{"cloudId": cloud}]},
        "accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "licensed", "localId": "local-1",
        "moduleKey": "module", "environmentType": "PRODUCTION", "environmentId": "env-1",
        "principal": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}, "license": {"isActive": True, "active": True},
        "extension": {
            "type": "jira:issuePanel", "issue": {"key": "PROJ-1", "id": "10001", "type": "Task"},
            "project": {"key": "PROJ", "id": "10000", "type": "software"},
            "content": {"id": "12345", "type": "page"}, "space": {"key": "SPACE", "id": "98304"},
            "board": {"id": "42"}, "sprint": {"id": "7"}, "config": {}, "gadget": {},
        },
    }
    nodes = _nodes(source) if source and params else ()
    paths = [path for root in params for path in _root_reads(nodes, root)]
    if not paths:
        return base
    # The installation's own ids stay (a made-up `cloudId` shared by both tenants would make a cache keyed
    # by it look shared); fields it lacks are added, and a compared field gets its literal.
    literals = _compared(nodes, constants or {})
    _merge(base, _build(paths, tenant["canary"]))
    compared = [path for path in paths if path[-1] in literals and path[0] not in _TENANT_IDS]
    return _merge(_build(compared, tenant["canary"], literals=literals, variant=variant), base)


def payload_for(kind: str, source: str, params: list[str], tenant: dict, variant: int | None = 0,
                constants: dict | None = None) -> Any:
    """The first argument an entry receives. ``kind``: resolver, webtrigger, trigger, consumer,
    scheduledTrigger, jira:jqlFunction or function; ``source`` is the entry function's code; ``params`` its
    parameter names (for resolvers: the names bound to `payload`); ``variant`` picks which literal
    a compared field gets (see `variants`)."""
    canary = tenant["canary"]
    roots = [p for p in params if p] or ["payload"]
    nodes = _nodes(source)
    literals = _compared(nodes, constants or {})
    paths = [path for root in roots for path in _root_reads(nodes, root)]
    if kind == "webtrigger":
        body_paths = [p[2:] for p in paths if p[:2] == ["body", _JSON_BODY] and len(p) > 2]
        body = _merge(_build(body_paths, canary, True, literals, variant), {f: f"{canary}:{f}" for f in
                                                    ("summary", "subject", "description", "message", "text")})
        request = {"method": "POST", "path": "/", "userPath": "", "queryParameters": {},
                   "headers": {"content-type": ["application/json"]}, "body": json.dumps(body)}
        # Query parameters and headers are lists of strings. A query parameter is what the caller asks
        # for, so both tenants send the same one; a header is shared only when identifier-like.
        for part, into in (("queryParameters", request["queryParameters"]), ("headers", request["headers"])):
            for name in {p[1] for p in paths if len(p) > 1 and p[0] == part}:
                choices = literals.get(name) if variant is not None else None
                value = choices[variant % len(choices)] if choices else \
                    shared_value(name) if part == "queryParameters" or is_keyish(name) else f"{canary}:{name}"
                into.setdefault(name, [value])
        rest = [p for p in paths if p[:1] not in (["body"], ["method"], ["queryParameters"], ["headers"])]
        return _merge(request, _build(rest, canary, literals=literals, variant=variant))
    built = _build(paths, canary, literals=literals, variant=variant)
    if kind == "trigger":
        return _merge(built, {"eventType": "avi:jira:created:issue", "atlassianId": "5b10ac8d82e05b22cc7d4ef5",
                              "issue": {"id": "10001", "key": "PROJ-1", "fields": {
                                  "summary": f"{canary}:summary", "description": f"{canary}:description",
                                  "priority": {"name": "Highest"}, "status": {"name": "Open"},
                                  "project": {"key": "PROJ", "id": "10000"}}},
                              # an update's changelog; `toString` is a field name here, a string
                              "changelog": {"id": "10400", "items": [{
                                  "field": "status", "fieldtype": "jira", "fieldId": "status", "from": "10000",
                                  "fromString": f"{canary}:fromString", "to": "10001",
                                  "toString": f"{canary}:toString"}]},
                              "timestamp": "2026-01-01T00:00:00.000Z"})
    if kind == "consumer":
        body = built.pop("body", {}) if isinstance(built.get("body"), dict) else {}
        return _merge(built, {"body": _merge(body, {"issueKey": "PROJ-1", "text": f"{canary}:text"}),
                              "jobId": f"job-{canary}"})
    if kind == "jira:jqlFunction":  # `issue in linkedTo("PROJ-1")`: what a user typed, the same on both sites
        return _merge(built, {"clause": {"field": "issue", "operator": "in", "arguments": ["PROJ-1"]}})
    if kind == "scheduledTrigger":
        return _merge(built, {"context": {"cloudId": tenant["cloudId"], "moduleKey": "module"},
                              "contextToken": f"{canary}:token"})
    return built

"""Product routes handed to calls forge-audit cannot follow.

A ``route`...``` tagged template (or ``assumeTrustedRoute(...)``) from ``@forge/api`` is a product
API path. When one reaches a call that is no recognised Forge request (an npm HTTP wrapper's
``jira.get(route`...`)``, a third-party SDK method), directly, through a ``const``, inside an options
object or through the parameter of app helpers that hand it on, the request it makes is invisible:
it is kept as a ``LostRoute`` so that it can lower the confidence of unused-scope findings for the
product the path names. A route that reaches a recognised request (also one inside an app wrapper,
which is read at its call sites) is a need already and is left out; so is one only logged, converted
or kept in a local collection. Found from the byte-regex occurrences of the two route names: no walk
of the file."""

from __future__ import annotations

import bisect
from typing import NamedTuple

import tree_sitter

from auditor.facts.bindings import EXPRESSION_WRAPPERS, FileBindings, call_of_callee, callee_name, same, unwrap
from auditor.facts.values import ROUTE_CALLS, Trace, Values, Where, word_pattern
from auditor.model import Location
from auditor.parsing import ParsedFile, text

# The product a route's leading path segment names (what requestJira/-Confluence/-Bitbucket take).
PRODUCT_OF_PREFIX = (("/rest/", "jira"), ("/wiki/", "confluence"), ("/2.0/", "bitbucket"))
MAX_USES = 20      # uses of one route variable looked at
MAX_CALLEE = 40    # characters of a callee shown in a message
MAX_DEPTH = 3      # app functions a route is followed into
# Globals whose calls (or methods, or instances' methods) are plain JavaScript, never a request.
BUILTINS = frozenset({"console", "JSON", "Object", "Array", "String", "Number", "Boolean", "Symbol", "Promise",
                      "Reflect", "Math", "Date", "Map", "Set", "WeakMap", "WeakSet", "URL", "URLSearchParams",
                      "encodeURI", "encodeURIComponent", "decodeURI", "decodeURIComponent", "Error", "TypeError"})


class LostRoute(NamedTuple):
    product: str
    parts: list        # evaluated path: str pieces and HOLE
    form: str          # "route" | "assumeTrustedRoute"
    sink: str          # the call it is passed to, for messages: "jira.get()"
    location: Location  # that call


def product_of(parts: list) -> str | None:
    """The product whose API a route path is on, from its literal start; None for anything else."""
    head = parts[0] if parts and isinstance(parts[0], str) else ""
    return next((product for prefix, product in PRODUCT_OF_PREFIX if head.startswith(prefix)), None)


def find(parsed: ParsedFile, values: Values, requests: list[tree_sitter.Node],
         request_names: frozenset[str]) -> list[LostRoute]:
    """The file's routes that reach an unfollowed call. ``requests``: the file's recognised request
    calls; ``request_names``: the names that make a call inside an app helper one (the helper's call
    sites resolve it)."""
    bindings = values.bindings(parsed.path)
    where = Where(parsed.path)
    ids = {request.id for request in requests}
    # Most routes are written as a request's path argument: skipped by byte offset, without the
    # parent walks (each one descends from the root) the other checks take.
    paths = sorted(_path_span(request) for request in requests)
    starts = [start for start, _ in paths]
    lost = []
    for name in ROUTE_CALLS:  # one literal pattern each: far faster over a bundle than an alternation
        for node in parsed.occurrences(name):
            i = bisect.bisect_right(starts, node.start_byte) - 1
            if i >= 0 and node.end_byte <= paths[i][1]:
                continue
            route = call_of_callee(node)
            if route is None:
                continue
            sinks = [(sink, arg) for sink, arg in _sinks(route, bindings) if sink.id not in ids
                     and callee_name(sink.child_by_field_name("function")) not in ROUTE_CALLS]
            if not sinks or not _from_forge(bindings, node):
                continue
            found = None
            for sink, arg in sinks:
                for label in _unfollowed(values, sink, arg, where, request_names, 0):
                    if found is None:
                        found = [parts for parts in values.strings(route, where) if product_of(parts)]
                    lost += [LostRoute(product_of(parts), parts, name, label, parsed.location(sink))
                             for parts in found]
    lost.sort(key=lambda route: route.location.region)
    return lost


def _path_span(request: tree_sitter.Node) -> tuple[int, int]:
    """The bytes of a request's path (first) argument."""
    args = request.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    return (first.start_byte, first.end_byte) if first is not None else (request.end_byte, request.end_byte)


def _from_forge(bindings: FileBindings, name: tree_sitter.Node) -> bool:
    """``route`` imported from @forge/api, or a bundle's ``_forge_api.route``."""
    if name.type == "identifier":
        forge = bindings.imported_from_forge(text(name))
        return forge is not None and forge[0] == "api"
    receiver = name.parent.child_by_field_name("object")
    return receiver is not None and bindings.forge_module(receiver) == "api"


def _unfollowed(values: Values, call: tree_sitter.Node, arg: tree_sitter.Node | None, where: Where,
                request_names: frozenset[str], depth: int = 0) -> list[str]:
    """The calls forge-audit cannot follow that a route passed to ``call`` as ``arg`` reaches, for
    messages: "jira.get()", "jiraGet() and on to jira.get()". A call of an app function is looked
    into through the parameter the route binds: a request there is read at the call sites; uses of
    the parameter other than as an argument, or a route inside an options object, are not followed."""
    callee = call.child_by_field_name("function")
    if callee is None or callee_name(callee) in request_names:
        return []
    functions = values.functions(callee, where, Trace())
    if not functions:
        return [] if _plain_javascript(callee, values.bindings(where.path)) else [_label(call)]
    found = []
    for fn, at in functions if arg is not None and depth < MAX_DEPTH else []:
        param = _parameter(fn, arg)
        if param is not None:
            inner = values.bindings(at.path)
            for sink, inner_arg in _uses(param, inner, fn):
                found += _unfollowed(values, sink, inner_arg, Where(at.path), request_names, depth + 1)
    return [f"{_label(call)} and on to {label}" for label in found] if depth == 0 else found


def _plain_javascript(callee: tree_sitter.Node, bindings: FileBindings) -> bool:
    """A built-in the route is logged, converted or kept with (``console.log(p)``, ``String(p)``,
    ``seen.push(p)`` on a local array, Map or Set): no request."""
    callee = unwrap(callee)
    if callee.type == "identifier":
        return text(callee) in BUILTINS and not bindings.declares(text(callee)) and text(callee) not in bindings.imports
    receiver = unwrap(callee.child_by_field_name("object")) if callee.type == "member_expression" else None
    if receiver is None or receiver.type in ("array", "object", "string", "template_string"):
        return receiver is not None
    if receiver.type != "identifier":
        return False
    name = text(receiver)
    if name in BUILTINS:
        return not bindings.declares(name) and name not in bindings.imports
    decl = bindings.declaration(receiver)
    declarator = decl.declarator if decl is not None else None
    value = declarator.child_by_field_name("value") if declarator is not None and declarator.type == "variable_declarator" else None
    if value is None or not same(declarator.child_by_field_name("name"), decl.node):
        return False
    value = unwrap(value)
    constructor = value.child_by_field_name("constructor") if value.type == "new_expression" else None
    return value.type in ("array", "object") or constructor is not None and text(constructor) in BUILTINS


def _parameter(fn: tree_sitter.Node, arg: tree_sitter.Node) -> tree_sitter.Node | None:
    """The plain identifier parameter of ``fn`` that the argument ``arg`` binds."""
    args = [a for a in arg.parent.named_children if a.type != "comment"]
    index = next((i for i, a in enumerate(args) if same(a, arg)), None)
    single = fn.child_by_field_name("parameter")  # `path => ...`
    if single is not None:
        params = [single]
    else:
        node = fn.child_by_field_name("parameters")
        params = [p for p in node.named_children if p.type != "comment"] if node is not None else []
    if index is None or index >= len(params) or any(a.type == "spread_element" for a in args[:index + 1]):
        return None
    param = params[index]
    if param.type in ("required_parameter", "optional_parameter"):
        param = param.child_by_field_name("pattern")
    if param is not None and param.type == "assignment_pattern":
        param = param.child_by_field_name("left")
    return param if param is not None and param.type == "identifier" else None


def _sinks(route: tree_sitter.Node, bindings: FileBindings) -> list[tuple[tree_sitter.Node, tree_sitter.Node | None]]:
    """(call, argument) for each call the route value is passed to: as an argument (None when as a
    property of an object argument), directly or through the const/let it initializes. Other uses
    (returned, stored) are not followed."""
    holder = _outer(route)
    parent = holder.parent
    if parent is not None and parent.type == "variable_declarator" and same(parent.child_by_field_name("value"), holder):
        name = parent.child_by_field_name("name")
        return _uses(name, bindings, None) if name is not None and name.type == "identifier" else []
    return _argument_of(route)


def _uses(name: tree_sitter.Node, bindings: FileBindings, within: tree_sitter.Node | None
          ) -> list[tuple[tree_sitter.Node, tree_sitter.Node | None]]:
    """(call, argument) for each use of the name declared at ``name`` as an argument (in ``within``)."""
    decl = bindings.declaration(name)
    if decl is None:
        return []
    found = []
    for use in bindings.parsed.occurrences(word_pattern(text(name)))[:MAX_USES]:
        if use.type == "identifier" and not same(use, name) \
                and (within is None or within.start_byte <= use.start_byte < within.end_byte) \
                and same(getattr(bindings.declaration(use), "node", None), decl.node):
            found += _argument_of(use)
    return found


def _argument_of(value: tree_sitter.Node) -> list[tuple[tree_sitter.Node, tree_sitter.Node | None]]:
    """(call, argument) when ``value`` is an argument of a call, (call, None) when it is a property of
    an object argument."""
    holder = _outer(value)
    parent = holder.parent
    arg: tree_sitter.Node | None = holder
    if parent is not None and parent.type == "pair" and same(parent.child_by_field_name("value"), holder):
        holder, arg = parent.parent, None  # the object
        parent = holder.parent if holder is not None else None
    if parent is None or parent.type != "arguments":
        return []
    call = parent.parent
    if call is None or call.type != "call_expression":
        return []
    return [(call, arg)]


def _outer(node: tree_sitter.Node) -> tree_sitter.Node:
    """``node`` with the parentheses, `await` and TypeScript casts around it."""
    while node.parent is not None and node.parent.type in EXPRESSION_WRAPPERS:
        node = node.parent
    return node


def _label(call: tree_sitter.Node) -> str:
    callee = unwrap(call.child_by_field_name("function"))
    shown = " ".join(text(callee).split())
    if len(shown) > MAX_CALLEE:
        shown = callee_name(callee) or "a function"
    return f"{shown}()"

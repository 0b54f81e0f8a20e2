"""Product routes handed to calls forge-audit cannot follow.

A ``route`...``` tagged template (or ``assumeTrustedRoute(...)``) from ``@forge/api`` is a product
API path. When one reaches a call that is no recognised Forge request and no app function (an npm
HTTP wrapper's ``jira.get(route`...`)``, a third-party SDK method), the request it makes is
invisible: it is kept as a ``LostRoute`` so that it can lower the confidence of unused-scope
findings for the product the path names. A route that reaches a recognised request, directly, through
a variable or through an app wrapper whose call sites are followed, is a need already and is left out.
Found from the byte-regex occurrences of the two route names: no walk of the file.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import tree_sitter

from auditor.facts.bindings import FileBindings, call_of_callee, callee_name, same, unwrap
from auditor.facts.values import ROUTE_CALLS, Trace, Values, Where, _word
from auditor.model import Location
from auditor.parsing import ParsedFile, text

# The product a route's leading path segment names (what requestJira/-Confluence/-Bitbucket take).
PRODUCT_OF_PREFIX = (("/rest/", "jira"), ("/wiki/", "confluence"), ("/2.0/", "bitbucket"))
MAX_USES = 20      # uses of one route variable looked at
MAX_CALLEE = 40    # characters of a callee shown in a message


@dataclass
class LostRoute:
    product: str
    parts: list        # evaluated path: str pieces and HOLE
    form: str          # "route" | "assumeTrustedRoute"
    sink: str          # the call it is passed to, for messages: "jira.get()"
    location: Location  # that call


def product_of(parts: list) -> str | None:
    """The product whose API a route path is on, from its literal start; None for anything else."""
    head = parts[0] if parts and isinstance(parts[0], str) else ""
    return next((product for prefix, product in PRODUCT_OF_PREFIX if head.startswith(prefix)), None)


def find(parsed: ParsedFile, values: Values, requests: list[tree_sitter.Node]) -> list[LostRoute]:
    """The file's routes that reach a call other than one of ``requests`` (the recognised request
    calls) or a call of an app function."""
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
            sinks = [sink for sink in _sinks(route, bindings) if sink.id not in ids
                     and callee_name(sink.child_by_field_name("function")) not in ROUTE_CALLS]
            if not sinks or not _from_forge(bindings, node):
                continue
            found = None
            for sink in sinks:
                if _calls_app_function(values, sink, where):
                    continue
                if found is None:
                    found = [parts for parts in values.strings(route, where) if product_of(parts)]
                lost += [LostRoute(product_of(parts), parts, name, _label(sink), parsed.location(sink))
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


def _sinks(route: tree_sitter.Node, bindings: FileBindings) -> list[tree_sitter.Node]:
    """The calls the route value is passed to: as an argument (or a property of an object argument),
    directly or through the const/let it initializes. Other uses (returned, stored) are not followed."""
    holder = _outer(route)
    parent = holder.parent
    if parent is not None and parent.type == "variable_declarator" and same(parent.child_by_field_name("value"), holder):
        name = parent.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return []
        decl = bindings.declaration(name)
        sinks = []
        for use in bindings.parsed.occurrences(_word(text(name)))[:MAX_USES]:
            if use.type == "identifier" and not same(use, name) and decl is not None \
                    and same(getattr(bindings.declaration(use), "node", None), decl.node):
                sinks += _argument_of(use)
        return sinks
    return _argument_of(route)


def _argument_of(value: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The call ``value`` is an argument of, or a property of an object argument of."""
    holder = _outer(value)
    parent = holder.parent
    if parent is not None and parent.type == "pair" and same(parent.child_by_field_name("value"), holder):
        holder = parent.parent  # the object
        parent = holder.parent if holder is not None else None
    if parent is None or parent.type != "arguments":
        return []
    call = parent.parent
    if call is None or call.type != "call_expression":
        return []
    return [call]


def _outer(node: tree_sitter.Node) -> tree_sitter.Node:
    """``node`` with the parentheses and TypeScript casts around it."""
    while node.parent is not None and node.parent.type in (
            "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
        node = node.parent
    return node


def _calls_app_function(values: Values, call: tree_sitter.Node, where: Where) -> bool:
    """The call's callee is a function of the app: its call sites are followed from the requests in it."""
    callee = call.child_by_field_name("function")
    return callee is not None and bool(values.functions(callee, where, Trace()))


def _label(call: tree_sitter.Node) -> str:
    callee = unwrap(call.child_by_field_name("function"))
    shown = " ".join(text(callee).split())
    if len(shown) > MAX_CALLEE:
        shown = callee_name(callee) or "a function"
    return f"{shown}()"

"""Call sites in app code that need OAuth scopes or egress permissions.

* product API calls: ``api.asApp().requestJira(route`...`)``, ``asUser()``, the
  same through aliases, destructuring, bundler-renamed imports, and
  ``requestJira`` from ``@forge/bridge`` in frontends; clients and paths are
  followed by values.py through helpers, ternaries, class fields, objects,
  wrapper parameters and files;
* Atlassian gateway calls (``__requestAtlassian``, ``requestAtlassian``,
  ``__requestAtlassianAsApp``/``AsUser``: product ``stargate``) and
  ``requestConnectedData`` (product ``connected-data``);
* ``fetch`` calls (``@forge/api`` or global) with their URL when it is literal;
* uses of Forge storage (``@forge/kvs``, ``@forge/storage``, ``storage`` from ``@forge/api``);
* ``route`` values passed to calls that are neither of the above nor app functions (lost_routes.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import tree_sitter

from auditor.facts import lost_routes
from auditor.facts.bindings import HOLE, FileBindings, call_of_callee, forge_package, unwrap
from auditor.facts.values import Trace, Values, Where, function_name
from auditor.model import Location
from auditor.parsing import ParsedFile, text

# Request methods of a product client (asApp()/asUser(), @forge/bridge) -> the product they reach.
PRODUCT_OF = {"requestJira": "jira", "requestConfluence": "confluence", "requestBitbucket": "bitbucket",
              "requestAtlassian": "stargate", "__requestAtlassian": "stargate",
              "requestConnectedData": "connected-data"}
# @forge/api functions that are a gateway request with their identity built in.
GATEWAY_FUNCTIONS = {"__requestAtlassianAsApp": "asApp", "__requestAtlassianAsUser": "asUser"}
STORAGE_PACKAGES = ("kvs", "storage")
REQUEST_NAMES = frozenset([*PRODUCT_OF, *GATEWAY_FUNCTIONS])


@dataclass
class ApiCall:
    product: str            # jira | confluence | bitbucket | stargate | connected-data
    function: str           # requestJira ...
    via: str                # asApp | asUser | bridge
    method: str | None      # None when it cannot be read statically
    parts: list             # evaluated path: str pieces and HOLE
    location: Location      # the request, or the wrapper call site whose arguments chose the path
    frontend: bool
    request: Location | None = None   # the request itself, when ``location`` is a wrapper's call site
    wrapper: str | None = None        # that wrapper, for messages: "jiraGet()"
    # The same request seen from each call site of the function its path or method is a parameter
    # of; asked only when this call alone cannot be resolved (a bundle has thousands of wrappers).
    call_sites: Callable[[], list[ApiCall]] | None = field(default=None, repr=False, compare=False)
    node: tree_sitter.Node | None = field(default=None, repr=False, compare=False)  # the request call


@dataclass
class FetchCall:
    parts: list             # evaluated URL
    location: Location
    frontend: bool
    node: tree_sitter.Node | None = field(default=None, repr=False, compare=False)  # the fetch call

    @property
    def url(self) -> str | None:
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], str) else None


class StorageUse(NamedTuple):
    location: Location
    what: str


@dataclass
class CodeFacts:
    api_calls: list[ApiCall]
    fetch_calls: list[FetchCall]
    storage_uses: list[StorageUse]
    lost_routes: list[lost_routes.LostRoute]


class Request(NamedTuple):
    """A product request call, before its path and method are read in some context."""
    node: tree_sitter.Node
    function: str
    product: str
    vias: tuple[str, ...]
    location: Location
    frontend: bool


def extract(parsed: ParsedFile, values: Values) -> CodeFacts:
    """The calls of one file; ``values`` (over the file's module graph) follows paths and clients
    through names, functions and files."""
    bindings = values.bindings(parsed.path)
    where = Where(parsed.path)
    facts = CodeFacts([], [], [], [])
    frontend = parsed.source.frontend
    requests = []
    for call, name in _candidates(parsed, bindings):
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "arguments":
            continue
        if name == "fetch":
            if _is_fetch(bindings, fn):
                first = args.named_children[0] if args.named_children else None
                facts.fetch_calls += [FetchCall(parts, parsed.location(call), frontend, call)
                                      for parts in values.strings(first, where)]
            continue
        vias = _vias(values, where, name, fn)
        if vias:
            requests.append(call)
            request = Request(call, name, PRODUCT_OF.get(name, "stargate"), tuple(sorted(vias)),
                              parsed.location(call), frontend)
            facts.api_calls += _api_calls(values, request, where, request.location, None)
    facts.storage_uses.extend(_storage_uses(parsed, bindings))
    facts.lost_routes = lost_routes.find(parsed, values, requests, REQUEST_NAMES)
    facts.api_calls.sort(key=lambda c: c.location.region)
    return facts


def _api_calls(values: Values, request: Request, where: Where, location: Location,
               wrapper: str | None) -> list[ApiCall]:
    """One ApiCall per (identity, path, method) the request can have in ``where``, all at ``location``."""
    args = request.node.child_by_field_name("arguments").named_children
    trace = Trace()
    paths = values.strings(args[0] if args else None, where, trace)
    methods = values.methods(args[1] if len(args) > 1 else None, where, trace)
    # which function's call sites decide is looked up only if asked: most calls resolve on their own
    call_sites = functools.partial(_at_call_sites, values, request, where, trace) if trace.unbound else None
    return [ApiCall(product=request.product, function=request.function, via=via, method=method, parts=parts,
                    location=location, frontend=request.frontend,
                    request=request.location if wrapper else None, wrapper=wrapper, call_sites=call_sites,
                    node=request.node)
            for via in request.vias for parts in paths for method in methods]


def _at_call_sites(values: Values, request: Request, where: Where, trace: Trace) -> list[ApiCall]:
    """The request as seen from each call site of the function its path or method comes from."""
    opened = values.open_function(request.node, where, trace)
    if opened is None:
        return []
    fn, path = opened
    name, _ = function_name(fn)
    label = f"{text(name)}()" if name is not None else "a wrapper function"
    found = []
    for site, site_path in values.call_sites(fn, path):
        at = where.called_from(fn, path, site, site_path)
        found += _api_calls(values, request, at, values.parsed(site_path).location(site), label)
    return found


def _candidates(parsed: ParsedFile, bindings: FileBindings):
    """(call node, Forge function name) for every call that may be a product API or fetch call."""
    names = "|".join(sorted([*PRODUCT_OF, *GATEWAY_FUNCTIONS, "fetch"], key=len, reverse=True))
    aliases: dict[str, str] = {}
    for node in parsed.occurrences(names):
        call = call_of_callee(node)
        if call is not None:
            yield call, text(node)
        elif node.type == "property_identifier" and node.parent is not None and node.parent.type == "pair_pattern":
            alias = node.parent.child_by_field_name("value")  # const { requestJira: rj } = api.asApp()
            if alias is not None and alias.type == "identifier":
                aliases[text(alias)] = text(node)
    aliases.update((local, imp.name) for local, imp in bindings.imports.items()
                   if (imp.name in PRODUCT_OF or imp.name in GATEWAY_FUNCTIONS) and local != imp.name and forge_package(imp.module))
    aliases = {local: name for local, name in aliases.items() if local not in PRODUCT_OF and local not in GATEWAY_FUNCTIONS}
    if aliases:
        for node in parsed.occurrences("|".join(re.escape(a) for a in aliases)):
            call = call_of_callee(node)
            if call is not None:
                yield call, aliases[text(node)]


def _vias(values: Values, where: Where, name: str, fn: tree_sitter.Node) -> set[str]:
    """The identities (asApp, asUser, bridge) a request-like callee calls with; empty if it is not Forge's."""
    bindings = values.bindings(where.path)
    fn = unwrap(fn)
    if fn.type == "identifier":
        forge = bindings.imported_from_forge(text(fn))
        if forge is not None:
            return {"bridge"} if forge[0] == "bridge" else {GATEWAY_FUNCTIONS.get(forge[1], "asApp")}
        source = bindings.destructured_source(text(fn))  # const { requestJira } = api.asApp()
        return values.clients(source, where) if source is not None and name in PRODUCT_OF else set()
    receiver = fn.child_by_field_name("object") if fn.type == "member_expression" else None
    if receiver is None:
        return set()
    if name in GATEWAY_FUNCTIONS:  # a bundle's (0, _forge_api__WEBPACK_IMPORTED_MODULE_0__.__requestAtlassianAsApp)(...)
        return {GATEWAY_FUNCTIONS[name]} if bindings.forge_module(receiver) == "api" else set()
    clients = values.clients(receiver, where)
    if clients:
        return clients
    package = bindings.forge_module(receiver)
    if package == "bridge":
        return {"bridge"}
    return {"asApp"} if package == "api" else set()


def _is_fetch(bindings: FileBindings, fn: tree_sitter.Node) -> bool:
    fn = unwrap(fn)
    if fn.type == "identifier":
        imported = bindings.imports.get("fetch")
        if imported is not None:
            return True  # @forge/api's fetch, node-fetch, undici: all leave through egress
        return not bindings.declares("fetch")
    receiver = fn.child_by_field_name("object")
    return receiver is not None and bindings.forge_module(receiver) == "api"


def _storage_uses(parsed: ParsedFile, bindings: FileBindings) -> list[StorageUse]:
    """The first place the file reaches Forge storage (one is enough to need storage:app)."""
    for imported in bindings.imports.values():
        package = forge_package(imported.module)
        if package in STORAGE_PACKAGES or (package == "api" and imported.name == "storage"):
            return [StorageUse(parsed.location(imported.node), f"storage from {imported.module}")]
    source = bindings.destructured_source("storage")  # const { storage } = api
    if source is not None and bindings.forge_module(source) == "api":
        return [StorageUse(parsed.location(source.parent or source), "storage from @forge/api")]
    for node in parsed.occurrences("storage"):
        member = node.parent
        if node.type == "property_identifier" and member is not None and member.type == "member_expression":
            receiver = member.child_by_field_name("object")
            if receiver is not None and bindings.forge_module(receiver) == "api":
                return [StorageUse(parsed.location(member), "storage from @forge/api")]
    for match in re.finditer(rb"@forge/(?:kvs|storage)\b", parsed.data):
        node = parsed.tree.root_node.named_descendant_for_byte_range(match.start(), match.end())
        if node is not None and node.type == "string_fragment":
            return [StorageUse(parsed.location(node.parent), f"bundled {match.group().decode()}")]
    return []


__all__ = ["ApiCall", "FetchCall", "StorageUse", "CodeFacts", "extract", "HOLE"]

"""Call sites in app code that need OAuth scopes or egress permissions.

* product API calls: ``api.asApp().requestJira(route`...`)``, ``asUser()``, the
  same through aliases, destructuring, bundler-renamed imports, and
  ``requestJira`` from ``@forge/bridge`` in frontends;
* ``fetch`` calls (``@forge/api`` or global) with their URL when it is literal;
* uses of Forge storage (``@forge/kvs``, ``@forge/storage``, ``storage`` from ``@forge/api``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from auditor.facts.bindings import HOLE, FileBindings, callee_name, forge_package, is_await_call, same, unwrap
from auditor.model import Location
from auditor.parsing import ParsedFile, text

PRODUCT_OF = {"requestJira": "jira", "requestConfluence": "confluence", "requestBitbucket": "bitbucket"}
STORAGE_PACKAGES = ("kvs", "storage")



@dataclass
class ApiCall:
    product: str            # jira | confluence | bitbucket
    function: str           # requestJira ...
    via: str                # asApp | asUser | bridge
    method: str | None      # None when it cannot be read statically
    parts: list             # evaluated path: str pieces and HOLE
    location: Location
    frontend: bool


@dataclass
class FetchCall:
    parts: list             # evaluated URL
    location: Location
    frontend: bool

    @property
    def url(self) -> str | None:
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], str) else None


@dataclass
class StorageUse:
    location: Location
    what: str


@dataclass
class CodeFacts:
    api_calls: list[ApiCall]
    fetch_calls: list[FetchCall]
    storage_uses: list[StorageUse]


def extract(parsed: ParsedFile) -> CodeFacts:
    bindings = FileBindings(parsed)
    facts = CodeFacts([], [], [])
    frontend = parsed.source.frontend
    for call, name in _candidates(parsed, bindings):
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "arguments":
            continue
        arg_nodes = args.named_children
        if name == "fetch":
            if _is_fetch(bindings, fn):
                first = arg_nodes[0] if arg_nodes else None
                facts.fetch_calls.append(FetchCall(bindings.evaluate(first), parsed.location(call), frontend))
            continue
        via = _via(bindings, fn)
        if via is None:
            continue
        first = arg_nodes[0] if arg_nodes else None
        options = arg_nodes[1] if len(arg_nodes) > 1 else None
        facts.api_calls.append(ApiCall(
            product=PRODUCT_OF[name], function=name, via=via,
            method=_method(bindings, options), parts=bindings.evaluate(first),
            location=parsed.location(call), frontend=frontend,
        ))
    facts.storage_uses.extend(_storage_uses(parsed, bindings))
    facts.api_calls.sort(key=lambda c: c.location.region)
    return facts


def _candidates(parsed: ParsedFile, bindings: FileBindings):
    """(call node, Forge function name) for every call that may be a product API or fetch call."""
    names = "|".join(list(PRODUCT_OF) + ["fetch"])
    aliases: dict[str, str] = {}
    for node in parsed.occurrences(names):
        call = _call_of_callee(node)
        if call is not None:
            yield call, text(node)
        elif node.type == "property_identifier" and node.parent is not None and node.parent.type == "pair_pattern":
            alias = node.parent.child_by_field_name("value")  # const { requestJira: rj } = api.asApp()
            if alias is not None and alias.type == "identifier":
                aliases[text(alias)] = text(node)
    aliases.update((local, imp.name) for local, imp in bindings.imports.items()
                   if imp.name in PRODUCT_OF and local != imp.name and forge_package(imp.module))
    aliases = {local: name for local, name in aliases.items() if local not in PRODUCT_OF}
    if aliases:
        for node in parsed.occurrences("|".join(re.escape(a) for a in aliases)):
            call = _call_of_callee(node)
            if call is not None:
                yield call, aliases[text(node)]


def _call_of_callee(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The call whose callee is ``node``: f(), x.f(), (0, x.f)(), await (0, x.f)()."""
    current = node
    if node.type == "property_identifier":
        current = node.parent
        if current is None or current.type != "member_expression" or \
                not same(current.child_by_field_name("property"), node):
            return None
    elif node.type != "identifier":
        return None
    for _ in range(4):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "call_expression":
            if same(parent.child_by_field_name("function"), current):
                return parent
            return None
        if parent.type in ("parenthesized_expression", "sequence_expression"):
            current = parent
        elif parent.type == "arguments" and is_await_call(parent.parent) and \
                same(parent.named_children[-1], current):  # tree-sitter's `await (0, x.f)` quirk
            current = parent.parent
        else:
            return None
    return None


def _via(bindings: FileBindings, fn: tree_sitter.Node) -> str | None:
    """How a requestJira-like callee reaches the product API, or None if it is not Forge's."""
    fn = unwrap(fn)
    if fn.type == "identifier":
        forge = bindings.imported_from_forge(text(fn))
        if forge is not None:
            return "bridge" if forge[0] == "bridge" else "asApp"
        source = bindings.destructured_source(text(fn))
        return _context_call(bindings, source) if source is not None else None
    if fn.type != "member_expression":
        return None
    receiver = fn.child_by_field_name("object")
    if receiver is None:
        return None
    context = _context_call(bindings, receiver)
    if context is not None:
        return context
    package = bindings.forge_module(receiver)
    if package == "bridge":
        return "bridge"
    return "asApp" if package == "api" else None


def _context_call(bindings: FileBindings, node: tree_sitter.Node, depth: int = 0) -> str | None:
    """'asApp'/'asUser' when node is ``<forge api>.asApp()`` (directly or via a constant)."""
    node = unwrap(node)
    if node.type == "identifier" and depth < 3:
        value = bindings.constant(text(node))
        return _context_call(bindings, value, depth + 1) if value is not None else None
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    name = callee_name(fn) if fn is not None else None
    if name not in ("asApp", "asUser"):
        return None
    fn = unwrap(fn)
    if fn.type == "identifier":
        return name if bindings.imported_from_forge(name) else None
    receiver = fn.child_by_field_name("object")
    # `api.asApp()` with api from @forge/api; bundles rename it, so also accept
    # any receiver we cannot disprove: asApp/asUser are Forge's own vocabulary.
    if receiver is not None and bindings.forge_module(receiver) not in (None, "api"):
        return None
    return name


def _is_fetch(bindings: FileBindings, fn: tree_sitter.Node) -> bool:
    fn = unwrap(fn)
    if fn.type == "identifier":
        imported = bindings.imports.get("fetch")
        if imported is not None:
            return True  # @forge/api's fetch, node-fetch, undici: all leave through egress
        return not bindings.declares("fetch")
    receiver = fn.child_by_field_name("object")
    return receiver is not None and bindings.forge_module(receiver) == "api"


def _method(bindings: FileBindings, options: tree_sitter.Node | None) -> str | None:
    if options is None:
        return "GET"
    value = bindings.object_property(options, "method")
    if value is False:
        return None
    if value is None:
        return "GET"
    method = bindings.string_constant(value)
    return method.upper() if method else None


def _storage_uses(parsed: ParsedFile, bindings: FileBindings) -> list[StorageUse]:
    """The first place the file reaches Forge storage (one is enough to need storage:app)."""
    for imported in bindings.imports.values():
        package = forge_package(imported.module)
        if package in STORAGE_PACKAGES or (package == "api" and imported.name == "storage"):
            return [StorageUse(parsed.location(imported.node), f"storage from {imported.module}")]
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

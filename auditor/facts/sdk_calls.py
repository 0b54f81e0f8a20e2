"""Scope needs of Forge SDK helpers: calls that reach a product API without the app writing the request.

* property hooks ``useIssueProperty``, ``useContentProperty``, ``useSpaceProperty``: like ``forge lint``,
  any import of that name, whatever the package, needs the hook's fixed scope sets; the package's own
  REST calls (``@forge/react``, UI Kit 1) also count as use of their scopes;
* the Properties API of ``@forge/api`` < 4: ``properties.onJiraIssue(key).get|set|delete`` and
  ``onJiraProject``, ``onConfluencePage``, ``onConfluenceSpace`` (also through a constant);
* ``privacy.reportPersonalData`` (``@forge/api``), ``realtime.subscribeGlobal`` (``@forge/bridge``),
  ``requestTeamworkGraph`` (``@forge/bridge``, ``asUser()``), ``authorize().onJira*|onConfluenceContent``;
* ``@atlassian/forge-graphql``: ``graphqlGateway.compass[.configAsCode].asApp()|asUser().<method>(...)``
  with the per-method scopes of the Compass table. A method missing from the table, or a Compass
  client used where it cannot be followed, is ``Unresolved`` (product ``compass``).

Forge storage (``storage:app``) is found by api_calls.py. Every scope set comes from
rules/data/sdk-helpers.json and compass-graphql.json; helper rows the table marks unverified, and the
Compass scopes of fields a method may also send, count as use but never prove a scope missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from auditor.facts.bindings import FileBindings, call_of_callee, callee_name, forge_package, same, unwrap
from auditor.facts.scope_needs import Requirement, ScopeNeed, Unresolved
from auditor.parsing import ParsedFile, text
from rules import catalog

# Plain substring searches (memchr-fast, unlike one regex over a 5 MB bundle) decide whether a file can
# hold any helper call at all.
_HELPER_WORDS = (b"useIssueProperty", b"useContentProperty", b"useSpaceProperty", b"onJira", b"onConfluence",
                 b"reportPersonalData", b"subscribeGlobal", b"requestTeamworkGraph", b"forge-graphql")
HOOKS = ("useIssueProperty", "useContentProperty", "useSpaceProperty")
HOOK_PACKAGES = ("@forge/react", "@forge/ui-jira", "@forge/ui-confluence")  # their own rows: REST calls made
PROPERTY_ENTITIES = "onJiraIssue|onJiraProject|onConfluencePage|onConfluenceSpace"
PROPERTY_OPS = ("get", "set", "delete")
AUTHORIZE_CHECKS = "onConfluenceContent|onJiraIssue|onJiraProject|onJira"
GRAPHQL_PACKAGE = "@atlassian/forge-graphql"


@dataclass
class SdkFacts:
    needs: list[ScopeNeed] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def extract(parsed: ParsedFile) -> SdkFacts:
    found = SdkFacts()
    if not any(word in parsed.data for word in _HELPER_WORDS):
        return found
    bindings = FileBindings(parsed)
    for finder in (_hooks, _properties, _namespace_calls, _teamwork_graph, _authorize, _compass):
        finder(parsed, bindings, found)
    found.needs.sort(key=lambda need: need.location.region)  # stable: a call's own needs stay in order
    return found


Pair = tuple[frozenset[str], frozenset[str]]  # (classic, granular): declaring either satisfies it


def _sdk_need(what: str, operations: list[list[Pair]], location, verified: bool) -> ScopeNeed:
    """Every need of this module is built here. ``operations``: what the helper may send, each the list
    of (classic, granular) pairs any of which satisfies it; ``verified`` False: the scopes satisfy and
    count as use, but never prove a scope missing."""
    return ScopeNeed(what, [Requirement.of(*(s for c, g in pairs for s in (c, g)), unverified=not verified)
                            for pairs in operations], location, "sdk")


def _need(what: str, package: str, forms: list[str], location, verified: bool = True) -> ScopeNeed:
    """The need of a helper call that is one of ``forms``. A row that needs no scope at all (``none``) but
    names others (an ``authorize()`` check: no classic scope, a granular one in the spec) makes those
    use only."""
    rows = [row for form in forms for row in catalog.sdk_helper(package, form)]
    operations = [[(frozenset(c), frozenset(g)) for c, g in row["requirements"]] for row in rows]
    needs_nothing = any(not c and not g for pairs in operations for c, g in pairs)
    return _sdk_need(what, [[(c, g) for c, g in pairs if c or g] for pairs in operations], location,
                     verified and not needs_nothing and all(row["verified"] for row in rows))


def _rest_call(package: str, form: str) -> str:
    """' (GET /rest/api/3/...)' for a helper row with a concrete request, for messages."""
    row = catalog.sdk_helper(package, form)[0]
    return f" ({row['method']} {row['path']})" if row["path"].startswith("/") else ""


# -- tree shapes -----------------------------------------------------------------------------------


def compass_client(node: tree_sitter.Node, bindings: FileBindings) -> str | None:
    """'asApp' / 'asUser' when ``node`` is ``graphqlGateway.compass[.configAsCode].asApp()|asUser()`` of
    @atlassian/forge-graphql."""
    node = unwrap(node)
    fn = unwrap(node.child_by_field_name("function")) if node.type == "call_expression" else None
    name = callee_name(fn) if fn is not None else None
    if name not in ("asApp", "asUser") or fn.type != "member_expression":
        return None
    holder = unwrap(fn.child_by_field_name("object"))
    if holder.type == "member_expression" and text(holder.child_by_field_name("property")) == "configAsCode":
        holder = unwrap(holder.child_by_field_name("object"))
    if holder.type != "member_expression" or text(holder.child_by_field_name("property")) != "compass":
        return None
    gateway = unwrap(holder.child_by_field_name("object"))
    imported = bindings.imports.get(text(gateway)) if gateway.type == "identifier" else None
    return name if imported is not None and imported.module == GRAPHQL_PACKAGE else None


def _member(prop: tree_sitter.Node) -> tree_sitter.Node | None:
    """The member expression ``x.prop`` whose property is this property_identifier (with an object:
    error recovery can leave it out)."""
    parent = prop.parent
    if prop.type == "property_identifier" and parent is not None and parent.type == "member_expression" and \
            same(parent.child_by_field_name("property"), prop) and parent.child_by_field_name("object") is not None:
        return parent
    return None


def _outer_member(node: tree_sitter.Node) -> tuple[str, tree_sitter.Node] | None:
    """For ``node.name`` (node the object): (name, the member expression)."""
    parent = node.parent
    if parent is not None and parent.type == "member_expression" and same(parent.child_by_field_name("object"), node):
        prop = parent.child_by_field_name("property")
        if prop is not None:
            return text(prop), parent
    return None


def _method_calls(bindings: FileBindings, value: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node]] | None:
    """``value.m(...)`` calls made on a value, directly or through a constant that holds it:
    [(m, call)], or None when the value goes somewhere we cannot follow."""
    outer = value
    while outer.parent is not None and outer.parent.type in ("parenthesized_expression", "await_expression"):
        outer = outer.parent
    member = _outer_member(outer)
    if member is not None:
        call = call_of_callee(member[1])
        return [(member[0], call)] if call is not None else None
    declarator = outer.parent
    if declarator is None or declarator.type != "variable_declarator" or \
            not same(declarator.child_by_field_name("value"), outer):
        return None
    name_node = declarator.child_by_field_name("name")
    decl = bindings.declaration(name_node) if name_node is not None and name_node.type == "identifier" else None
    if decl is None or bindings.assigned_values(decl):  # a constant: it holds this value and no other
        return None
    calls = []
    for node in bindings.parsed.occurrences(re.escape(text(name_node))):
        if same(node, name_node) or node.type != "identifier" or \
                not same(getattr(bindings.declaration(node), "node", None), decl.node):
            continue
        member = _outer_member(node)
        call = call_of_callee(member[1]) if member is not None else None
        if call is None:
            return None  # passed on, returned, stored: other calls may be made on it
        calls.append((member[0], call))
    return calls


def _is_export(bindings: FileBindings, node: tree_sitter.Node | None, package: str, exports: tuple[str, ...]) -> bool:
    """Is ``node`` one of ``exports`` of @forge/<package>: an import of it, ``<module>.<export>``, or
    ``const { export } = <module>``?"""
    if node is None:
        return False
    node = unwrap(node)
    if node.type == "identifier":
        name = text(node)
        imported = bindings.imported_from_forge(name)
        if imported is not None:
            return imported[0] == package and imported[1] in exports
        source = bindings.destructured_source(name)
        return name in exports and source is not None and bindings.forge_module(source) == package
    if node.type == "member_expression":
        prop, obj = node.child_by_field_name("property"), node.child_by_field_name("object")
        return prop is not None and obj is not None and text(prop) in exports and bindings.forge_module(obj) == package
    return False


# -- finders ---------------------------------------------------------------------------------------


def _hooks(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """Each call of an imported property hook (the import itself when the file never calls it)."""
    for local, imported in bindings.imports.items():
        hook = imported.name
        if hook not in HOOKS:
            continue
        calls = [call for node in parsed.occurrences(re.escape(local))
                 if node.type == "identifier" and (call := call_of_callee(node)) is not None]
        for site in calls or [imported.node]:
            location = parsed.location(site)
            what = f"{hook} (imported from {imported.module})"
            found.needs.append(_need(what, "forge lint (any import)", [hook], location))
            if imported.module in HOOK_PACKAGES and hook in catalog.sdk_helpers().get(imported.module, {}):
                # the REST calls the package makes: use of their scopes, never proof one is missing
                found.needs.append(_need(f"{what}: its REST calls", imported.module, [hook], location, verified=False))


def _properties(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """``properties.onJiraIssue(key).get(...)``, and the same through ``const p = properties.onJiraIssue(key)``."""
    for node in parsed.occurrences(PROPERTY_ENTITIES):
        member = _member(node)
        entity_call = call_of_callee(member) if member is not None else None
        if entity_call is None or not _is_export(bindings, member.child_by_field_name("object"), "api",
                                                 ("properties", "store")):
            continue
        entity = text(node)
        calls = _method_calls(bindings, entity_call)
        ops = [(op, call) for op, call in calls or [] if op in PROPERTY_OPS]
        for op, call in ops:
            form = f"properties.{entity}().{op}"
            found.needs.append(_need(f"properties.{entity}(…).{op}{_rest_call('@forge/api (<4.0.0)', form)}",
                                     "@forge/api (<4.0.0)", [form], parsed.location(call)))
        if calls is None:  # which of get/set/delete runs is not visible: each counts as use, none is required
            found.needs.append(_need(f"properties.{entity}(…) (get, set or delete)", "@forge/api (<4.0.0)",
                                     [f"properties.{entity}().{op}" for op in PROPERTY_OPS],
                                     parsed.location(entity_call), verified=False))


def _namespace_calls(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """``privacy.reportPersonalData(...)`` (@forge/api) and ``realtime.subscribeGlobal(...)`` (@forge/bridge)."""
    for node in parsed.occurrences("reportPersonalData|subscribeGlobal"):
        member = _member(node)
        call = call_of_callee(member) if member is not None else None
        if call is None:
            continue
        receiver = member.child_by_field_name("object")
        if text(node) == "reportPersonalData" and _is_export(bindings, receiver, "api", ("privacy",)):
            form, package = "privacy.reportPersonalData", "@forge/api"
        elif text(node) == "subscribeGlobal" and _is_export(bindings, receiver, "bridge", ("realtime",)):
            form, package = "realtime.subscribeGlobal", "@forge/bridge"
        else:
            continue
        found.needs.append(_need(form + _rest_call(package, form), package, [form], parsed.location(call)))


def _teamwork_graph(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """``requestTeamworkGraph`` from @forge/bridge (also renamed) and ``api.asUser().requestTeamworkGraph``."""
    locals_ = {local for local, imported in bindings.imports.items()
               if imported.name == "requestTeamworkGraph" and forge_package(imported.module) == "bridge"}
    pattern = "|".join(re.escape(name) for name in sorted(locals_ | {"requestTeamworkGraph"}))
    for node in parsed.occurrences(pattern):
        if node.type == "identifier" and text(node) in locals_:
            call, package, form = call_of_callee(node), "@forge/bridge", "requestTeamworkGraph"
        elif (member := _member(node)) is not None:
            receiver = unwrap(member.child_by_field_name("object"))
            context = receiver.child_by_field_name("function") if receiver.type == "call_expression" else None
            if context is not None and callee_name(context) in ("asUser", "asApp"):
                package, form = "@forge/api", "asUser().requestTeamworkGraph"
            elif bindings.forge_module(receiver) == "bridge":
                package, form = "@forge/bridge", "requestTeamworkGraph"
            else:
                continue
            call = call_of_callee(member)
        else:
            continue
        if call is not None:
            what, location = f"requestTeamworkGraph ({package})", parsed.location(call)
            found.needs.append(_need(what, package, [form], location))
            # the docs ask for read:graph:jira and, installed in Confluence, read:graph:confluence too: each
            # graph scope declared is used, not an alternative made unnecessary by the other
            found.needs.append(_sdk_need(f"{what}: the graph of each product", [
                [(frozenset(c), frozenset(g))] for row in catalog.sdk_helper(package, form)
                for c, g in row["requirements"]], location, verified=False))


def _authorize(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """``authorize().onConfluenceContent(id)`` and ``authorize().onJira…(...)``: one permission check request."""
    for node in parsed.occurrences(AUTHORIZE_CHECKS):
        member = _member(node)
        call = call_of_callee(member) if member is not None else None
        receiver = unwrap(member.child_by_field_name("object")) if call is not None else None
        if receiver is None or receiver.type != "call_expression" or \
                not _is_export(bindings, receiver.child_by_field_name("function"), "api", ("authorize",)):
            continue
        form = f"authorize().{text(node)}"
        found.needs.append(_need(form + _rest_call("@forge/api", form), "@forge/api", [form], parsed.location(call)))


def _compass(parsed: ParsedFile, bindings: FileBindings, found: SdkFacts) -> None:
    """``graphqlGateway.compass[.configAsCode].asApp()|asUser().<method>(...)`` of @atlassian/forge-graphql."""
    gateways = {local for local, imported in bindings.imports.items() if imported.module == GRAPHQL_PACKAGE}
    if not gateways:
        return
    methods = catalog.compass_methods()
    for node in parsed.occurrences("compass"):
        member = _member(node)
        receiver = unwrap(member.child_by_field_name("object")) if member is not None else None
        if receiver is None or receiver.type != "identifier" or text(receiver) not in gateways:
            continue
        prefix, chain = "", member
        step = _outer_member(chain)
        if step is not None and step[0] == "configAsCode":
            prefix, chain = "configAsCode.", step[1]
            step = _outer_member(chain)
        client = call_of_callee(step[1]) if step is not None and step[0] in ("asApp", "asUser") else None
        calls = _method_calls(bindings, client) if client is not None else None
        if calls is None:
            found.unresolved.append(Unresolved(
                "compass", parsed.location(member),
                "forge-graphql: a Compass client used where its calls cannot be followed"))
            continue
        for method, call in calls:
            entry = methods.get(prefix + method)
            location = parsed.location(call)
            if entry is None:
                found.unresolved.append(Unresolved("compass", location,
                                                   f"forge-graphql compass.{prefix}{method} is not in the bundled "
                                                   "Compass method table"))
                continue
            what = f"forge-graphql compass.{prefix}{method}"
            found.needs.append(_sdk_need(what, [[(frozenset(), frozenset(entry["scopes"]))]], location,
                                         entry["verified"]))
            if entry["also"]:  # fields the method may also send (e.g. it reads the component back)
                found.needs.append(_sdk_need(f"{what}: fields it may also send",
                                             [[(frozenset(), frozenset(entry["also"]))]], location, verified=False))

"""Entry points: what the Forge platform invokes, followed from manifest.yml into code.

Each ``function`` module's ``handler: file.export`` names an export of
``src/file.*``. When that export is ``resolver.getDefinitions()``, every
``resolver.define('key', fn)`` reachable from the file is an entry of its
own; otherwise the exported function is (ESM exports, ``exports.x``,
``module.exports = {...}``, re-exports, ``export default``).

Forge bundles each handler file as its own webpack entry with no shared
chunks: a module imported by two handler files is loaded once per bundle, so
only the invocations of one handler file's entries share its module state.
``EntryPoint.bundle`` is that handler file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from auditor.facts.bindings import string_value, unwrap
from auditor.facts.bundles import esbuild_export, webpack_bundle_export
from auditor.facts.manifest import ManifestFacts
from auditor.facts.modules import UNFOLLOWED, ModuleGraph
from auditor.facts.scopes import FUNCTIONS, declaration_of, declaring, enclosing_function
from auditor.parsing import ParsedFile, text

_RESOLVER = re.compile(r"resolver", re.IGNORECASE)


@dataclass(eq=False)
class EntryPoint:
    id: str                                  # "function:<key>" or "resolver:<define key>"
    function_key: str
    invoked_by: list[str]                    # module types that invoke the function
    file: Path
    node: tree_sitter.Node | None = None     # the function that runs; None if not found
    bundle: Path | None = None               # the handler file: module state is per bundle
    # The expression that registers the entry (the `resolver.define` callback, the exported value), for
    # wrapped handlers (`withErrors(async (req) => …)`) whose running function `node` cannot name.
    site: tree_sitter.Node | None = None
    site_file: Path | None = None


MAX_CALL_DEPTH = 8
MAX_NAME_OCCURRENCES = 1_000  # a name seen more often in one file is not followed to its callers


@dataclass
class Entries:
    entries: list[EntryPoint] = field(default_factory=list)
    # handler file of each function key, for reachability
    files: dict[str, Path] = field(default_factory=dict)
    # Indexes built on first use, once find_entries is done: answering per access by scanning every
    # entry (and asking the module graph per entry) made a scan quadratic in entry points.
    _by_function: dict[tuple[Path, int, int], list[EntryPoint]] | None = field(default=None, repr=False)
    _by_site: dict[Path, dict[tuple[int, int], list[EntryPoint]]] | None = field(default=None, repr=False)
    _by_reached_file: dict[Path, frozenset[EntryPoint]] | None = field(default=None, repr=False)
    _reaching: dict[tuple, frozenset[EntryPoint]] = field(default_factory=dict, repr=False)
    _members: dict[str, list[tuple[tree_sitter.Node, Path]]] = field(default_factory=dict, repr=False)
    _load_bodies: dict[Path, set[tuple[int, int]]] = field(default_factory=dict, repr=False)

    def reaching(self, node: tree_sitter.Node, path: Path, graph: ModuleGraph, depth: int = 0) -> frozenset[EntryPoint]:
        """The entries whose invocation can run ``node``, per function: the entry whose function
        encloses it, or whose registration (`resolver.define(k, wrap(fn))`) holds it; else the entries
        reaching the places that call the enclosing function (its name in its file and in the modules
        importing it, a method's name in every module; a callback runs when the function around it
        does; CommonJS exports through their importers), followed up to MAX_CALL_DEPTH calls. A function
        nothing calls is dead code: no entry. Only when a reference cannot be followed (the function
        escapes as a value or under another name, calls too deep)
        does the answer fall back to every entry whose code can reach the file (_reached_by).
        Computed once per function; immutable, so that callers may key their own caches by it (the
        fallback's is one object for all the files the same entries' modules reach)."""
        fn = node if node.type in FUNCTIONS else enclosing_function(node)
        where = fn or node
        key = (path, depth, where.start_byte, where.end_byte)
        if key not in self._reaching:
            self._reaching[key] = frozenset(self._compute_reaching(node, fn, path, graph, depth))
        return self._reaching[key]

    def _compute_reaching(self, node: tree_sitter.Node, fn: tree_sitter.Node | None, path: Path,
                          graph: ModuleGraph, depth: int) -> set[EntryPoint]:
        inside = self.at(fn or node, path)
        # An entry's own function may also be called by other entries' code (a resolver reusing a getter).
        own = {inside[0]} if inside else set()
        registered = self.registered(node, path)
        if registered or fn is None or self.runs_at_load(fn, path, graph):
            return own | registered  # code run while the module loads belongs to no invocation
        fn = self._called_as(fn, path, graph)
        callers = _callers(fn, path, graph, self._members) if depth < MAX_CALL_DEPTH else None
        found: set[EntryPoint] = set(own)
        for ref, ref_path in callers or []:
            ref_fn = enclosing_function(ref)
            if ref_fn is None or self.runs_at_load(ref_fn, ref_path, graph):
                registered = self.registered(ref, ref_path)
                if not registered and not _is_callee(ref):
                    callers = None  # handed over as a value while loading: any entry may call it
                    break
                found |= registered  # a call while loading runs in no invocation
                continue
            found |= self.reaching(ref, ref_path, graph, depth + 1)
        if callers is None:  # an entry's function handed on as a value: the entry itself is what is known
            return own or self._reached_by(graph).get(path, frozenset())
        return found

    def hops(self, node: tree_sitter.Node, path: Path, graph: ModuleGraph) -> dict[EntryPoint, int]:
        """Calls between each entry's own function and ``node``: 0 when the entry's function (or its
        registration) holds it, 1 when that function calls the function holding it, ... Follows the
        calls `reaching` follows, up to MAX_CALL_DEPTH; entries `reaching` finds only by its fallback
        (callers that cannot be known) are not here. A replay tries the most direct writers first."""
        found: dict[EntryPoint, int] = {}
        frontier, seen = [(node, path)], set()
        for distance in range(MAX_CALL_DEPTH + 1):
            later = []
            for at, at_path in frontier:
                fn = at if at.type in FUNCTIONS else enclosing_function(at)
                inside = self.at(fn or at, at_path)
                for entry in inside[:1] + sorted(self.registered(at, at_path), key=lambda e: e.id):
                    found.setdefault(entry, distance)
                if fn is None or self.runs_at_load(fn, at_path, graph):
                    continue
                fn = self._called_as(fn, at_path, graph)
                if (at_path, fn.start_byte, fn.end_byte) not in seen:
                    seen.add((at_path, fn.start_byte, fn.end_byte))
                    later += _callers(fn, at_path, graph, self._members) or []
            frontier = later
        return found

    def _called_as(self, fn: tree_sitter.Node, path: Path, graph: ModuleGraph) -> tree_sitter.Node:
        """The function whose callers decide when ``fn`` runs: a callback runs when (or after) the
        function around it does."""
        while _function_name(fn) is None:
            outer = enclosing_function(fn)
            if outer is None or self.runs_at_load(outer, path, graph):
                break
            fn = outer
        return fn

    def runs_at_load(self, fn: tree_sitter.Node, path: Path, graph: ModuleGraph) -> bool:
        """Does ``fn``'s body run while the module loads (a top-level IIFE, a bundle's module factory)?"""
        if path not in self._load_bodies:
            self._load_bodies[path] = {(b.start_byte, b.end_byte) for b in graph.modules[path].load_bodies}
        body = fn.child_by_field_name("body")
        return body is not None and (body.start_byte, body.end_byte) in self._load_bodies[path]

    def at(self, node: tree_sitter.Node, path: Path) -> list[EntryPoint]:
        """Entries whose function encloses ``node`` (innermost first)."""
        if self._by_function is None:
            self._by_function = {}
            for e in self.entries:
                if e.node is not None:
                    self._by_function.setdefault((e.file, e.node.start_byte, e.node.end_byte), []).append(e)
        found = []
        current = node
        while current is not None:  # entry nodes are functions: only the enclosing functions can be one
            if current.type in FUNCTIONS:
                found += self._by_function.get((path, current.start_byte, current.end_byte), [])
            current = current.parent
        return found

    def registered(self, node: tree_sitter.Node, path: Path) -> set[EntryPoint]:
        """Entries whose registering expression holds ``node`` (a wrapped callback's inner function)."""
        if self._by_site is None:
            self._by_site = {}
            for e in self.entries:
                if e.site is not None and e.site_file is not None:
                    self._by_site.setdefault(e.site_file, {}).setdefault(
                        (e.site.start_byte, e.site.end_byte), []).append(e)
        sites = self._by_site.get(path)
        found: set[EntryPoint] = set()
        current = node
        while current is not None and sites:
            found.update(sites.get((current.start_byte, current.end_byte), ()))
            current = current.parent
        return found

    def _reached_by(self, graph: ModuleGraph) -> dict[Path, frozenset[EntryPoint]]:
        """File -> the entries whose code can reach it: what the modules of the entry's function, of its
        registration and of its handler file import (ModuleGraph.code_reachable); one set per combination
        of those modules."""
        if self._by_reached_file is None:
            by_origin: dict[frozenset[Path], list[EntryPoint]] = {}
            for e in self.entries:
                if e.bundle is not None:
                    origin = frozenset(p for p in (e.bundle, e.file, e.site_file) if p is not None)
                    by_origin.setdefault(origin, []).append(e)
            origins: dict[Path, list[frozenset[Path]]] = {}
            for origin in by_origin:
                for reached in set().union(*map(graph.code_reachable, origin)):
                    origins.setdefault(reached, []).append(origin)
            combined: dict[tuple[frozenset[Path], ...], frozenset[EntryPoint]] = {}
            for group in map(tuple, origins.values()):
                if group not in combined:
                    combined[group] = frozenset(e for origin in group for e in by_origin[origin])
            self._by_reached_file = {reached: combined[tuple(group)] for reached, group in origins.items()}
        return self._by_reached_file


def find_entries(manifest: ManifestFacts | None, graph: ModuleGraph) -> Entries:
    result = Entries()
    if manifest is None:
        return result
    invokers: dict[str, list[str]] = {}
    for ref in manifest.references:
        if ref.target_kind == "function":
            invokers.setdefault(ref.target, []).append(ref.module_type)
    for key, function in manifest.functions.items():
        if function.handler is None or function.handler_file is None:
            continue
        path = Path(str(function.handler_file))
        result.files[key] = path
        export = function.handler.rsplit(".", 1)[1]
        value = _export_value(graph, path, export, depth=0)
        by = sorted(set(invokers.get(key, [])))
        if value is None or _is_get_definitions(value[1]):
            # without a value (e.g. a bundle re-exported wholesale) resolvers may still be defined inside
            definitions = list(_resolver_definitions(graph, path))
            for define_key, fn, file, site, site_file in definitions:
                result.entries.append(EntryPoint(f"resolver:{define_key}", key, by, file, fn, path, site, site_file))
            if definitions or value is not None:
                continue
        node = value[1] if value is not None and value[1].type in FUNCTIONS else None
        result.entries.append(EntryPoint(f"function:{key}", key, by, value[0] if value else path, node, path,
                                         value[1] if value else None, value[0] if value else None))
    return result


def _callers(fn: tree_sitter.Node, path: Path, graph: ModuleGraph,
             members: dict[str, list[tuple[tree_sitter.Node, Path]]]) -> list[tuple[tree_sitter.Node, Path]] | None:
    """Where ``fn`` is called or referenced: [] when nowhere (dead code), None when its callers cannot
    be known (a name assigned to `exports.x`, a module re-exported or loaded without names). A
    callback is its own reference: the code around it decides."""
    name_node = _function_name(fn)
    if name_node is None:
        return [(fn, path)]
    if isinstance(name_node, str):
        return None  # `exports.x = …`, `handlers.x = …`: called under a name we do not follow
    name = text(name_node)
    if fn.type == "method_definition" or name_node.type != "identifier":
        return _member_references(name, graph, members)
    named = _name_references(fn, name, path, graph)
    if named is not None and _namespace_member(fn):  # `PageCache.put(…)` outside the namespace
        named += _member_references(name, graph, members)
    return named


def _namespace_member(fn: tree_sitter.Node) -> bool:
    """Is ``fn`` declared in a TypeScript namespace's body (where code outside calls it as a member)?"""
    block = fn.parent
    while block is not None and block.type in ("export_statement", "variable_declarator", "lexical_declaration"):
        block = block.parent
    return block is not None and block.type == "statement_block" and block.parent is not None and \
        block.parent.type in ("internal_module", "module")


def _function_name(fn: tree_sitter.Node) -> tree_sitter.Node | str | None:
    """What names ``fn``: its declaration's, variable's, object key's, class field's or method's name
    node; "assigned" for `x.y = function …`; None for a callback (a named function expression's own
    name counts for nothing: only its body can call it by that name)."""
    parent = fn.parent
    if fn.type in ("function_declaration", "generator_function_declaration", "method_definition"):
        return fn.child_by_field_name("name")
    if parent is not None and parent.type == "variable_declarator" and parent.child_by_field_name("value") == fn:
        return parent.child_by_field_name("name")
    if parent is not None and parent.type == "pair" and parent.child_by_field_name("value") == fn:
        return parent.child_by_field_name("key")
    if parent is not None and parent.type in ("public_field_definition", "field_definition"):
        return parent.child_by_field_name("property") or parent.child_by_field_name("name")
    if parent is not None and parent.type == "assignment_expression":
        return "assigned"
    return None


def _name_references(fn: tree_sitter.Node, name: str, path: Path, graph: ModuleGraph
                     ) -> list[tuple[tree_sitter.Node, Path]] | None:
    """References to the named function ``fn`` in its file and in the modules importing it."""
    sites = []
    statement = fn.parent.parent if fn.parent is not None and fn.parent.type == "variable_declarator" else fn
    exported = statement is not None and statement.parent is not None and statement.parent.type == "export_statement"
    occurrences = graph.modules[path].parsed.occurrences(re.escape(name))
    if len(occurrences) > MAX_NAME_OCCURRENCES:
        return None  # a minified bundle's `e`: its callers cannot be told apart, whatever a walk over them costs
    for n in occurrences:
        if n.type not in ("identifier", "shorthand_property_identifier") or fn.start_byte <= n.start_byte < fn.end_byte \
                or declaration_of(n) is not None:
            continue
        if n.parent is not None and n.parent.type in ("export_specifier", "export_statement"):
            exported = True  # the export itself: its importers are followed below
            continue
        exported_as = _commonjs_export(n)
        if exported_as == name:
            exported = True  # `module.exports = { fn }`, `exports.fn = fn`: importers use this name
            continue
        if exported_as is not None:
            return None  # exported under another name (or as the module itself)
        sites.append((n, path))
    if not exported:
        return sites
    for other, local, imported in graph.importers(path):
        if imported == UNFOLLOWED:
            return None
        if imported == name:
            sites += [(n, other) for n in graph.modules[other].parsed.occurrences(re.escape(local))
                      if n.type in ("identifier", "shorthand_property_identifier") and declaration_of(n) is None]
        elif imported in ("*", "default"):  # `ns.fn()` through a namespace or a CommonJS module object
            for n in graph.modules[other].parsed.occurrences(re.escape(local)):
                member = n.parent
                if n.type != "identifier" or declaration_of(n) is not None:
                    continue
                if member is None or member.type != "member_expression" or member.child_by_field_name("object") != n:
                    return None  # the module object itself is handed on
                prop = member.child_by_field_name("property")
                if prop is not None and text(prop) == name:
                    sites.append((member, other))
    return None if graph.unfollowed(path) else sites


def _member_references(name: str, graph: ModuleGraph, members: dict[str, list[tuple[tree_sitter.Node, Path]]]
                       ) -> list[tuple[tree_sitter.Node, Path]]:
    """Every `x.name` in the app (a method is called through whatever holds the object), found once
    per name."""
    if name not in members:
        members[name] = [(n.parent, p) for p, info in graph.modules.items()
                         for n in info.parsed.occurrences(re.escape(name))
                         if n.type == "property_identifier" and n.parent is not None
                         and n.parent.type == "member_expression"]
    return members[name]


def _commonjs_export(ref: tree_sitter.Node) -> str | None:
    """The name ``ref`` is exported under by `exports.x = ref`, `module.exports = { x: ref }` or
    `{ ref }`; "*" for `module.exports = ref`; None when it is no CommonJS export."""
    current, key = ref, None
    if current.parent is not None and current.parent.type == "pair":
        key = current.parent.child_by_field_name("key")
        current = current.parent
    elif current.type == "shorthand_property_identifier":
        key = current
    if current.parent is not None and current.parent.type == "object" and key is not None:
        current = current.parent
    assignment = current.parent
    if assignment is None or assignment.type != "assignment_expression" or \
            assignment.child_by_field_name("right") != current:
        return None
    target = text(assignment.child_by_field_name("left") or assignment)
    if target == "module.exports":
        return text(key).strip("'\"") if key is not None and current.type == "object" else "*"
    for prefix in ("exports.", "module.exports."):
        if target.startswith(prefix) and current is ref:
            return target[len(prefix):]
    return None


def _is_callee(ref: tree_sitter.Node) -> bool:
    call = ref.parent
    return call is not None and call.type in ("call_expression", "new_expression") and \
        (call.child_by_field_name("function") or call.child_by_field_name("constructor")) == ref


def _is_get_definitions(node: tree_sitter.Node) -> bool:
    node = unwrap(node)
    if node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
    return prop is not None and text(prop) == "getDefinitions"


def _export_value(graph: ModuleGraph, path: Path, export: str, depth: int
                  ) -> tuple[Path, tree_sitter.Node] | None:
    """(file, value node) of ``export`` in module ``path``, following re-exports and local names."""
    info = graph.modules.get(path)
    if info is None or depth > 4:
        return None
    if info.exports is None:  # one pass per module: a lookup per function key made N handlers quadratic
        info.exports = {}
        for statement in info.parsed.tree.root_node.named_children:
            for name in _statement_export_names(statement):
                found = _esm_export(statement, name, graph, path) if statement.type == "export_statement" \
                    else _cjs_export(statement, name)
                if found is not None:
                    info.exports.setdefault(name, found)
    found = info.exports.get(export)
    if found is None:
        found = _whole_module_export(info.parsed, path, export, graph)
    if found is None and export != "default":  # `export * from './comments'`: the first module holding it
        for specifier, imported, exported in info.reexports:
            target = graph.resolve(specifier, path) if (imported, exported) == ("*", "*") else None
            value = _export_value(graph, target, export, depth + 1) if target is not None else None
            if value is not None:
                return value
    if found is None:  # a webpack bundle: its entry module's export table
        bundled = webpack_bundle_export(info.parsed, export)
        return (path, bundled) if bundled is not None else None
    return _follow_local(info.parsed, path, found, graph, depth)


def _whole_module_export(parsed: ParsedFile, path: Path, export: str, graph: ModuleGraph):
    """``export`` of a module that hands over a whole object as its exports: another module
    (`module.exports = require('../dist/index.js')`, a bundle loaded by its handler file) or esbuild's
    export namespace (`module.exports = __toCommonJS(main_exports)` with
    `__export(main_exports, { refresh: () => refresh })`)."""
    for statement in parsed.tree.root_node.named_children:
        expr = statement.named_children[0] if statement.type == "expression_statement" and \
            statement.named_children else None
        if expr is None or expr.type != "assignment_expression" or \
                text(expr.child_by_field_name("left")) != "module.exports":
            continue
        right = unwrap(expr.child_by_field_name("right"))
        callee = right.child_by_field_name("function") if right is not None and right.type == "call_expression" \
            else None
        args = right.child_by_field_name("arguments") if callee is not None else None
        first = args.named_children[0] if args is not None and args.named_children else None
        if callee is None or first is None:
            continue
        if text(callee) == "require" and first.type == "string":
            target = graph.resolve(string_value(first), path)
            return ("reexport", target, export) if target is not None else None
        if callee.type == "identifier" and text(callee).endswith("toCommonJS") and first.type == "identifier":
            return esbuild_export(parsed, text(first), export)
    return None


def _statement_export_names(statement: tree_sitter.Node) -> list[str]:
    """Every name ``statement`` may export (a superset: _esm_export and _cjs_export decide)."""
    if statement.type == "export_statement":
        names = ["default"]
        declaration = statement.child_by_field_name("declaration")
        for node in [declaration] + (declaration.named_children if declaration is not None else []):
            name = node.child_by_field_name("name") if node is not None else None
            names += [text(name)] if name is not None else []
        for clause in statement.named_children:
            if clause.type == "export_clause":
                names += [text(spec.child_by_field_name("alias") or spec.child_by_field_name("name"))
                          for spec in clause.named_children if spec.child_by_field_name("name") is not None]
        return names
    expr = statement.named_children[0] if statement.type == "expression_statement" and \
        statement.named_children else None
    if expr is None or expr.type != "assignment_expression":
        return []
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    target = text(left) if left is not None else ""
    for prefix in ("exports.", "module.exports."):
        if target.startswith(prefix):
            return [target[len(prefix):]]
    if target != "module.exports" or right is None or right.type != "object":
        return []
    names = []
    for prop in right.named_children:
        key, name = prop.child_by_field_name("key"), prop.child_by_field_name("name")
        names.append(text(key).strip("'\"") if key is not None else text(name or prop))
    return names


def _esm_export(statement, export, graph, path):
    declaration = statement.child_by_field_name("declaration")
    if declaration is not None and any(c.type == "default" for c in statement.children):
        return declaration if export == "default" else None  # `export default function handler() {}`
    if declaration is not None:
        if declaration.type in ("function_declaration", "generator_function_declaration", "class_declaration",
                                "enum_declaration"):
            name = declaration.child_by_field_name("name")
            return declaration if name is not None and text(name) == export else None
        for declarator in declaration.named_children:
            name = declarator.child_by_field_name("name")
            if declarator.type == "variable_declarator" and name is not None and text(name) == export:
                return declarator.child_by_field_name("value")
        return None
    value = statement.child_by_field_name("value")
    if value is not None and export == "default":
        return value
    source = statement.child_by_field_name("source")
    for clause in statement.named_children:
        if clause.type != "export_clause":
            continue
        for spec in clause.named_children:
            name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
            if name is None or text(alias or name) != export:
                continue
            if source is not None:
                target = graph.resolve(string_value(source), path)
                return ("reexport", target, text(name)) if target is not None else None
            return name
    return None


def _cjs_export(statement, export):
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    expr = statement.named_children[0]
    if expr.type != "assignment_expression":
        return None
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    target = text(left) if left is not None else ""
    if target in (f"exports.{export}", f"module.exports.{export}"):
        return right
    if target == "module.exports" and right is not None and right.type == "object":
        for prop in right.named_children:
            if prop.type == "pair":
                key = prop.child_by_field_name("key")
                if key is not None and text(key).strip("'\"") == export:
                    return prop.child_by_field_name("value")
            elif prop.type == "shorthand_property_identifier" and text(prop) == export:
                return prop
            elif prop.type == "method_definition":
                name = prop.child_by_field_name("name")
                if name is not None and text(name) == export:
                    return prop
    return None


def _follow_local(parsed: ParsedFile, path: Path, found, graph: ModuleGraph, depth: int):
    if isinstance(found, tuple):  # re-export from another module
        _, target, name = found
        return _export_value(graph, target, name, depth + 1)
    node = unwrap(found)
    if node.type in ("identifier", "shorthand_property_identifier"):
        name = text(node)
        info = graph.modules[path]
        if name in info.imported_names:
            specifier, imported = info.imported_names[name]
            target = graph.resolve(specifier, path)
            return _export_value(graph, target, imported, depth + 1) if target is not None else None
        declared = declaring(parsed.tree.root_node, name)
        if declared is None or declared.type != "variable_declarator":
            return (path, declared) if declared is not None else None
        value = declared.child_by_field_name("value")
        return (path, unwrap(value)) if value is not None else None
    return path, node


def _resolver_definitions(graph: ModuleGraph, start: Path):
    """(key, callback function node, its file, callback expression, its file) for each
    resolver.define(key, fn) reachable from start.

    The key may be a string, or a constant (`RESOLVERS.GET_ISSUE` from an object literal, imported or not);
    a key that cannot be evaluated is named by its expression. The callback may be inline, a local
    function, or a function imported from another module (`handlers.getIssue`).
    """
    values = None
    for path in sorted(graph.reachable([start])):
        parsed = graph.modules[path].parsed
        for node in parsed.occurrences("define"):
            member = node.parent
            if node.type != "property_identifier" or member is None or member.type != "member_expression":
                continue
            call = member.parent
            receiver = member.child_by_field_name("object")
            if call is None or call.type != "call_expression" or receiver is None or \
                    not _RESOLVER.search(text(receiver)):
                continue
            args = call.child_by_field_name("arguments")
            named = args.named_children if args is not None else []
            if len(named) < 2:
                continue
            from auditor.facts.values import Values, Where  # values.py reads exports through this module

            values = values or Values([info.parsed for info in graph.modules.values()], graph)
            key = values.string(named[0], Where(path)) or text(named[0])
            fn_file, fn = _callback(named[1], parsed, path, graph)
            yield key, fn, fn_file, named[1], path


def _callback(node: tree_sitter.Node, parsed: ParsedFile, path: Path, graph: ModuleGraph):
    """(file, function node) of a resolver callback; (path, None) when it cannot be followed."""
    node = unwrap(node)
    if node.type in FUNCTIONS:
        return path, node
    target = None
    if node.type == "identifier":
        target = _follow_local(parsed, path, node, graph, 0)
    elif node.type == "member_expression":  # handlers.getIssue, with `import * as handlers`
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        imported = graph.modules[path].imported_names.get(text(obj)) if obj is not None else None
        if imported is not None and imported[1] == "*" and prop is not None:
            module = graph.resolve(imported[0], path)
            target = _export_value(graph, module, text(prop), 1) if module is not None else None
    if target is not None and unwrap(target[1]).type in FUNCTIONS:
        return target[0], unwrap(target[1])
    return path, None

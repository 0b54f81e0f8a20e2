"""The app's module graph and what each module runs at load time.

* Edges: ``import``, ``export ... from``, ``require()``, dynamic ``import()``,
  with relative resolution over extensions, ``index`` files and TypeScript's
  ``./x.js`` -> ``x.ts`` form. Bare specifiers are external package nodes.
* Load-time bodies: the program itself, top-level IIFEs, webpack module
  factories and esbuild ``__commonJS``/``__esm`` wrappers. Their statements run
  once per process, so what they declare persists across invocations.
  Factories of bundled `node_modules` packages are left out: their internal
  state is the library's business, not something the app's developer can fix.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter

from auditor.facts.bindings import string_value
from auditor.facts.scopes import FUNCTIONS
from auditor.parsing import ParsedFile, text

RESOLVE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_SPECIFIER_CALLS = re.compile(rb"\b(?:require|import)\s*\(")


@dataclass
class ModuleInfo:
    parsed: ParsedFile
    load_bodies: list[tree_sitter.Node] = field(default_factory=list)
    # local name -> (specifier, imported name: "default" | "*" | name)
    imported_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    specifiers: set[str] = field(default_factory=set)
    # specifiers loaded only for their side effects (`import './setup'`, `require('./setup');`): no name of
    # the module is reachable through them
    bare_specifiers: set[str] = field(default_factory=set)
    # names handed on from another module: (specifier, its name, the name exported here) with "*" for
    # all of them (`export * from './x'`: "*", "*") or for the module object (`export * as ns`: "*", "ns")
    reexports: list[tuple[str, str, str]] = field(default_factory=list)
    loaded_specifiers: set[str] = field(default_factory=set)  # imported or required: not only re-exported
    exports: dict[str, Any] | None = None   # export name -> what provides it; filled by entrypoints.py


class ImportGraph:
    """Which module imports which. Nodes are module paths and ``pkg:<specifier>`` for what resolves
    to no app file. A plain adjacency map: networkx cost ~150 ms of start-up for two searches."""

    def __init__(self) -> None:
        # node -> {neighbour: None}: dicts keep insertion order, so results do not vary with hash seeds
        self._imports: dict[Any, dict] = {}
        self._importers: dict[Any, dict] = {}

    @property
    def nodes(self):
        return self._imports.keys()

    def __contains__(self, node) -> bool:
        return node in self._imports

    def add_node(self, node) -> None:
        self._imports.setdefault(node, {})
        self._importers.setdefault(node, {})

    def add_edge(self, importer, imported) -> None:
        self.add_node(importer)
        self.add_node(imported)
        self._imports[importer][imported] = None
        self._importers[imported][importer] = None

    def predecessors(self, node) -> list:
        return list(self._importers.get(node, ()))

    def successors(self, node) -> list:
        return list(self._imports.get(node, ()))

    def descendants(self, node) -> set:
        """Everything ``node`` imports, directly or not; never ``node`` itself, even through a cycle."""
        return _reach(self._imports, node)

    def ancestors(self, node) -> set:
        """Everything importing ``node``, directly or not."""
        return _reach(self._importers, node)


def _reach(edges: dict[Any, dict], start) -> set:
    """Breadth-first: the nodes reachable from ``start`` along ``edges``, ``start`` excluded."""
    seen: set = set()
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        frontier = following
    seen.discard(start)
    return seen


@dataclass
class ModuleGraph:
    modules: dict[Path, ModuleInfo]
    graph: ImportGraph | None
    _descendants: dict[Path, set] = field(default_factory=dict)
    # module -> its imports by name and its re-exports, by the modules holding them; indexed once:
    # asking every module for every function or state would be quadratic
    _by_name: dict[Path, list[tuple[Path, str, str]]] | None = None
    _reexported: dict[Path, list[tuple[Path, str, str]]] = field(default_factory=dict)
    _importers: dict[Path, list[tuple[Path, str, str]]] = field(default_factory=dict)
    # (importer, module) pairs where the importer reaches no name of the module (`import './services/x'`)
    bare_edges: set[tuple[Path, Path]] = field(default_factory=set)
    # (barrel, module) pairs where the barrel only re-exports the module's names: its code binds none
    reexport_edges: set[tuple[Path, Path]] = field(default_factory=set)
    _code_reach: dict[Path, set[Path]] = field(default_factory=dict)

    def resolve(self, specifier: str, importer: Path) -> Path | None:
        return resolve_specifier(specifier, importer, self.modules)

    def importers(self, path: Path) -> list[tuple[Path, str, str]]:
        """(importing module, local name, name of ``path`` it holds) of every import of ``path``'s names by
        another module, also through the modules re-exporting them (`export { x } from './jira'`, `export *
        from`, at any depth: an app's `services/index.ts`). The name is "*" for the module object, and
        UNFOLLOWED where the import reaches ``path``'s names under names not told here (a namespace of a
        barrel that renames them)."""
        if path not in self._importers:
            self._importers[path] = self._importers_through(path, {path})
        return self._importers[path]

    def _importers_through(self, path: Path, seen: set[Path]) -> list[tuple[Path, str, str]]:
        if self._by_name is None:
            self._by_name = {}
            for other, info in self.modules.items():
                for local, (specifier, imported) in info.imported_names.items():
                    target = self.resolve(specifier, other)
                    if target is not None and target != other:
                        self._by_name.setdefault(target, []).append((other, local, imported))
                for specifier, imported, exported in info.reexports:
                    target = self.resolve(specifier, other)
                    if target is not None and target != other:
                        self._reexported.setdefault(target, []).append((other, imported, exported))
        found = list(self._by_name.get(path, ()))
        for barrel, imported, exported in self._reexported.get(path, ()):
            if barrel in seen:
                continue
            for other, local, name in self._importers_through(barrel, seen | {barrel}):
                held = _held(name, imported, exported)
                if held is not None and other != path:
                    found.append((other, local, held))
        return found

    def barrels(self, path: Path) -> set[Path]:
        """The modules re-exporting names of ``path``, directly or through each other."""
        self.importers(path)  # builds the index
        found, todo = set(), [path]
        while todo:
            for barrel, _, _ in self._reexported.get(todo.pop(), ()):
                if barrel not in found and barrel != path:
                    found.add(barrel)
                    todo.append(barrel)
        return found

    def unfollowed(self, path: Path) -> bool:
        """Does a module load ``path``, or a barrel of it, other than by the names importers() tells: whole
        (`module.exports = require('./x')`, `import('./x')`)? A side-effect import reaches no name."""
        for module in {path} | self.barrels(path):
            told = {other for other, _, _ in self._by_name.get(module, ())} | \
                {barrel for barrel, _, _ in self._reexported.get(module, ())}
            if any(isinstance(p, Path) and p not in told and (p, module) not in self.bare_edges
                   for p in self.graph.predecessors(module)):
                return True
        return False

    def code_reachable(self, path: Path) -> set[Path]:
        """The modules holding functions the code of ``path`` can call: ``path`` and what its imports
        reach, not the modules it only re-exports (a handler file's `export { run } from './trigger'` beside
        `export { handler } from './resolvers'` binds neither name in its own code)."""
        if path not in self._code_reach:
            imported = [m for m in self.graph.successors(path) if (path, m) not in self.reexport_edges]
            self._code_reach[path] = {path} | self.reachable(imported)
        return self._code_reach[path]

    def reachable(self, starts: list[Path]) -> set[Path]:
        seen: set[Path] = set()
        for start in starts:
            if start in self.graph:
                if start not in self._descendants:
                    self._descendants[start] = {start} | self.graph.descendants(start)
                seen |= self._descendants[start]
        return {p for p in seen if isinstance(p, Path)}


def resolve_specifier(specifier: str, importer: Path, known) -> Path | None:
    if not specifier.startswith((".", "/")):
        return None
    return next((c for c in _candidates(importer.parent, specifier) if c in known), None)


@functools.lru_cache(maxsize=8192)  # one answer per folder and specifier: asked per import, per lookup
def _candidates(folder: Path, specifier: str) -> tuple[Path, ...]:
    """The paths ``specifier`` may name from ``folder``, in resolution order (normalized). String
    operations: a pathlib operation per candidate cost seconds on a thousand modules."""
    base = str(folder / specifier)
    head, name = os.path.split(base)
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 and name[dot:] in (".js", ".jsx", ".mjs", ".cjs") else name
    candidates = [base]
    candidates += [os.path.join(head, stem + s) for s in RESOLVE_SUFFIXES] if name else []
    candidates += [os.path.join(base, f"index{s}") for s in RESOLVE_SUFFIXES]
    return tuple(Path(os.path.normpath(c)) for c in candidates)


def build_module_graph(files: list[ParsedFile]) -> ModuleGraph:
    modules = {f.path: _module_info(f) for f in files}
    graph = ImportGraph()
    bare, named, reexported, loaded = set(), set(), set(), set()
    for path, info in modules.items():
        graph.add_node(path)
        for specifier in info.specifiers:
            target = resolve_specifier(specifier, path, modules)
            graph.add_edge(path, target if target is not None else f"pkg:{specifier}")
            (bare if specifier in info.bare_specifiers else named).add((path, target))
            (loaded if specifier in info.loaded_specifiers else reexported).add((path, target))
    return ModuleGraph(modules, graph, bare_edges=bare - named, reexport_edges=reexported - loaded)


def _module_info(parsed: ParsedFile) -> ModuleInfo:
    info = ModuleInfo(parsed)
    root = parsed.tree.root_node
    for statement in root.named_children:
        if statement.type in ("import_statement", "export_statement"):
            source = statement.child_by_field_name("source")
            if source is not None and source.type == "string":
                specifier = string_value(source)
                info.specifiers.add(specifier)
                _record_import_names(statement, specifier, info)
                if statement.type == "export_statement":
                    _record_reexports(statement, specifier, info)
                else:
                    info.loaded_specifiers.add(specifier)
                if statement.type == "import_statement" and not any(
                        c.type == "import_clause" for c in statement.named_children):
                    info.bare_specifiers.add(specifier)
    for match in _SPECIFIER_CALLS.finditer(parsed.data):
        word_end = match.start() + len(match.group().split(b"(")[0].strip())
        call = root.descendant_for_byte_range(match.start(), word_end)
        for _ in range(3):  # the callee token, its node, then the call
            if call is None or call.type == "call_expression":
                break
            call = call.parent
        if call is None or call.type != "call_expression" or call.start_byte != match.start():
            continue
        args = call.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        if first is not None and first.type == "string":
            specifier = string_value(first)
            info.specifiers.add(specifier)
            info.loaded_specifiers.add(specifier)
            _record_require_names(call, specifier, info)
            if call.parent is not None and call.parent.type == "expression_statement":
                info.bare_specifiers.add(specifier)
    info.load_bodies = load_time_bodies(parsed)
    return info


def _record_import_names(statement: tree_sitter.Node, specifier: str, info: ModuleInfo) -> None:
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                info.imported_names[text(part)] = (specifier, "default")
            elif part.type == "namespace_import" and part.named_children:
                info.imported_names[text(part.named_children[0])] = (specifier, "*")
            elif part.type == "named_imports":
                for spec in part.named_children:
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or name
                    if name is not None:
                        info.imported_names[text(alias)] = (specifier, text(name))


def _held(name: str, imported: str, exported: str) -> str | None:
    """Which name of a module an import of ``name`` from a barrel holds, the barrel re-exporting its
    ``imported`` as ``exported``; None when another name."""
    if exported == "*":  # `export * from`: every name but the default, unchanged
        return name if name != "default" else None
    if name == exported:
        return imported
    if name == "*":  # the barrel's module object: `barrel.x` is the module's own `x` unless renamed
        return "*" if imported == exported else UNFOLLOWED
    return None


UNFOLLOWED = "?"  # an importers() name: the importer reaches the module's names in a way not told


def _record_reexports(statement: tree_sitter.Node, specifier: str, info: ModuleInfo) -> None:
    clause = next((c for c in statement.named_children if c.type in ("export_clause", "namespace_export")), None)
    if clause is None:
        info.reexports.append((specifier, "*", "*"))
    elif clause.type == "namespace_export":
        info.reexports.append((specifier, "*", text(clause.named_children[0]) if clause.named_children else "*"))
    else:
        for spec in clause.named_children:
            name = spec.child_by_field_name("name")
            if name is not None:
                info.reexports.append((specifier, text(name), text(spec.child_by_field_name("alias") or name)))


def _record_require_names(call: tree_sitter.Node, specifier: str, info: ModuleInfo) -> None:
    parent = call.parent
    member = None
    if parent is not None and parent.type == "member_expression":
        prop = parent.child_by_field_name("property")
        member = text(prop) if prop is not None else None
        parent = parent.parent
    if parent is None or parent.type != "variable_declarator":
        return
    name = parent.child_by_field_name("name")
    if name is None:
        return
    if name.type == "identifier":
        info.imported_names[text(name)] = (specifier, member or "*")
    elif name.type == "object_pattern":
        for prop in name.named_children:
            if prop.type == "shorthand_property_identifier_pattern":
                info.imported_names[text(prop)] = (specifier, text(prop))
            elif prop.type == "pair_pattern":
                key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                if key is not None and value is not None and value.type == "identifier":
                    info.imported_names[text(value)] = (specifier, text(key))


# -- load-time bodies ---------------------------------------------------------

_BUNDLER_MARKERS = re.compile(rb"__webpack_modules__|__webpack_require__|__commonJS|__esm\b")


def load_time_bodies(parsed: ParsedFile) -> list[tree_sitter.Node]:
    """Nodes whose direct statements run when the module loads."""
    root = parsed.tree.root_node
    bodies = [root]
    index = 0
    while index < len(bodies):
        for statement in _statements(bodies[index]):
            bodies.extend(_iife_bodies(statement))
            bodies.extend(_namespace_bodies(statement))
        index += 1
    if _BUNDLER_MARKERS.search(parsed.data):
        bodies.extend(_bundler_factories(parsed, bodies))
    return bodies


def _statements(body: tree_sitter.Node) -> list[tree_sitter.Node]:
    return body.named_children


def _namespace_bodies(statement: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The body of a TypeScript `namespace X { ... }` / `module X { ... }` (not `declare`d): it runs
    when the module loads, and what it declares lives as long."""
    if statement.type in ("export_statement", "expression_statement"):
        statement = statement.child_by_field_name("declaration") or \
            (statement.named_children[0] if statement.named_children else None)
    if statement is None or statement.type not in ("internal_module", "module"):
        return []
    body = statement.child_by_field_name("body")
    return [body] if body is not None and body.type == "statement_block" else []


def _iife_bodies(statement: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Bodies of functions called where they are defined, in a load-time statement."""
    expressions = []
    if statement.type == "expression_statement":
        expressions = statement.named_children
    elif statement.type in ("lexical_declaration", "variable_declaration"):
        expressions = [d.child_by_field_name("value") for d in statement.named_children
                       if d.type == "variable_declarator"]
    elif statement.type == "export_statement":
        declaration = statement.child_by_field_name("declaration")
        return _iife_bodies(declaration) if declaration is not None else []
    bodies = []
    for expr in expressions:
        while expr is not None and expr.type in ("unary_expression", "parenthesized_expression", "await_expression"):
            expr = expr.named_children[-1] if expr.named_children else None
        if expr is None or expr.type != "call_expression":
            continue
        fn = expr.child_by_field_name("function")
        while fn is not None and fn.type == "parenthesized_expression" and fn.named_children:
            fn = fn.named_children[0]
        if fn is not None and fn.type in FUNCTIONS:
            body = fn.child_by_field_name("body")
            if body is not None and body.type == "statement_block":
                bodies.append(body)
    return bodies


def _bundler_factories(parsed: ParsedFile, known: list[tree_sitter.Node]) -> list[tree_sitter.Node]:
    """Module factory bodies of webpack (`__webpack_modules__`) and esbuild (`__commonJS`, `__esm`)."""
    found = []
    seen = {(b.start_byte, b.end_byte) for b in known}
    for node in parsed.occurrences(r"__webpack_modules__|__commonJS|__esm"):
        objects = []
        parent = node.parent
        if text(node) == "__webpack_modules__" and parent is not None and parent.type in (
                "variable_declarator", "assignment_expression"):
            value = parent.child_by_field_name("value") or parent.child_by_field_name("right")
            objects.append(value)
        elif parent is not None and parent.type == "call_expression":
            args = parent.child_by_field_name("arguments")
            objects += args.named_children if args is not None else []
        for obj in objects:
            while obj is not None and obj.type == "parenthesized_expression" and obj.named_children:
                obj = obj.named_children[0]
            if obj is None or obj.type != "object":
                continue
            for prop in obj.named_children:
                key = prop.child_by_field_name("name") or prop.child_by_field_name("key")
                if key is not None and "node_modules/" in text(key):
                    continue  # a bundled library's internals: not the app's state, nothing its developer can fix
                fn = prop if prop.type == "method_definition" else prop.child_by_field_name("value")
                while fn is not None and fn.type == "parenthesized_expression" and fn.named_children:
                    fn = fn.named_children[0]
                body = fn.child_by_field_name("body") if fn is not None and fn.type in FUNCTIONS else None
                if body is not None and body.type == "statement_block" and (body.start_byte, body.end_byte) not in seen:
                    seen.add((body.start_byte, body.end_byte))
                    found.append(body)
                    found.extend(b for s in body.named_children for b in _iife_bodies(s))
    return found

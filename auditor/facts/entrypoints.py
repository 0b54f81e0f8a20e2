"""Entry points: what the Forge platform invokes, followed from manifest.yml into code.

Each ``function`` module's ``handler: file.export`` names an export of
``src/file.*``. When that export is ``resolver.getDefinitions()``, every
``resolver.define('key', fn)`` reachable from the file is an entry of its
own; otherwise the exported function is (ESM exports, ``exports.x``,
``module.exports = {...}``, re-exports, ``export default``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from auditor.facts.bindings import string_value, unwrap
from auditor.facts.manifest import ManifestFacts
from auditor.facts.modules import ModuleGraph
from auditor.facts.scopes import FUNCTIONS, declaration_of, enclosing_function
from auditor.parsing import ParsedFile, text

_RESOLVER = re.compile(r"resolver", re.IGNORECASE)


@dataclass
class EntryPoint:
    id: str                                  # "function:<key>" or "resolver:<define key>"
    function_key: str
    invoked_by: list[str]                    # module types that invoke the function
    file: Path
    node: tree_sitter.Node | None = None     # the function that runs; None if not found


@dataclass
class Entries:
    entries: list[EntryPoint] = field(default_factory=list)
    # handler file of each function key, for reachability
    files: dict[str, Path] = field(default_factory=dict)
    # Indexes built on first use, once find_entries is done: answering per access by scanning every
    # entry (and asking the module graph per entry) made a scan quadratic in entry points.
    _by_function: dict[tuple[Path, int, int], list[EntryPoint]] | None = field(default=None, repr=False)
    _by_reached_file: dict[Path, set[str]] | None = field(default=None, repr=False)
    _reaching: dict[tuple, set[str]] = field(default_factory=dict, repr=False)

    def reaching(self, node: tree_sitter.Node, path: Path, graph: ModuleGraph, depth: int = 0) -> set[str]:
        """Ids of the entries whose invocation can run ``node``: the enclosing entry function, else the
        entries that call the enclosing named helper (followed up to four calls), else every entry
        whose module graph reaches the file. The answer depends only on the function ``node`` is or is
        in, so it is computed once per function."""
        is_function = node.type in FUNCTIONS
        fn = node if is_function else enclosing_function(node)
        key = (path, depth, is_function) + ((fn.start_byte, fn.end_byte) if fn is not None else ())
        if key not in self._reaching:
            self._reaching[key] = self._compute_reaching(node, path, graph, depth)
        return self._reaching[key]

    def _compute_reaching(self, node: tree_sitter.Node, path: Path, graph: ModuleGraph, depth: int) -> set[str]:
        inside = self.at(node, path)
        if inside:
            return {inside[0].id}
        callers = _call_sites(node, path, graph) if depth < 4 else []
        found: set[str] = set()
        for caller, caller_path in callers:
            found |= self.reaching(caller, caller_path, graph, depth + 1)
        if found:
            return found
        return self._reached_by(graph).get(path, set())

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

    def _reached_by(self, graph: ModuleGraph) -> dict[Path, set[str]]:
        """File -> ids of the entries whose handler file's module graph reaches it; one graph walk
        per handler file."""
        if self._by_reached_file is None:
            by_handler: dict[Path, list[str]] = {}
            for e in self.entries:
                if e.function_key in self.files:
                    by_handler.setdefault(self.files[e.function_key], []).append(e.id)
            self._by_reached_file = {}
            for handler, ids in by_handler.items():
                for reached in graph.reachable([handler]):
                    self._by_reached_file.setdefault(reached, set()).update(ids)
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
        if value is not None and _is_get_definitions(value[1]):
            for define_key, fn, file in _resolver_definitions(graph, path):
                result.entries.append(EntryPoint(f"resolver:{define_key}", key, by, file, fn))
            continue
        if value is None:  # e.g. a bundle re-exported wholesale: resolvers may still be defined inside
            definitions = list(_resolver_definitions(graph, path))
            for define_key, fn, file in definitions:
                result.entries.append(EntryPoint(f"resolver:{define_key}", key, by, file, fn))
            if definitions:
                continue
        node = value[1] if value is not None and value[1].type in FUNCTIONS else None
        result.entries.append(EntryPoint(f"function:{key}", key, by, value[0] if value else path, node))
    return result


def _call_sites(node: tree_sitter.Node, path: Path, graph: ModuleGraph) -> list[tuple[tree_sitter.Node, Path]]:
    """Where the named function enclosing ``node`` is referenced, in its file and importing files."""
    fn = enclosing_function(node)
    name_node = None
    if fn is not None and fn.type in ("function_declaration", "generator_function_declaration"):
        name_node = fn.child_by_field_name("name")
    elif fn is not None and fn.parent is not None and fn.parent.type == "variable_declarator":
        name_node = fn.parent.child_by_field_name("name")
    if name_node is None or name_node.type != "identifier":
        return []
    name = text(name_node)
    sites = [(n, path) for n in graph.modules[path].parsed.occurrences(re.escape(name))
             if n.type == "identifier" and not (fn.start_byte <= n.start_byte < fn.end_byte)
             and declaration_of(n) is None]
    for other, local, imported in graph.importers(path):
        if imported == name:
            sites += [(n, other) for n in graph.modules[other].parsed.occurrences(re.escape(local))
                      if n.type == "identifier" and declaration_of(n) is None]
    return sites


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
    return _follow_local(info.parsed, path, found, graph, depth) if found is not None else None


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
    if declaration is not None:
        if declaration.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
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
        for statement in parsed.tree.root_node.named_children:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                else statement
            if declaration is None:
                continue
            if declaration.type in ("function_declaration", "generator_function_declaration"):
                fn_name = declaration.child_by_field_name("name")
                if fn_name is not None and text(fn_name) == name:
                    return path, declaration
            if declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    decl_name = declarator.child_by_field_name("name")
                    if decl_name is not None and text(decl_name) == name:
                        value = declarator.child_by_field_name("value")
                        return (path, unwrap(value)) if value is not None else None
        return None
    return path, node


def _resolver_definitions(graph: ModuleGraph, start: Path):
    """(key, callback function node, file) for each resolver.define(key, fn) reachable from start.

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
            yield key, fn, fn_file


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

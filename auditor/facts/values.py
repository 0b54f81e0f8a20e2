"""What an expression can evaluate to, followed through names, branches, functions and files.

One mechanism answers every "what value is this?" question of the facts: which strings a path can
be (``route`...```, constants, several assignments, ternaries, wrapper parameters), whether a
receiver is a Forge product client (``api.asApp()`` returned by a helper, kept in a class field or
an object), which function a callee names. It rests on the app's module graph for imports and on
``FileBindings`` for scoped name lookups, so nothing walks a whole file.

The core is ``_sources``: the expressions a value may come from, each with the context (``Where``)
to read it in. A context carries frames: the call that bound the parameters of each function
being read, so a wrapper's parameter reads the argument of one call site at a time. A parameter
read with no frame for its function is recorded in the ``Trace`` ("unbound"): the caller may then
look at the function's call sites (``call_sites``) and read again with a frame for each.
"""

from __future__ import annotations

import base64
import functools
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import tree_sitter

from auditor.facts.bindings import (
    HOLE, FileBindings, call_of_callee, callee_name, decode_escape, module_source, same, string_value, unwrap)
from auditor.facts.bundles import required_id, webpack_export, webpack_factory
from auditor.facts.modules import ModuleGraph, build_module_graph
from auditor.facts.scopes import FUNCTIONS, Declaration, enclosing_function
from auditor.parsing import ParsedFile, language, text

MAX_DEPTH = 10          # names followed from one expression
MAX_FRAMES = 6          # calls entered or call sites taken, together
MAX_ALTERNATIVES = 12   # string candidates of one expression; more is "unknown"
MAX_STEPS = 600         # lookups per question: bounds the cost of pathological code
MAX_CALL_SITES = 40
MAX_CACHED_FILES = 16   # FileBindings kept (see Values.bindings)
MAX_OCCURRENCES = 400   # name occurrences examined per file when looking for call sites
CONTEXT_CALLS = ("asApp", "asUser")
ROUTE_CALLS = ("route", "assumeTrustedRoute")
_LITERALS = ("string", "template_string", "number")
_CLASSES = ("class_declaration", "class", "abstract_class_declaration")
_FIELDS = ("field_definition", "public_field_definition")


class Link(NamedTuple):
    """``function`` (in ``path``) as invoked by ``call`` (in ``call_path``)."""
    function: tree_sitter.Node
    path: Path
    call: tree_sitter.Node
    call_path: Path


class Where(NamedTuple):
    """The file an expression is read in, and the frames binding its functions' parameters
    (innermost first)."""
    path: Path
    frames: tuple[Link, ...] = ()

    def entering(self, function: tree_sitter.Node, path: Path, call: tree_sitter.Node) -> Where:
        """Reading inside ``function``, called by ``call`` in this context."""
        return Where(path, (Link(function, path, call, self.path),) + self.frames)

    def called_from(self, function: tree_sitter.Node, path: Path, call: tree_sitter.Node,
                    call_path: Path) -> Where:
        """This context, with the outermost function's parameters bound by one of its call sites."""
        return Where(self.path, self.frames + (Link(function, path, call, call_path),))

    def outermost(self, node: tree_sitter.Node) -> tuple[tree_sitter.Node, Path]:
        """The node furthest out the frames lead to: the last call site taken, else ``node``."""
        return (self.frames[-1].call, self.frames[-1].call_path) if self.frames else (node, self.path)


@dataclass
class Trace:
    """What one question ran into. ``open``: follow an unbound parameter to every call site right
    away (a client is a client whichever caller passed it); else just record it."""
    open: bool = False
    unbound: set[int] = field(default_factory=set)  # functions (their _key) read unbound
    steps: int = 0


Source = tuple[tree_sitter.Node | None, Where]  # None: a value that cannot be read statically


def _key(node: tree_sitter.Node) -> int:
    """A node's identity: tree-sitter ids are unique while their trees live, and the module graph
    keeps every tree of the app alive."""
    return node.id


class Values:
    """Value questions over one module graph (backend or frontend code)."""

    def __init__(self, files: list[ParsedFile], graph: ModuleGraph | None = None):
        """``graph``: the module graph of ``files``, built on the first question that crosses files
        when not given (Custom UI code rarely asks one, and its bundles are costly to index)."""
        self._files = {f.path: f for f in files}
        self._graph = graph
        self._bindings: dict[Path, FileBindings] = {}
        self._returns: dict[int, list[tree_sitter.Node]] = {}
        self._call_sites: dict[int, list[tuple[tree_sitter.Node, Path]]] = {}

    @property
    def graph(self) -> ModuleGraph:
        if self._graph is None:
            self._graph = build_module_graph(list(self._files.values()))
        return self._graph

    def bindings(self, path: Path) -> FileBindings:
        """The file's name lookups. Only the last few files' are kept: questions stay near the file
        being read, and keeping every file's lookups alive made the garbage collector's passes cost
        more than the lookups themselves."""
        found = self._bindings.pop(path, None)
        if found is None:
            found = FileBindings(self._files[path])
            if len(self._bindings) >= MAX_CACHED_FILES:
                del self._bindings[next(iter(self._bindings))]
        self._bindings[path] = found  # most recent last
        return found

    def parsed(self, path: Path) -> ParsedFile:
        return self._files[path]

    # -- questions ---------------------------------------------------------

    def strings(self, node: tree_sitter.Node | None, where: Where, trace: Trace | None = None) -> list[list]:
        """Every string the expression can be, as parts (str pieces and HOLE for unknowns)."""
        return self._strings(node, where, trace or Trace(), 0)

    def string(self, node: tree_sitter.Node | None, where: Where) -> str | None:
        """The one constant string the expression is, if it is one."""
        found = self.strings(node, where)
        return found[0][0] if len(found) == 1 and len(found[0]) == 1 and isinstance(found[0][0], str) else None

    def methods(self, options: tree_sitter.Node | None, where: Where, trace: Trace) -> list[str | None]:
        """The HTTP methods a request options argument can name (None: cannot be read)."""
        if options is None:
            return ["GET"]
        found: list[str | None] = []
        objects = [(options, where)] if options.type == "object" else self._sources(options, where, trace, 0)
        for obj, at in objects:
            values = self._property(obj, "method", at, trace) if obj is not None and obj.type == "object" \
                else [(None, at)]
            if values is None:
                found.append("GET")
                continue
            for value, value_at in values:
                strings = self._strings(value, value_at, trace, 0) if value is not None else [[HOLE]]
                found += [s[0].upper() if len(s) == 1 and isinstance(s[0], str) else None for s in strings]
        return list(dict.fromkeys(found))

    def clients(self, node: tree_sitter.Node, where: Where) -> set[str]:
        """'asApp' / 'asUser': the Forge product clients the expression provably is (empty: unknown)."""
        direct = self._context_call(unwrap(node), where)
        if direct is not None:  # `api.asApp().requestJira(...)`, by far the most common receiver
            return {direct}
        found = set()
        for value, at in self._sources(node, where, Trace(open=True), 0):
            context = self._context_call(value, at) if value is not None else None
            if context is not None:
                found.add(context)
        return found

    def open_function(self, node: tree_sitter.Node, where: Where, trace: Trace
                      ) -> tuple[tree_sitter.Node, Path] | None:
        """The function around the outermost node whose parameters the question read unbound: its
        call sites decide the value."""
        if len(where.frames) >= MAX_FRAMES:
            return None
        outer, path = where.outermost(node)
        fn = enclosing_function(outer)
        while fn is not None:
            if _key(fn) in trace.unbound:
                return fn, path
            fn = enclosing_function(fn)
        return None

    def call_sites(self, fn: tree_sitter.Node, path: Path) -> list[tuple[tree_sitter.Node, Path]]:
        """Calls (and ``new`` expressions, for a constructor) of ``fn`` in its file and the files that
        import it: candidates found by name, kept when the callee resolves to ``fn``."""
        key = _key(fn)
        if key not in self._call_sites:
            self._call_sites[key] = self._find_call_sites(fn, path)
        return self._call_sites[key]

    def _find_call_sites(self, fn: tree_sitter.Node, path: Path) -> list[tuple[tree_sitter.Node, Path]]:
        name_node, constructor = function_name(fn)
        if name_node is None:
            return []
        name = text(name_node)
        files = [path] + sorted({other for other, _, _ in self.graph.importers(path)} - {path})
        sites = []
        for file in files:
            # a common method name can occur thousands of times in a bundle: look at the first ones
            for occurrence in self.parsed(file).occurrences(word_pattern(name))[:MAX_OCCURRENCES]:
                call = _new_of(occurrence) if constructor else call_of_callee(occurrence)
                if call is None or (fn.start_byte <= call.start_byte < fn.end_byte and file == path):
                    continue
                callee = call.child_by_field_name("constructor" if constructor else "function")
                target = fn.parent.parent if constructor else fn  # a constructor is reached through its class
                if callee is not None and any(
                        value is not None and _key(value) == _key(target)
                        for value, at in self._sources(callee, Where(file), Trace(), 0)):
                    sites.append((call, file))
                if len(sites) >= MAX_CALL_SITES:
                    return sites
        return sites

    def sources(self, node: tree_sitter.Node | None, where: Where, trace: Trace | None = None) -> list[Source]:
        """The expressions the value may come from (None: a value that cannot be read statically)."""
        return self._sources(node, where, trace or Trace(), 0)

    def property(self, node: tree_sitter.Node | None, key: str, where: Where, trace: Trace | None = None,
                 *, fold_case: bool = False) -> list[Source]:
        """Where the values of property ``key`` of the objects ``node`` may be come from; ``fold_case``: any
        spelling of the key (HTTP header names). Empty when no object has it; None entries: unknown."""
        trace = trace or Trace()
        found: list[Source] = []
        for obj, at in self._sources(node, where, trace, 0):
            if obj is None or obj.type != "object":
                found.append((None, at))
                continue
            for value, value_at in self._property(obj, key, at, trace, fold_case) or []:
                found += self._sources(value, value_at, trace, 1) if value is not None else [(None, value_at)]
        return found

    def functions(self, callee: tree_sitter.Node, where: Where, trace: Trace,
                  depth: int = 0) -> list[tuple[tree_sitter.Node, Where]]:
        """The app functions a callee expression can name (``depth``: names already followed to get here)."""
        return [(value, at) for value, at in self._sources(callee, where, trace, depth)
                if value is not None and value.type in FUNCTIONS]

    # -- where values come from --------------------------------------------

    def _sources(self, node: tree_sitter.Node | None, where: Where, trace: Trace, depth: int) -> list[Source]:
        """The expressions ``node``'s value may come from, followed through names, members,
        branches and calls of app functions; each is something else (a literal, a call of a
        library, a function...) or None for a value that cannot be read."""
        trace.steps += 1
        if node is None or depth > MAX_DEPTH or trace.steps > MAX_STEPS:
            return [(None, where)]
        node = unwrap(node)
        kind = node.type
        found: list[Source] | None
        if kind in ("identifier", "shorthand_property_identifier"):
            found = self._identifier(node, where, trace)
        elif kind in ("member_expression", "subscript_expression"):
            found = self._member(node, where, trace, depth)
        elif kind == "ternary_expression":
            found = [(node.child_by_field_name("consequence"), where),
                     (node.child_by_field_name("alternative"), where)]
        elif kind == "binary_expression" and text(node.child_by_field_name("operator")) in ("||", "??"):
            found = [(node.child_by_field_name("left"), where), (node.child_by_field_name("right"), where)]
        elif kind == "call_expression":
            found = self._call(node, where, trace, depth)
            if found is None:  # not a call of an app function: the call itself is the value
                return [(node, where)]
        else:
            return [(node, where)]
        if found is None:
            return [(None, where)]
        out: list[Source] = []
        for value, at in found:
            if value is None or value.type in _LITERALS:
                out.append((value, at))
            else:
                out += self._sources(value, at, trace, depth + 1)
        return out

    def _identifier(self, node: tree_sitter.Node, where: Where, trace: Trace) -> list[Source] | None:
        bindings = self.bindings(where.path)
        decl = bindings.declaration(node)
        if decl is None:
            return None
        if decl.kind == "param":
            return self._parameter(decl, where, trace)
        if decl.kind == "import":
            return self._imported(decl.name, where.path)
        if decl.kind in ("function", "class", "enum"):
            return [(decl.node.parent, where)]
        declarator = decl.declarator
        if decl.kind not in ("const", "let", "var") or declarator is None or declarator.type != "variable_declarator":
            return None
        name_node, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        found: list[Source] = []
        if value is not None:
            if module_source(unwrap(value)) is not None:
                return self._imported(decl.name, where.path)
            if same(name_node, decl.node):
                found.append((value, where))
            else:
                key = _pattern_key(decl.node, name_node)
                if key is None:
                    return None
                for obj, at in self._sources(value, where, trace, 1):
                    values = self._property(obj, key, at, trace) if obj is not None and obj.type == "object" else None
                    found += values if values is not None else [(None, at)]
        for assigned in bindings.assigned_values(decl):
            found.append((assigned, where))  # None for `+=` and the like: unknown
        return found or None

    def _parameter(self, decl: Declaration, where: Where, trace: Trace) -> list[Source] | None:
        fn = decl.scope
        if fn.type not in FUNCTIONS:
            return None
        for i, link in enumerate(where.frames):
            if link.path == where.path and same(link.function, fn):
                slot = _parameter_slot(decl)
                caller = Where(link.call_path, where.frames[i + 1:])
                return self._argument(link.call, slot, caller, Where(where.path, where.frames[i:]), trace) \
                    if slot is not None else None
        trace.unbound.add(_key(fn))
        slot = _parameter_slot(decl) if trace.open else None
        if slot is None:
            return None
        found: list[Source] = [(slot[2], Where(where.path))] if slot[2] is not None else []  # the default
        for call, path in self.call_sites(fn, where.path):
            found += self._argument(call, slot, Where(path), Where(where.path), trace) or []
        return found or None

    def _argument(self, call: tree_sitter.Node, slot: tuple, caller: Where, inside: Where,
                  trace: Trace) -> list[Source] | None:
        index, key, default = slot
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "arguments":
            return None
        named = [a for a in args.named_children if a.type != "comment"]
        if any(a.type == "spread_element" for a in named[:index + 1]):
            return None
        if index >= len(named):
            return [(default, inside)] if default is not None else None
        if key is None:
            return [(named[index], caller)]
        found: list[Source] = []
        for obj, at in self._sources(named[index], caller, trace, 1):
            values = self._property(obj, key, at, trace) if obj is not None and obj.type == "object" else [(None, at)]
            if values is None:
                values = [(default, inside)] if default is not None else [(None, at)]
            found += values
        return found

    def _imported(self, name: str, path: Path) -> list[Source] | None:
        from auditor.facts.entrypoints import _export_value  # entrypoints reads resolver keys through this module

        info = self.graph.modules.get(path)
        imported = info.imported_names.get(name) if info is not None else None
        target = self.graph.resolve(imported[0], path) if imported is not None else None
        if target is None or imported[1] == "*":
            return None
        found = _export_value(self.graph, target, imported[1], 0)
        return [(found[1], Where(found[0]))] if found is not None else None

    def _member(self, node: tree_sitter.Node, where: Where, trace: Trace, depth: int) -> list[Source] | None:
        obj = node.child_by_field_name("object")
        key = _member_key(node, self, where)
        if obj is None or key is None:
            return None
        obj = unwrap(obj)
        if obj.type == "this":
            cls = _class_of_this(obj)
            return self._class_member(cls, key, where.path, static=False) if cls is not None else None
        if obj.type == "identifier" and "__WEBPACK_IMPORTED_MODULE_" in text(obj):
            bundled = self._bundled_export(obj, key, where)
            if bundled is not None:
                return bundled
        if obj.type == "identifier":
            info = self.graph.modules.get(where.path)
            imported = info.imported_names.get(text(obj)) if info is not None else None
            if imported is not None and imported[1] == "*":  # import * as jira from './jira'
                from auditor.facts.entrypoints import _export_value

                target = self.graph.resolve(imported[0], where.path)
                found = _export_value(self.graph, target, key, 0) if target is not None else None
                return [(found[1], Where(found[0]))] if found is not None else None
        found: list[Source] = []
        for value, at in self._sources(obj, where, trace, depth + 1):
            if value is None:
                return None
            if value.type == "object":
                values = self._property(value, key, at, trace)
                assigned = self._assigned_property(value, key, at)
                values = (values or []) + assigned if assigned else values
            elif value.type in _CLASSES:
                values = self._class_member(value, key, at.path, static=True)
            elif value.type == "enum_declaration":
                values = _enum_member(value, key, at)
            elif value.type == "new_expression":
                classes = [(c, c_at) for c, c_at in self._sources(value.child_by_field_name("constructor"), at, trace,
                                                                  depth + 1) if c is not None and c.type in _CLASSES]
                values = None
                for cls, c_at in classes:  # read in the class's own file
                    values = (values or []) + (self._class_member(cls, key, c_at.path, static=False) or [])
            else:
                return None
            if values is None:
                return None
            found += values
        return found

    def _bundled_export(self, obj: tree_sitter.Node, key: str, where: Where) -> list[Source] | None:
        """``_calc__WEBPACK_IMPORTED_MODULE_2__.key`` in a webpack bundle, where the name holds
        ``__webpack_require__("./src/calc.js")``: the value that module factory exports as ``key``."""
        decl = self.bindings(where.path).declaration(obj)
        declarator = decl.declarator if decl is not None else None
        module_id = required_id(declarator.child_by_field_name("value")) if declarator is not None and \
            declarator.type == "variable_declarator" else None
        factory = webpack_factory(self.parsed(where.path), module_id) if module_id is not None else None
        value = webpack_export(self.parsed(where.path), factory, key) if factory is not None else None
        return [(value, where)] if value is not None else None

    def _assigned_property(self, literal: tree_sitter.Node, key: str, where: Where) -> list[Source]:
        """Values ``name.key = v`` / ``name['key'] = v`` give the property, where ``name`` is the variable
        the object literal initializes (no flow order: every value it is ever given, as for class fields)."""
        declarator = literal.parent
        name = declarator.child_by_field_name("name") if declarator is not None and \
            declarator.type == "variable_declarator" else None
        if name is None or name.type != "identifier":
            return []
        bindings = self.bindings(where.path)
        found: list[Source] = []
        for occurrence in self.parsed(where.path).occurrences(re.escape(key))[:MAX_OCCURRENCES]:
            member = occurrence.parent.parent if occurrence.type == "string_fragment" else occurrence.parent
            if member is None or not (member.type == "member_expression" and occurrence.type == "property_identifier"
                                      or member.type == "subscript_expression" and occurrence.type == "string_fragment"):
                continue
            assignment, obj = member.parent, member.child_by_field_name("object")
            if assignment is None or assignment.type != "assignment_expression" or \
                    not same(assignment.child_by_field_name("left"), member) or \
                    obj is None or obj.type != "identifier" or text(obj) != text(name):
                continue
            decl = bindings.declaration(obj)
            if decl is not None and same(decl.node, name):
                found.append((assignment.child_by_field_name("right"), where))
        return found

    def _property(self, obj: tree_sitter.Node, key: str, where: Where, trace: Trace,
                  fold_case: bool = False) -> list[Source] | None:
        """The values ``key`` can have in an object literal (later properties and spreads win, as in
        JavaScript); None when the literal plainly has no such key."""
        found: list[Source] | None = None

        def named(name: str | None) -> bool:
            return name == key or fold_case and name is not None and name.lower() == key.lower()
        for prop in obj.named_children:
            if prop.type == "spread_element":
                inner = prop.named_children[0] if prop.named_children else None
                spread: list[Source] = []
                for value, at in self._sources(inner, where, trace, 1):
                    if value is None or value.type != "object":
                        spread.append((None, at))
                    else:
                        spread += self._property(value, key, at, trace, fold_case) or []
                if spread:
                    found = spread
            elif prop.type == "pair":
                k = prop.child_by_field_name("key")
                name = string_value(k) if k is not None and k.type == "string" else text(k) if k is not None else None
                if named(name):
                    found = [(prop.child_by_field_name("value"), where)]
            elif prop.type == "shorthand_property_identifier" and named(text(prop)):
                found = [(prop, where)]
            elif prop.type == "method_definition":
                name_node = prop.child_by_field_name("name")
                if name_node is not None and named(text(name_node)):
                    found = [(prop, where)]
        return found

    def _class_member(self, cls: tree_sitter.Node, key: str, path: Path, static: bool) -> list[Source] | None:
        """Methods, field initializers, constructor parameter properties and ``this.key = v``
        assignments of a class (no flow order: every value the member is ever given)."""
        body = cls.child_by_field_name("body")
        if body is None:
            return None
        where = Where(path)
        found: list[Source] = []
        for member in body.named_children:
            is_static = any(c.type == "static" for c in member.children)
            name_node = member.child_by_field_name("name") or member.child_by_field_name("property")
            if name_node is None or is_static != static:
                continue
            if text(name_node) == key:
                if member.type == "method_definition":
                    found.append((member, where))
                elif member.type in _FIELDS:
                    found.append((member.child_by_field_name("value"), where))
            elif member.type == "method_definition" and text(name_node) == "constructor" and not static:
                params = member.child_by_field_name("parameters")
                for param in params.named_children if params is not None else []:
                    pattern = param.child_by_field_name("pattern")
                    if any(c.type == "accessibility_modifier" or c.type == "readonly" for c in param.children) \
                            and pattern is not None and pattern.type == "identifier" and text(pattern) == key:
                        found.append((pattern, where))
        for occurrence in self.parsed(path).occurrences(word_pattern(key)):
            member = occurrence.parent
            if occurrence.type != "property_identifier" or member is None or member.type != "member_expression":
                continue
            assignment = member.parent
            if assignment is None or not same(assignment.child_by_field_name("left"), member):
                continue
            obj = member.child_by_field_name("object")
            if obj is None or obj.type != "this" or not same(_class_of_this(obj), cls) or static:
                continue
            found.append((assignment.child_by_field_name("right"), where)
                         if assignment.type == "assignment_expression" else (None, where))
        return found or None

    def _call(self, node: tree_sitter.Node, where: Where, trace: Trace, depth: int) -> list[Source] | None:
        """A call of an app function is worth what it returns, read in a frame for this call;
        None for any other call."""
        callee = node.child_by_field_name("function")
        if callee is None or callee_name(callee) in CONTEXT_CALLS + ROUTE_CALLS or len(where.frames) >= MAX_FRAMES:
            return None
        # the callee counts towards the depth: `s = s.slice(0, 9)` reads `s` through its own call
        functions = self.functions(callee, where, trace, depth + 1)
        if not functions:
            return None
        found: list[Source] = []
        for fn, at in functions:
            inner = where.entering(fn, at.path, node)
            returned = self.returned(fn, at.path)
            found += [(r, inner) for r in returned] if returned else [(None, inner)]
        return found

    def returned(self, fn: tree_sitter.Node, path: Path) -> list[tree_sitter.Node]:
        """The expressions ``fn`` returns (an arrow's expression body, or its own return statements)."""
        key = _key(fn)
        if key not in self._returns:
            body = fn.child_by_field_name("body")
            if body is not None and body.type != "statement_block":
                self._returns[key] = [body]
            elif body is None:
                self._returns[key] = []
            else:
                cursor = tree_sitter.QueryCursor(_returns_query(self.parsed(path).grammar))
                statements = cursor.captures(body).get("return", [])
                self._returns[key] = [s.named_children[0] for s in statements
                                      if s.named_children and same(enclosing_function(s), fn)]
        return self._returns[key]

    # -- what a value is ---------------------------------------------------

    def _strings(self, node: tree_sitter.Node | None, where: Where, trace: Trace, depth: int) -> list[list]:
        if depth > MAX_DEPTH:  # nested templates and concatenations: bounded like names
            return [[HOLE]]
        if node is not None and (node.type in _LITERALS or node.type in ("call_expression", "binary_expression")):
            found = self._literal(node, where, trace, depth)  # most paths: no names to follow
            if found is not None:
                return found
        alternatives: list[list] = []
        for value, at in self._sources(node, where, trace, depth):
            alternatives += (self._literal(value, at, trace, depth) if value is not None else None) or [[HOLE]]
        if len(alternatives) == 1:
            return alternatives
        unique = list({tuple(a): a for a in alternatives}.values())
        return unique if len(unique) <= MAX_ALTERNATIVES else [[HOLE]]

    def _literal(self, node: tree_sitter.Node, where: Where, trace: Trace, depth: int) -> list[list] | None:
        """The strings of a literal, a concatenation or a route call; None for anything else."""
        kind = node.type
        if kind == "string":
            return [[string_value(node)]]
        if kind == "number":
            return [[text(node)]]
        if kind == "template_string":
            return self._template(node, where, trace, depth)
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            return _product([self._strings(node.child_by_field_name("left"), where, trace, depth + 1),
                             self._strings(node.child_by_field_name("right"), where, trace, depth + 1)])
        if kind == "call_expression":
            fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
            if fn is not None and args is not None and callee_name(fn) in ROUTE_CALLS:
                if args.type == "template_string":
                    return self._template(args, where, trace, depth, escaped=True)
                first = args.named_children[0] if args.named_children else None
                return self._strings(first, where, trace, depth + 1)
            if fn is not None and args is not None:
                return self._base64(unwrap(fn), args, where, trace, depth)
        return None

    def _base64(self, fn: tree_sitter.Node, args: tree_sitter.Node, where: Where, trace: Trace,
                depth: int) -> list[list] | None:
        """``btoa(s)`` and ``Buffer.from(s).toString('base64')`` (how Basic credentials are built): the
        encoding of each constant ``s``, unknown for the rest; None for any other call."""
        if fn.type == "identifier" and text(fn) == "btoa":
            encoded = args
        elif fn.type == "member_expression" and text(fn.child_by_field_name("property")) == "toString" \
                and [string_value(a) if a.type == "string" else None for a in args.named_children] == ["base64"]:
            buffer = unwrap(fn.child_by_field_name("object"))
            callee = buffer.child_by_field_name("function") if buffer.type == "call_expression" else None
            if callee is None or text(callee) != "Buffer.from":
                return None
            encoded = buffer.child_by_field_name("arguments")
        else:
            return None
        given = [a for a in encoded.named_children if a.type != "comment"] if encoded is not None else []
        if not given or len(given) > 2 or len(given) == 2 and self.string(given[1], where) not in ("utf8", "utf-8"):
            return [[HOLE]]
        return [[base64.b64encode(v[0].encode()).decode()] if len(v) == 1 and isinstance(v[0], str) else [HOLE]
                for v in self._strings(given[0], where, trace, depth + 1)]

    def _template(self, node: tree_sitter.Node, where: Where, trace: Trace, depth: int,
                  escaped: bool = False) -> list[list]:
        """``escaped``: a route template, which encodes each substitution whole (its known parts, a
        '/' among them, say nothing about the path); a plain template keeps them (`${BASE}/users`)."""
        pieces: list[list[list]] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                pieces.append([[text(child)]])
            elif child.type == "escape_sequence":
                pieces.append([[decode_escape(text(child))]])
            elif child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                values = self._strings(inner, where, trace, depth + 1)
                pieces.append([[HOLE] if escaped and HOLE in v else v for v in values])
        return _product(pieces) if pieces else [[""]]

    def _context_call(self, node: tree_sitter.Node, where: Where) -> str | None:
        """'asApp'/'asUser' when node is ``<forge api>.asApp()``."""
        if node.type != "call_expression":
            return None
        fn = node.child_by_field_name("function")
        name = callee_name(fn) if fn is not None else None
        if name not in CONTEXT_CALLS:
            return None
        fn = unwrap(fn)
        bindings = self.bindings(where.path)
        if fn.type == "identifier":
            return name if bindings.imported_from_forge(name) else None
        receiver = fn.child_by_field_name("object")
        # `api.asApp()` with api from @forge/api; bundles rename it, so also accept
        # any receiver we cannot disprove: asApp/asUser are Forge's own vocabulary.
        if receiver is not None and bindings.forge_module(receiver) not in (None, "api"):
            return None
        return name


@functools.cache
def _returns_query(grammar: str) -> tree_sitter.Query:
    return tree_sitter.Query(language(grammar), "(return_statement) @return")


def _product(pieces: list[list[list]]) -> list[list]:
    """Every concatenation of one alternative per piece (capped: beyond, the value is unknown)."""
    if all(len(alternatives) == 1 for alternatives in pieces):  # the usual template: one value each
        return [_merge([part for alternatives in pieces for part in alternatives[0]])]
    count = 1
    for alternatives in pieces:
        count *= max(len(alternatives), 1)
    if count > MAX_ALTERNATIVES:
        return [[HOLE]]
    return [_merge([part for alternative in combination for part in alternative])
            for combination in itertools.product(*pieces)]


def _merge(parts: list) -> list:
    out: list = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return out or [""]


def word_pattern(name: str) -> str:
    """A name as a pattern for ParsedFile.occurrences (a `$` in JavaScript names escaped)."""
    return "".join("\\" + c if c == "$" else c for c in name)


def _member_key(node: tree_sitter.Node, values: Values, where: Where) -> str | None:
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return text(prop) if prop is not None and prop.type == "property_identifier" else None
    index = node.child_by_field_name("index")
    return values.string(index, where) if index is not None and index.type in ("string", "template_string") else None


def _pattern_key(node: tree_sitter.Node, pattern: tree_sitter.Node) -> str | None:
    """The property a name destructured by a flat ``{ key: name }`` / ``{ name }`` pattern reads."""
    if pattern.type != "object_pattern":
        return None
    parent = node.parent
    if node.type == "shorthand_property_identifier_pattern" and parent is not None and (
            same(parent, pattern) or parent.type == "object_assignment_pattern" and same(parent.parent, pattern)):
        return text(node)
    if parent is not None and parent.type == "pair_pattern" and same(parent.parent, pattern):
        key = parent.child_by_field_name("key")
        return text(key) if key is not None and key.type == "property_identifier" else None
    return None


def _parameter_slot(decl: Declaration) -> tuple[int, str | None, tree_sitter.Node | None] | None:
    """(argument index, property key when destructured, default value) of a parameter."""
    current = decl.node
    parent = current.parent
    key = default = None
    if current.type == "shorthand_property_identifier_pattern":
        key = decl.name
        if parent is not None and parent.type == "object_assignment_pattern":
            default = parent.child_by_field_name("right")
            current, parent = parent, parent.parent
    elif parent is not None and parent.type == "pair_pattern":
        k = parent.child_by_field_name("key")
        key = text(k) if k is not None and k.type == "property_identifier" else None
        if key is None:
            return None
        current, parent = parent, parent.parent
    if key is not None:
        if parent is None or parent.type != "object_pattern":
            return None
        current, parent = parent, parent.parent
    if parent is not None and parent.type == "assignment_pattern" and same(parent.child_by_field_name("left"), current):
        default = default or (parent.child_by_field_name("right") if key is None else None)
        current, parent = parent, parent.parent
    if parent is not None and parent.type in ("required_parameter", "optional_parameter"):
        if key is None:
            default = parent.child_by_field_name("value")
        current, parent = parent, parent.parent
    if parent is not None and parent.type == "arrow_function":
        return 0, key, default
    if parent is None or parent.type != "formal_parameters":
        return None
    params = [p for p in parent.named_children if p.type != "comment"]
    if params and params[0].type == "required_parameter" and \
            getattr(params[0].child_by_field_name("pattern"), "type", "") == "this":
        params = params[1:]  # TypeScript's `this` parameter is not an argument
    for index, param in enumerate(params):
        if same(param, current):
            return index, key, default
    return None


def _enum_member(enum: tree_sitter.Node, key: str, where: Where) -> list[Source] | None:
    """A TypeScript enum member's initializer (`Refresh = 'refresh'`); an auto-numbered member has no
    expression to read (unknown)."""
    body = enum.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        name = member.child_by_field_name("name") if member.type == "enum_assignment" else member
        if name is not None and (string_value(name) if name.type == "string" else text(name)) == key:
            return [(member.child_by_field_name("value"), where) if member.type == "enum_assignment" else (None, where)]
    return None


def _class_of_this(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The class whose instance ``this`` is at ``node`` (arrows keep the enclosing ``this``)."""
    current = node.parent
    while current is not None:
        if current.type == "class_body":
            return current.parent
        if current.type in FUNCTIONS and current.type not in ("arrow_function", "method_definition"):
            return None
        current = current.parent
    return None


def function_name(fn: tree_sitter.Node) -> tuple[tree_sitter.Node | None, bool]:
    """The name a function is called by, and whether calls of it are ``new`` expressions."""
    if fn.type in ("function_declaration", "generator_function_declaration"):
        return fn.child_by_field_name("name"), False
    if fn.type == "method_definition":
        name = fn.child_by_field_name("name")
        if name is not None and text(name) == "constructor" and fn.parent is not None and fn.parent.parent is not None:
            return fn.parent.parent.child_by_field_name("name"), True
        return name, False
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        return parent.child_by_field_name("name"), False
    if parent is not None and parent.type in ("pair", *_FIELDS):
        return parent.child_by_field_name("key") or parent.child_by_field_name("name") \
            or parent.child_by_field_name("property"), False
    return None, False


def _new_of(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    if parent is not None and parent.type == "new_expression" and same(parent.child_by_field_name("constructor"), node):
        return parent
    return None


__all__ = ["Values", "Where", "Trace", "Link", "HOLE"]

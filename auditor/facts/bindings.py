"""What the names in one file stand for: imported modules, declarations and assignments.

Two kinds of lookup: "is this identifier the @forge/api (or @forge/bridge)
module?", and where a name is declared and assigned (``declaration`` resolves
one occurrence with JavaScript's scoping), for values.py to follow values.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import tree_sitter

from auditor.facts.scopes import Declaration, Declarations, declaration_of, resolve
from auditor.parsing import ParsedFile, text


class _Hole:
    """A part of a string whose value is not known statically (a `${...}` hole)."""

    def __repr__(self) -> str:
        return "HOLE"


HOLE = _Hole()

# webpack names imported modules after their package: _forge_api__WEBPACK_IMPORTED_MODULE_0__
_BUNDLER_NAME = re.compile(r"^_?(?:forge_(api|bridge|kvs|storage|events|resolver))(?:__WEBPACK_IMPORTED_MODULE_\d+__|_\d*)?(?:___default)?$")
_ESBUILD_NAME = re.compile(r"^import_(api|bridge|kvs|storage|events|resolver)\d*$")
_NEAREST_SCOPES = 64  # declarations looked at before falling back to a walk up the tree
# Node types whose occurrence may declare a name (a TypeScript class is named by a type_identifier).
_DECLARING = ("identifier", "shorthand_property_identifier_pattern", "type_identifier")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


class Import(NamedTuple):
    module: str
    name: str  # "default", "*" (the whole module), or the exported name
    node: tree_sitter.Node  # the import statement or declarator, for locations


def string_value(node: tree_sitter.Node) -> str:
    """The value of a string literal node (escapes decoded)."""
    out = []
    for child in node.named_children:
        if child.type == "string_fragment":
            out.append(text(child))
        elif child.type == "escape_sequence":
            out.append(decode_escape(text(child)))
    return "".join(out)


def decode_escape(seq: str) -> str:
    body = seq[1:]
    if body in _ESCAPES:
        return _ESCAPES[body]
    if body[:1] in "xu":
        digits = body[1:].strip("{}")
        try:
            return chr(int(digits, 16))
        except ValueError:
            return body
    return body


def module_source(node: tree_sitter.Node) -> str | None:
    """'m' for ``require('m')`` / ``__importDefault(require('m'))`` / ``__toESM(require('m'))``."""
    while node.type == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or not args.named_children:
            return None
        first = args.named_children[0]
        if fn.type == "identifier" and text(fn) == "require":
            return string_value(first) if first.type == "string" else None
        if fn.type == "identifier" and text(fn) in ("__importDefault", "__importStar", "__toESM", "_interopRequireDefault"):
            node = first
            continue
        return None
    return None


@dataclass
class NameFacts:
    """Where one name is bound and assigned in a file: the first three fields in any scope, the
    declarations with theirs."""

    values: list[tree_sitter.Node] = field(default_factory=list)       # `name = value` initializers
    destructured: list[tuple[str, tree_sitter.Node]] = field(default_factory=list)  # `{key: name} = src`
    function: bool = False
    declarations: list[Declaration] = field(default_factory=list)     # every declaration, for scoped lookups
    # (assigned identifier, assigned value or None when the new value cannot be read: `+=`, `++`)
    assignments: list[tuple[tree_sitter.Node, tree_sitter.Node | None]] = field(default_factory=list)
    _index: tuple[list[Declaration], list[int]] | None = None   # declarations by scope start, and the starts


def same(a: tree_sitter.Node | None, b: tree_sitter.Node | None) -> bool:
    return a is not None and b is not None and (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


class FileBindings:
    """Name lookups for one file, answered from the name's occurrences in the source bytes.

    Finding a name with a byte regex and asking tree-sitter for the node there
    costs microseconds, where a query over a multi-megabyte bundle walks
    millions of nodes; so every lookup is lazy and cached per name.
    """

    def __init__(self, parsed: ParsedFile):
        self.parsed = parsed
        self._names: dict[str, NameFacts] = {}

    def name_facts(self, name: str) -> NameFacts:
        if name not in self._names:
            facts = NameFacts()
            for node in self.parsed.occurrences(re.escape(name)):
                self._classify(node, facts)
            self._names[name] = facts
        return self._names[name]

    @staticmethod
    def _classify(node: tree_sitter.Node, facts: NameFacts) -> None:
        decl = declaration_of(node) if node.type in _DECLARING else None
        if decl is None:
            parent = node.parent
            if node.type == "identifier" and parent is not None and (
                    parent.type == "update_expression"
                    or parent.type in ("assignment_expression", "augmented_assignment_expression")
                    and same(parent.child_by_field_name("left"), node)):
                plain = parent.type == "assignment_expression"
                facts.assignments.append((node, parent.child_by_field_name("right") if plain else None))
            return
        facts.declarations.append(decl)
        if decl.kind == "function":
            facts.function = True
        declarator = decl.declarator
        if decl.kind not in ("const", "let", "var") or declarator is None or declarator.type != "variable_declarator":
            return
        name_node, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if value is None:
            return
        if same(name_node, node):
            facts.values.append(value)
            return
        for local, key in pattern_names(name_node):  # `const { key: local } = value`, one level deep
            if local == text(node):
                facts.destructured.append((key, value))

    @functools.cached_property
    def imports(self) -> dict[str, Import]:
        """Names bound by ESM imports and CommonJS requires of any module."""
        found: dict[str, Import] = {}
        for statement in self.parsed.tree.root_node.named_children:
            if statement.type != "import_statement":
                continue
            source = statement.child_by_field_name("source")
            if source is None:
                continue
            module = string_value(source)
            for clause in statement.named_children:
                if clause.type == "import_clause":
                    self._import_clause(clause, module, statement, found)
        for node in self.parsed.occurrences(r"require"):
            declarator = _require_declarator(node)
            if declarator is not None:
                self._require(declarator, found)
        return found

    def _import_clause(self, clause: tree_sitter.Node, module: str, statement: tree_sitter.Node,
                       found: dict[str, Import]) -> None:
        for part in clause.named_children:
            if part.type == "identifier":
                found[text(part)] = Import(module, "default", statement)
            elif part.type == "namespace_import":
                for ident in part.named_children:
                    found[text(ident)] = Import(module, "*", statement)
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or name
                    if name is not None:
                        found[text(alias)] = Import(module, text(name), statement)

    def _require(self, declarator: tree_sitter.Node, found: dict[str, Import]) -> None:
        name_node, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name_node is None or value is None:
            return
        member = None
        if value.type == "member_expression":  # require('m').default / require('m').route
            prop = value.child_by_field_name("property")
            member = text(prop) if prop is not None else None
            value = value.child_by_field_name("object")
        if value is None or value.type != "call_expression":
            return
        module = module_source(value)
        if module is None:
            return
        if name_node.type == "identifier":
            found[text(name_node)] = Import(module, member or "*", declarator)
        elif member is None:
            for alias, key in pattern_names(name_node):
                found[alias] = Import(module, key, declarator)

    def declaration(self, reference: tree_sitter.Node) -> Declaration | None:
        """The declaration an identifier occurrence refers to, with JavaScript's scoping."""
        facts = self.name_facts(text(reference))
        if len(facts.declarations) == 1:  # the common case, without indexing scopes
            decl = facts.declarations[0]
            return decl if decl.contains(reference) else None
        if facts._index is None:
            ordered = sorted(facts.declarations, key=lambda d: (d.scope.start_byte, -d.scope.end_byte))
            facts._index = (ordered, [d.scope.start_byte for d in ordered])
        # Scopes nest, so the innermost one holding the reference is the holding one that starts last:
        # found by bisection (walking up the tree is slow, `parent` descends from the root each time).
        ordered, starts = facts._index
        end = bisect.bisect_right(starts, reference.start_byte)
        for decl in reversed(ordered[max(0, end - _NEAREST_SCOPES):end]):
            if decl.scope.end_byte >= reference.end_byte:
                return decl
        if end <= _NEAREST_SCOPES:
            return None
        return resolve(reference, Declarations(facts.declarations))  # many disjoint scopes in between

    def assigned_values(self, decl: Declaration) -> list[tree_sitter.Node | None]:
        """Values assigned to a declared name after its declaration (None for `+=`, `++`...)."""
        return [value for ident, value in self.name_facts(decl.name).assignments
                if same(getattr(self.declaration(ident), "node", None), decl.node)]

    def destructured_source(self, name: str) -> tree_sitter.Node | None:
        """For ``const { name } = expr`` (declared once that way): expr."""
        entries = self.name_facts(name).destructured
        return entries[0][1] if len(entries) == 1 else None

    def declares(self, name: str) -> bool:
        """Is ``name`` bound in this file by a declaration of any kind?"""
        facts = self.name_facts(name)
        return bool(facts.values or facts.destructured or facts.function)

    def forge_module(self, node: tree_sitter.Node) -> str | None:
        """'api', 'bridge', ... when ``node`` names a @forge/* package (or its default export)."""
        node = unwrap(node)
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is not None and text(prop) == "default":
                node = node.child_by_field_name("object")
        if node is None:
            return None
        if node.type == "call_expression":
            return forge_package(module_source(node))
        if node.type != "identifier":
            return None
        name = text(node)
        imported = self.imports.get(name)
        if imported is not None:
            return forge_package(imported.module) if imported.name in ("*", "default") else None
        bundled = _BUNDLER_NAME.match(name) or _ESBUILD_NAME.match(name)
        return bundled.group(1) if bundled else None

    def imported_from_forge(self, name: str) -> tuple[str, str] | None:
        """(package, exported name) when identifier ``name`` is a named import from @forge/*."""
        imported = self.imports.get(name)
        if imported is None or imported.name in ("*", "default"):
            return None
        package = forge_package(imported.module)
        return (package, imported.name) if package else None


def _require_declarator(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The declarator a `require(...)` call initializes, through wrappers and `.member`."""
    if node.type != "identifier" or node.parent is None or node.parent.type != "call_expression":
        return None
    current = node.parent
    for _ in range(4):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "variable_declarator":
            return parent if same(parent.child_by_field_name("value"), current) else None
        if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call_expression":
            current = parent.parent  # __importDefault(require('m'))
        elif parent.type == "member_expression":
            current = parent  # require('m').default
        else:
            return None
    return None


def pattern_names(pattern: tree_sitter.Node) -> list[tuple[str, str]]:
    """(local name, property key) pairs of a flat ``{ a, b: c }`` destructuring pattern."""
    if pattern.type != "object_pattern":
        return []
    names = []
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            names.append((text(prop), text(prop)))
        elif prop.type == "pair_pattern":
            key, alias = prop.child_by_field_name("key"), prop.child_by_field_name("value")
            if key is not None and alias is not None and alias.type == "identifier":
                names.append((text(alias), text(key)))
    return names


def forge_package(module: str | None) -> str | None:
    if module and module.startswith("@forge/"):
        return module.split("/")[1]
    return None


# Expressions whose value is the one they wrap: parentheses, `await`, TypeScript casts and assertions.
EXPRESSION_WRAPPERS = frozenset({"parenthesized_expression", "await_expression", "as_expression",
                                 "satisfies_expression", "non_null_expression", "type_assertion"})


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """Look through parentheses, `await`, TS casts and `(0, x.f)` sequence calls."""
    while True:
        if node.type in EXPRESSION_WRAPPERS and node.named_children:
            node = node.named_children[0] if node.type != "type_assertion" else node.named_children[-1]
        elif node.type == "sequence_expression" and node.named_children:
            node = node.named_children[-1]
        elif is_await_call(node):
            node = node.child_by_field_name("arguments").named_children[-1]
        else:
            return node


def is_await_call(node: tree_sitter.Node | None) -> bool:
    """tree-sitter reads ``await (0, x.f)`` as a call of a function named await."""
    if node is None or node.type != "call_expression":
        return False
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    return (fn is not None and fn.type == "identifier" and text(fn) == "await"
            and args is not None and args.type == "arguments" and bool(args.named_children))


def callee_name(fn: tree_sitter.Node) -> str | None:
    """The called function's own name: `f` for f(), x.f(), (0, x.f)()."""
    fn = unwrap(fn)
    if fn.type == "identifier":
        return text(fn)
    if fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        return text(prop) if prop is not None else None
    return None


def call_of_callee(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The call whose callee is ``node`` (a name, a property name or a member expression): f(), x.f(),
    (f)(), (0, x.f)(), await (0, x.f)()."""
    current = node
    if node.type == "property_identifier":
        current = node.parent
        if current is None or current.type != "member_expression" or \
                not same(current.child_by_field_name("property"), node):
            return None
    elif node.type not in ("identifier", "member_expression"):
        return None
    for _ in range(4):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "call_expression":
            if same(parent.child_by_field_name("function"), current):
                return parent
            return None
        if parent.type == "parenthesized_expression" or \
                parent.type == "sequence_expression" and same(parent.named_children[-1], current) or \
                parent.type == "await_expression" and parent.parent is not None and \
                parent.parent.type == "call_expression":  # TypeScript's `await f<T>(x)` reads as (await f)<T>(x)
            current = parent
        elif parent.type == "arguments" and is_await_call(parent.parent) and \
                same(parent.named_children[-1], current):  # tree-sitter's `await (0, x.f)` quirk
            current = parent.parent
        else:
            return None
    return None

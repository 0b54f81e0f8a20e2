"""Lexical scopes, computed on demand from a name's occurrences.

Rather than walking every node of a file (seconds on a bundle), we look at
the occurrences of one name: which of them declare it, which scope each
declaration governs, and so which declaration a reference resolves to
(the innermost one whose scope contains it). That is enough to tell a
module-level ``cache`` from a handler's own local ``cache``.
"""

from __future__ import annotations

from typing import NamedTuple

import tree_sitter

from auditor.parsing import text

FUNCTIONS = {"function_declaration", "function_expression", "function", "arrow_function", "method_definition",
             "generator_function_declaration", "generator_function"}
BLOCKS = {"statement_block", "for_statement", "for_in_statement", "switch_body", "class_body"}
PATTERN_PARTS = {"object_pattern", "array_pattern", "pair_pattern", "assignment_pattern", "rest_pattern",
                 "object_assignment_pattern", "shorthand_property_identifier_pattern"}
PARAMETER_WRAPPERS = {"required_parameter", "optional_parameter"}


class Declaration(NamedTuple):
    name: str
    node: tree_sitter.Node          # the identifier (or shorthand pattern) that declares
    kind: str                       # const | let | var | param | function | class | enum | import | catch
    scope: tree_sitter.Node         # the node whose subtree the declaration governs
    declarator: tree_sitter.Node | None = None  # variable_declarator, for initializers

    def contains(self, node: tree_sitter.Node) -> bool:
        return self.scope.start_byte <= node.start_byte and node.end_byte <= self.scope.end_byte


def enclosing_function(node: tree_sitter.Node) -> tree_sitter.Node | None:
    current = node.parent
    while current is not None:
        if current.type in FUNCTIONS:
            return current
        current = current.parent
    return None


def _nearest(node: tree_sitter.Node, kinds: set[str]) -> tree_sitter.Node:
    current = node.parent
    while current is not None:
        if current.type in kinds or current.type == "program":
            return current
        current = current.parent
    return node


# The nodes an identifier (or the pattern holding it) declares a name in; anything else makes it a reference.
_DECLARING_PARENTS = frozenset({
    "variable_declarator", "for_in_statement", "formal_parameters", *PARAMETER_WRAPPERS, "arrow_function",
    "function_declaration", "generator_function_declaration", "class_declaration", "enum_declaration",
    "function_expression", "function", "class", "catch_clause", "import_clause", "import_specifier",
    "namespace_import"})


def declaration_of(node: tree_sitter.Node) -> Declaration | None:
    """The Declaration when this identifier occurrence declares its name, else None."""
    current, parent = node, node.parent
    # climb out of destructuring patterns to what they belong to
    while parent is not None and parent.type in PATTERN_PARTS:
        if parent.type == "pair_pattern" and current == parent.child_by_field_name("key"):
            return None  # `{ key: local }`: the key is a property name, not a binding
        if parent.type in ("assignment_pattern", "object_assignment_pattern") and \
                current != parent.child_by_field_name("left"):
            return None  # a default value's identifiers are references
        current, parent = parent, parent.parent
    if parent is None or parent.type not in _DECLARING_PARENTS:
        return None  # most occurrences are references: answered without reading the name
    name, kind = text(node), parent.type
    if kind == "variable_declarator" and current == parent.child_by_field_name("name"):
        keyword = parent.parent.child(0) if parent.parent is not None and parent.parent.child_count else None
        word = text(keyword) if keyword is not None else "var"
        if word == "var":
            return Declaration(name, node, "var", _function_scope(parent), parent)
        return Declaration(name, node, "let" if word == "let" else "const", _nearest(parent, BLOCKS), parent)
    if kind == "for_in_statement" and current == parent.child_by_field_name("left"):
        keyword = parent.child_by_field_name("kind")
        word = text(keyword) if keyword is not None else "var"
        return Declaration(name, node, word if word in ("let", "const") else "var",
                           parent if word in ("let", "const") else _function_scope(parent), parent)
    if kind == "formal_parameters" or (kind in PARAMETER_WRAPPERS and current == parent.child_by_field_name("pattern")):
        return Declaration(name, node, "param", enclosing_function(node) or _nearest(parent, BLOCKS))
    if kind == "arrow_function" and current == parent.child_by_field_name("parameter"):
        return Declaration(name, node, "param", parent)
    if kind in ("function_declaration", "generator_function_declaration", "class_declaration") and \
            current == parent.child_by_field_name("name"):
        scope = _nearest(parent, BLOCKS | FUNCTIONS)
        return Declaration(name, node, "class" if kind == "class_declaration" else "function", scope)
    if kind == "enum_declaration" and current == parent.child_by_field_name("name"):
        return Declaration(name, node, "enum", _nearest(parent, BLOCKS | FUNCTIONS))
    if kind in ("function_expression", "function", "class") and current == parent.child_by_field_name("name"):
        return Declaration(name, node, "function", parent)
    if kind == "catch_clause":
        return Declaration(name, node, "catch", parent)
    if kind in ("import_clause", "import_specifier", "namespace_import"):
        if kind == "import_specifier" and parent.child_by_field_name("alias") is not None and \
                current == parent.child_by_field_name("name"):
            return None  # `import { name as alias }`: only the alias is bound
        return Declaration(name, node, "import", _nearest(parent, set()))
    return None


def _function_scope(node: tree_sitter.Node) -> tree_sitter.Node:
    return enclosing_function(node) or _nearest(node, set())


class Declarations(list):
    """The declarations of one name in one file, indexed by the scope each governs, so that
    resolving a reference walks its ancestors instead of comparing every declaration (a bundle
    can declare the same name in thousands of module factories)."""

    def __init__(self, items):
        super().__init__(items)
        self.by_scope: dict[tuple, Declaration] = {}
        for decl in self:
            self.by_scope.setdefault((decl.scope.start_byte, decl.scope.end_byte, decl.scope.type), decl)


def resolve(reference: tree_sitter.Node, declarations: list[Declaration]) -> Declaration | None:
    """The innermost declaration whose scope contains ``reference``."""
    if isinstance(declarations, Declarations):
        if not declarations:
            return None  # a global or an import from elsewhere: no walk up to the root (each `parent` is a descent)
        if len(declarations) == 1 and reference.child_count == 0 and reference.start_byte < reference.end_byte:
            # a scope holding a token's bytes is one of the token's ancestors
            return declarations[0] if declarations[0].contains(reference) else None
        node = reference
        while node is not None:
            found = declarations.by_scope.get((node.start_byte, node.end_byte, node.type))
            if found is not None:
                return found
            node = node.parent
        return None
    best = None
    for decl in declarations:
        if decl.contains(reference) and (best is None or decl.scope.start_byte >= best.scope.start_byte
                                          and decl.scope.end_byte <= best.scope.end_byte):
            best = decl
    return best


def declaring(scope: tree_sitter.Node, name: str) -> tree_sitter.Node | None:
    """The function declaration or variable declarator by which a statement directly in ``scope`` (a program,
    a function body; exported or not) declares ``name``."""
    for statement in scope.named_children:
        declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
            else statement
        if declaration is None:
            continue
        if declaration.type in ("function_declaration", "generator_function_declaration"):
            fn_name = declaration.child_by_field_name("name")
            if fn_name is not None and text(fn_name) == name:
                return declaration
        if declaration.type in ("lexical_declaration", "variable_declaration"):
            for declarator in declaration.named_children:
                decl_name = declarator.child_by_field_name("name")
                if decl_name is not None and text(decl_name) == name:
                    return declarator
    return None


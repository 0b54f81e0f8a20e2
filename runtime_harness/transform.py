"""ESM to CommonJS and TypeScript type stripping, written on tree-sitter trees.

The output keeps every line where it was: type syntax is replaced by spaces,
`import`/`export` statements by CommonJS code of the same line count, and
exports are published through getters prepended to the first line. Stack
traces and harness reports therefore still point at the app's own lines.

TypeScript constructs that have run-time meaning and no type-only erasure
(`enum`, `namespace`, decorators, `import x = require()`, parameter
properties) are reported as unsupported instead of being guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import tree_sitter

from auditor.parsing import GRAMMAR_BY_SUFFIX, language, text

# Nodes erased whole (replaced by spaces).
ERASE = {"type_annotation", "type_arguments", "type_parameters", "interface_declaration",
         "type_alias_declaration", "accessibility_modifier", "override_modifier", "implements_clause",
         "function_signature", "abstract_method_signature", "index_signature", "declare_statement",
         "ambient_declaration", "opting_type_annotation", "omitting_type_annotation", "asserts_annotation",
         "type_predicate_annotation"}
UNSUPPORTED = {"enum_declaration": "enum", "internal_module": "namespace", "module": "namespace",
               "decorator": "decorator", "import_require_clause": "import = require()",
               "export_assignment": "export ="}


class UnsupportedSyntax(Exception):
    pass


@dataclass
class Transformed:
    code: str
    esm: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class _Edits:
    data: bytes
    edits: list[tuple[int, int, str]] = field(default_factory=list)

    def blank(self, start: int, end: int) -> None:
        """Replace bytes by spaces, keeping newlines (and so line numbers)."""
        chunk = self.data[start:end].decode("utf-8", "replace")
        self.edits.append((start, end, "".join(c if c == "\n" else " " for c in chunk)))

    def replace(self, start: int, end: int, new: str) -> None:
        """Replace bytes by ``new`` padded with the newlines they held."""
        lines = self.data[start:end].count(b"\n")
        self.edits.append((start, end, new + "\n" * lines))

    def apply(self, prefix: str = "") -> str:
        out, pos = [], 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], -e[1])):
            if start < pos:  # nested edit inside an erased region: already covered
                continue
            out.append(self.data[pos:start].decode("utf-8", "replace"))
            out.append(new)
            pos = end
        out.append(self.data[pos:].decode("utf-8", "replace"))
        return prefix + "".join(out)


def transform(source: bytes, suffix: str) -> Transformed:
    grammar = GRAMMAR_BY_SUFFIX.get(suffix, "javascript")
    tree = tree_sitter.Parser(language(grammar)).parse(source)
    edits = _Edits(source)
    problems: list[str] = []
    exports: dict[str, str] = {}   # exported name -> expression giving its current value
    live: dict[str, str] = {}      # named import -> expression reading its current value
    esm = False
    if grammar != "javascript":
        _strip_types(tree.root_node, edits, problems)
    for statement in tree.root_node.named_children:
        if grammar != "javascript" and statement.type in ("import_statement", "export_statement") and \
                _type_only(statement):
            continue
        if statement.type == "import_statement":
            esm = True
            _import(statement, edits, live, len(edits.edits))
        elif statement.type == "export_statement":
            esm = True
            _export(statement, edits, exports)
    if live:
        _live_references(tree.root_node, source, live, edits)
    for node in _dynamic_imports(tree.root_node, source):
        edits.replace(node.start_byte, node.end_byte, "__import")
    if problems:
        raise UnsupportedSyntax("; ".join(problems))
    exports = {name: live.get(expr, expr) for name, expr in exports.items()}
    prefix = ""
    if esm:
        getters = "".join(f"Object.defineProperty(exports,{json.dumps(name)},{{enumerable:true,get:function(){{"
                          f"return {expr};}}}});" for name, expr in exports.items())
        prefix = 'Object.defineProperty(exports,"__esModule",{value:true});' + getters
    return Transformed(edits.apply(prefix), esm, problems)


def _strip_types(node: tree_sitter.Node, edits: _Edits, problems: list[str]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current.type
        if kind in UNSUPPORTED:
            problems.append(f"unsupported TypeScript construct '{UNSUPPORTED[kind]}' at line "
                            f"{current.start_point[0] + 1}")
            continue
        if kind in ERASE:
            edits.blank(current.start_byte, current.end_byte)
            continue
        if kind in ("import_statement", "export_statement") and _type_only(current):
            edits.blank(current.start_byte, current.end_byte)
            continue
        if kind in ("as_expression", "satisfies_expression") and current.named_children:
            inner = current.named_children[0]
            edits.blank(inner.end_byte, current.end_byte)
            stack.append(inner)
            continue
        if kind == "non_null_expression" and current.named_children:
            inner = current.named_children[0]
            edits.blank(inner.end_byte, current.end_byte)
            stack.append(inner)
            continue
        if kind == "type_assertion" and len(current.named_children) == 2:
            edits.blank(current.start_byte, current.named_children[1].start_byte)
            stack.append(current.named_children[1])
            continue
        if kind in ("required_parameter", "optional_parameter"):
            if any(c.type in ("accessibility_modifier", "readonly") for c in current.children):
                problems.append(f"unsupported TypeScript construct 'parameter property' at line "
                                f"{current.start_point[0] + 1}")
                continue
            for child in current.children:
                if child.type == "?":
                    edits.blank(child.start_byte, child.end_byte)
        if kind in ("public_field_definition", "property_signature", "class_declaration", "abstract_class_declaration"):
            for child in current.children:
                if child.type in ("?", "!", "readonly", "declare", "abstract"):
                    edits.blank(child.start_byte, child.end_byte)
            if kind == "public_field_definition" and any(c.type == "declare" for c in current.children):
                edits.blank(current.start_byte, current.end_byte)
                continue
        if kind == "method_definition":
            for child in current.children:
                if child.type in ("?", "abstract"):
                    edits.blank(child.start_byte, child.end_byte)
        stack.extend(current.children)


def _type_only(statement: tree_sitter.Node) -> bool:
    """`import type ...` / `export type ...` / `export interface ...`."""
    words = [c.type for c in statement.children[:2]]
    if "type" in words:
        return True
    declaration = statement.child_by_field_name("declaration")
    return declaration is not None and declaration.type in ("interface_declaration", "type_alias_declaration")


def _import(statement: tree_sitter.Node, edits: _Edits, live: dict[str, str], index: int) -> None:
    """`import` -> `require`. Named imports are ESM live bindings: each use of such a name is
    rewritten to read the exporting module's current value (``live``: local name -> expression)."""
    source = statement.child_by_field_name("source")
    if source is None or any(c.type == "type" for c in statement.children[:2]):
        return
    module = json.dumps(text(source)[1:-1])
    holder = f"__import{index}"
    parts = []
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                parts.append(f"const {text(part)} = __default(require({module}));")
            elif part.type == "namespace_import" and part.named_children:
                parts.append(f"const {text(part.named_children[0])} = require({module});")
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier" or any(c.type == "type" for c in spec.children):
                        continue
                    name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                    live[text(alias or name)] = f"{holder}.{text(name)}"
                if not parts or not parts[-1].startswith(f"const {holder} "):
                    parts.append(f"const {holder} = require({module});")
    edits.replace(statement.start_byte, statement.end_byte, " ".join(parts) or f"require({module});")


def _live_references(root: tree_sitter.Node, source: bytes, live: dict[str, str], edits: _Edits) -> None:
    """Rewrite uses of named imports (not shadowed by a local binding) to their live expression."""
    from auditor.facts.scopes import declaration_of, resolve

    for name, expression in live.items():
        nodes = []
        for match in re.finditer(rb"(?<![\w$.])" + re.escape(name).encode() + rb"(?![\w$])", source):
            node = root.named_descendant_for_byte_range(match.start(), match.end())
            if node is not None and (node.start_byte, node.end_byte) == match.span():
                nodes.append(node)
        declarations = [d for d in (declaration_of(n) for n in nodes if n.type == "identifier") if d is not None]

        def imported(node: tree_sitter.Node) -> bool:
            target = resolve(node, declarations)
            return target is None or target.kind == "import"

        for node in nodes:
            if node.type == "shorthand_property_identifier":
                if imported(node):
                    edits.replace(node.start_byte, node.end_byte, f"{name}: {expression}")
            elif node.type == "identifier" and declaration_of(node) is None and imported(node):
                if node.parent is not None and node.parent.type in ("import_specifier", "export_specifier"):
                    continue
                edits.replace(node.start_byte, node.end_byte, expression)


def _export(statement: tree_sitter.Node, edits: _Edits, exports: dict[str, str]) -> None:
    declaration = statement.child_by_field_name("declaration")
    value = statement.child_by_field_name("value")
    source = statement.child_by_field_name("source")
    is_default = any(c.type == "default" for c in statement.children)
    if declaration is not None:
        # `export` (and `default`) keywords out, the declaration stays
        edits.blank(statement.start_byte, declaration.start_byte)
        names = _declared_names(declaration)
        if is_default:
            if names:
                exports["default"] = names[0]
            else:
                edits.replace(statement.start_byte, declaration.start_byte, "exports.default = ")
        for name in names if not is_default else []:
            exports[name] = name
        return
    if value is not None:  # export default <expression>
        edits.replace(statement.start_byte, value.start_byte, "exports.default = ")
        return
    module = json.dumps(text(source)[1:-1]) if source is not None else None
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    if clause is None:  # export * from 'm'
        namespace = next((c for c in statement.named_children if c.type == "namespace_export"), None)
        if module is not None and namespace is not None and namespace.named_children:
            exports[text(namespace.named_children[-1])] = f"require({module})"
            edits.blank(statement.start_byte, statement.end_byte)
        elif module is not None:
            edits.replace(statement.start_byte, statement.end_byte, f"__exportStar(exports, require({module}));")
        return
    for spec in clause.named_children:
        if spec.type != "export_specifier" or any(c.type == "type" for c in spec.children):
            continue
        name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
        exported = text(alias or name)
        exports[exported] = f"require({module}).{text(name)}" if module is not None and text(name) != "default" \
            else (f"__default(require({module}))" if module is not None else text(name))
    edits.blank(statement.start_byte, statement.end_byte)


def _declared_names(declaration: tree_sitter.Node) -> list[str]:
    if declaration.type in ("function_declaration", "generator_function_declaration", "class_declaration",
                            "abstract_class_declaration"):
        name = declaration.child_by_field_name("name")
        return [text(name)] if name is not None else []
    names = []
    for declarator in declaration.named_children:
        name = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" else None
        if name is None:
            continue
        if name.type == "identifier":
            names.append(text(name))
        else:  # export const { a, b } = ...
            names += [text(n) for n in _pattern_identifiers(name)]
    return names


def _pattern_identifiers(pattern: tree_sitter.Node) -> list[tree_sitter.Node]:
    out, stack = [], [pattern]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            parent = node.parent
            if parent is not None and parent.type == "pair_pattern" and parent.child_by_field_name("key") == node:
                continue
            out.append(node)
        else:
            stack.extend(node.named_children)
    return out


def _dynamic_imports(root: tree_sitter.Node, source: bytes) -> list[tree_sitter.Node]:
    """The `import` callee of each `import(...)` call."""
    if b"import(" not in source.replace(b" ", b""):
        return []
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "import":
                found.append(fn)
        stack.extend(node.children)
    return found

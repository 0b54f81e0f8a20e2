"""ESM to CommonJS and TypeScript to JavaScript, written on tree-sitter trees.

The output keeps every line where it was: type syntax is replaced by spaces,
`import`/`export` statements by CommonJS code of the same line count, and
exports are published through getters prepended to the first line. Stack
traces and harness reports therefore still point at the app's own lines.

TypeScript constructs with run-time meaning are emitted as `tsc` emits them
(enums, namespaces, parameter properties, legacy decorators, `import x =
require()`, `export =`, `accessor` fields), each rewritten in place. Class
fields without an initializer are dropped, as `tsc` does without
`useDefineForClassFields`, so a subclass's type declaration never resets a
value its base constructor set. Imports whose names are only used as types
are elided, as `tsc` does. Where the grammar cannot parse a file, the first
failing line is reported in ``Transformed.problems`` (the output may still load).
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass, field
from typing import Callable

import tree_sitter

from auditor.parsing import GRAMMAR_BY_SUFFIX, language, text

# Nodes erased whole (replaced by spaces).
ERASE = {"type_annotation", "type_arguments", "type_parameters", "interface_declaration",
         "type_alias_declaration", "accessibility_modifier", "override_modifier", "implements_clause",
         "function_signature", "abstract_method_signature", "method_signature", "index_signature",
         "declare_statement", "ambient_declaration", "opting_type_annotation", "omitting_type_annotation",
         "asserts_annotation", "type_predicate_annotation"}
NAMESPACES = ("internal_module", "module")
# Declarations that make a namespace instantiated (tsc emits nothing for one holding only types).
TYPE_ONLY_STATEMENTS = {"interface_declaration", "type_alias_declaration", "ambient_declaration",
                        "function_signature", "declare_statement", "empty_statement"}
# tsc's helpers for legacy decorators, defined on the first line of a module that uses them.
DECORATE = ("var __tsDecorate = function (decorators, target, key, desc) { var c = arguments.length, "
            "r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d; "
            "for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) "
            "r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r; "
            "return c > 3 && r && Object.defineProperty(target, key, r), r; };"
            "var __tsParam = function (index, decorator) { return function (target, key) { "
            "decorator(target, key, index); }; };")


@dataclass
class Transformed:
    code: str
    esm: bool
    problems: list[str] = field(default_factory=list)   # where the grammar could not parse the file
    notes: list[str] = field(default_factory=list)      # what was left out (decorators with no class name)


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

    def insert(self, at: int, new: str) -> None:
        self.edits.append((at, at, new))

    def apply(self, prefix: str = "", start: int = 0, end: int | None = None) -> str:
        """The text with every edit made (between ``start`` and ``end``: only the edits inside)."""
        end = len(self.data) if end is None else end
        out, pos = [], start
        inside = (e for e in self.edits if start <= e[0] and e[1] <= end)
        # insertions at a position go before a replacement starting there; an edit nested in a
        # replaced region is already covered
        for at, until, new in sorted(inside, key=lambda e: (e[0], e[0] != e[1], -e[1])):
            if at < pos:
                continue
            out.append(self.data[pos:at].decode("utf-8", "replace"))
            out.append(new)
            pos = until
        out.append(self.data[pos:end].decode("utf-8", "replace"))
        return prefix + "".join(out)


@dataclass
class _Decoration:
    """The `__tsDecorate` calls of one class, written after it once imports are rewritten."""
    name: str
    members: list[tuple[list[tuple[int, int] | str], str, str]] = field(default_factory=list)
    own: list[tuple[int, int] | str] = field(default_factory=list)


def transform(source: bytes, suffix: str) -> Transformed:
    grammar = GRAMMAR_BY_SUFFIX.get(suffix, "javascript")
    parser = tree_sitter.Parser(language(grammar))
    tree = parser.parse(source)
    if tree.root_node.has_error and grammar != "javascript":
        source, tree = _repaired(source, tree, parser)
    edits = _Edits(source)
    exports: dict[str, str] = {}   # exported name -> expression giving its current value
    live: dict[str, str] = {}      # named import -> expression reading its current value
    imports: list[tuple[tree_sitter.Node, list[tuple[str | None, str]]]] = []
    esm = False
    jsx_names: set[str] = set()
    typescript = grammar != "javascript"
    typescript_pass = _TypeScript(edits)
    if typescript:
        typescript_pass.walk(tree.root_node)
    for statement in tree.root_node.named_children:
        if typescript and statement.type in ("import_statement", "export_statement") and _type_only(statement):
            continue
        if statement.type == "import_statement":
            if any(c.type == "import_require_clause" for c in statement.named_children):
                continue  # `import x = require()`: already CommonJS
            esm = True
            imports.append((statement, _import(statement, live, len(imports))))
        elif statement.type == "export_statement":
            esm = _export(statement, edits, exports) or esm
    if grammar != "typescript" and (b"/>" in source or b"</" in source):
        jsx = _Jsx(edits, source, live)
        if jsx.compile(tree.root_node, grammar):  # the factory's module counts as used, as tsc counts it
            jsx_names = {jsx.factory.split(".")[0], jsx.fragment.split(".")[0]}
    used = _live_references(tree.root_node, source, live, {name for _, parts in imports for name, _ in parts
                                                           if name is not None and name not in live}, edits)
    used |= jsx_names
    for statement, parts in imports:
        # tsc elides an import none of whose names is used as a value
        kept = [code for name, code in parts if not typescript or name is None or name in used]
        module = json.dumps(text(statement.child_by_field_name("source"))[1:-1])
        if kept or not parts:
            edits.replace(statement.start_byte, statement.end_byte, " ".join(dict.fromkeys(kept)) or
                          f"require({module});")
        else:
            edits.blank(statement.start_byte, statement.end_byte)
    for node in _dynamic_imports(tree.root_node, source):
        edits.replace(node.start_byte, node.end_byte, "__import")
    for at, make in typescript_pass.later:  # code made of source text, once imports are rewritten
        edits.insert(at, make())
    exports = {name: live.get(expr, expr) for name, expr in exports.items()}
    prefix = DECORATE if typescript_pass.decorated else ""
    if esm:
        getters = "".join(f"Object.defineProperty(exports,{json.dumps(name)},{{enumerable:true,get:function(){{"
                          f"return {expr};}}}});" for name, expr in exports.items())
        prefix += 'Object.defineProperty(exports,"__esModule",{value:true});' + getters
    return Transformed(edits.apply(prefix), esm, _parse_errors(tree.root_node, source), typescript_pass.notes)


class _Jsx:
    """JSX as the classic runtime compiles it: `F(type, props, ...children)`, each token edited in place
    (so imported tag names are still rewritten, and lines stay). ``F`` is the file's `@jsx` pragma,
    else `React.createElement`."""

    TEXT = ("jsx_text", "html_character_reference")

    def __init__(self, edits: _Edits, source: bytes, live: dict[str, str]):
        pragma = re.search(rb"@jsx\s+([\w$.]+)", source)
        fragment = re.search(rb"@jsxFrag\s+([\w$.]+)", source)
        self.factory = pragma.group(1).decode() if pragma else "React.createElement"
        self.fragment = fragment.group(1).decode() if fragment else "React.Fragment"
        self.edits = edits
        self.live = live

    def named(self, path: str) -> str:
        """``path`` with its first name read through its import, when it is a named import."""
        head, dot, rest = path.partition(".")
        return self.live.get(head, head) + dot + rest

    def compile(self, root: tree_sitter.Node, grammar: str) -> bool:
        """Compile every element (found by a query: no walk over a large bundle); whether there was any."""
        captures = tree_sitter.QueryCursor(_jsx_query(grammar)).captures(root)
        for node in captures.get("element", []):
            self.element(node)
        for node in captures.get("closed", []):
            self.tag(node, closes=True)
        for node in captures.get("expression", []):
            self.braces(node)
        return bool(captures.get("element") or captures.get("closed"))

    def element(self, node: tree_sitter.Node) -> None:
        opening, closing = node.child_by_field_name("open_tag"), node.child_by_field_name("close_tag")
        self.tag(opening, closes=False)
        run: list[tree_sitter.Node] = []
        for child in node.children + [None]:
            if child is not None and child.type in self.TEXT:
                run.append(child)
                continue
            if run:
                self.text(run)
                run = []
            if child is None or child in (opening, closing) or not child.is_named:
                continue
            if child.type == "jsx_expression" and not [c for c in child.named_children if c.type != "comment"]:
                self.edits.blank(child.start_byte, child.end_byte)  # `{/* comment */}`: no child
                continue
            self.edits.insert(child.start_byte, ", ")
        if closing is not None:
            self.edits.replace(closing.start_byte, closing.end_byte, ")")

    def tag(self, node: tree_sitter.Node, closes: bool) -> None:
        name = node.child_by_field_name("name")
        attributes = [c for c in node.named_children if c.type in ("jsx_attribute", "jsx_expression")]
        opener = node.children[0]
        if name is None:
            self.edits.replace(opener.start_byte, opener.end_byte, f"{self.named(self.factory)}({self.named(self.fragment)}")
            last = opener
        else:
            self.edits.replace(opener.start_byte, opener.end_byte, f"{self.named(self.factory)}(")
            if name.type in ("jsx_namespace_name",) or (name.type == "identifier" and
                                                        re.match(r"[a-z]|.*-", text(name))):
                self.edits.replace(name.start_byte, name.end_byte, json.dumps(text(name)))
            last = name
        self.edits.insert(last.end_byte, ", {" if attributes else ", null")
        for attribute in attributes:
            if attribute.type == "jsx_attribute":
                key = attribute.named_children[0]
                if not re.fullmatch(r"[A-Za-z_$][\w$]*", text(key)):
                    self.edits.replace(key.start_byte, key.end_byte, json.dumps(text(key)))
                equals = next((c for c in attribute.children if c.type == "="), None)
                if equals is None:
                    self.edits.insert(key.end_byte, ": true")
                else:
                    self.edits.replace(equals.start_byte, equals.end_byte, ":")
            self.edits.insert(attribute.end_byte, ",")
            last = attribute
        end = "})" if closes and attributes else ")" if closes else "}" if attributes else ""
        self.edits.replace(last.end_byte, node.end_byte, end)

    def braces(self, node: tree_sitter.Node) -> None:
        """`{expression}` (a child, an attribute value or a spread): the braces go."""
        first, last = node.children[0], node.children[-1]
        if first.type == "{" and last.type == "}" and node.parent is not None and \
                node.parent.type in ("jsx_element", "jsx_attribute", "jsx_opening_element",
                                     "jsx_self_closing_element"):
            self.edits.blank(first.start_byte, first.end_byte)
            self.edits.blank(last.start_byte, last.end_byte)

    def text(self, run: list[tree_sitter.Node]) -> None:
        """A text child, its whitespace folded as JSX folds it."""
        raw = self.edits.data[run[0].start_byte:run[-1].end_byte].decode("utf-8", "replace")
        lines = re.split(r"\r\n|\n|\r", raw)
        kept = []
        for index, line in enumerate(lines):
            line = line.replace("\t", " ")
            line = line.lstrip(" ") if index else line
            line = line.rstrip(" ") if index < len(lines) - 1 else line
            if line:
                kept.append(line)
        folded = html.unescape(" ".join(kept))
        if folded:
            self.edits.replace(run[0].start_byte, run[-1].end_byte, ", " + json.dumps(folded))
        else:
            self.edits.blank(run[0].start_byte, run[-1].end_byte)


@functools.cache
def _jsx_query(grammar: str) -> tree_sitter.Query:
    return tree_sitter.Query(language(grammar), "(jsx_element) @element (jsx_self_closing_element) @closed "
                                                "(jsx_expression) @expression")


def _parse_errors(root: tree_sitter.Node, source: bytes) -> list[str]:
    """Where the grammar failed: the first error, with its line and text."""
    if not root.has_error:
        return []
    node = first_error(root)
    snippet = source[node.start_byte:node.end_byte].decode("utf-8", "replace").split("\n")[0][:40]
    what = f"missing '{node.type}'" if node.is_missing else f"unexpected '{snippet}'"
    return [f"syntax the grammar does not parse at line {node.start_point[0] + 1}: {what}"]


# Valid TypeScript the grammar does not parse, with a same-length rewrite it does parse (the rewritten
# text is type syntax, erased anyway): a generic call signature starting a line after another member
# with no `;` between; variance annotations (`<in out T>`); `in` as an interface property's name.
REPAIRS = [
    (re.compile(rb"(?m)^([ \t]*)[ \t](?=<[^/!])"), lambda m: m.group(1) + b";"),
    (re.compile(rb"(?<=[<,])(\s*)(in\s+out|in|out)(\s+)(?=[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b))"),
     lambda m: m.group(1) + b" " * len(m.group(2)) + m.group(3)),
    (re.compile(rb"(?m)^([ \t]*)in(?=\??:)"), lambda m: m.group(1) + b"$n"),
]


def _repaired(source: bytes, tree: tree_sitter.Tree, parser: tree_sitter.Parser) -> tuple[bytes, tree_sitter.Tree]:
    """Rewrite, near each first error in turn, what the grammar is known not to parse, keeping each rewrite
    that moves the first error further (or removes it). Offsets and lines are unchanged."""
    tries = 256  # reparses, so that a large file with an error the rewrites cannot help costs little
    while tree.root_node.has_error and tries > 0:
        failed = first_error(tree.root_node).start_point[0]
        lines = source.split(b"\n")
        start = sum(len(line) + 1 for line in lines[:max(0, failed - 1)])
        end = start + sum(len(line) + 1 for line in lines[max(0, failed - 1):failed + 40])
        better = None
        for pattern, rewrite in REPAIRS:
            for match in pattern.finditer(source, start, end):
                tries -= 1
                candidate = source[:match.start()] + rewrite(match) + source[match.end():]
                reparsed = parser.parse(candidate)
                if not reparsed.root_node.has_error or \
                        first_error(reparsed.root_node).start_byte > first_error(tree.root_node).start_byte:
                    better = candidate, reparsed
                    break
            if better or tries <= 0:
                break
        if better is None:
            break
        source, tree = better
    return source, tree


def first_error(root: tree_sitter.Node) -> tree_sitter.Node:
    """The innermost ERROR (or missing) node on the path of first errors (the root itself may be an ERROR
    when nothing parsed as a program)."""
    node = root
    while True:
        child = next((c for c in node.children if c.has_error or c.is_missing or c.type == "ERROR"), None)
        if child is None or (node.type == "ERROR" and node is not root) or node.is_missing:
            return node
        node = child


class _TypeScript:
    """Erases types and emits the TypeScript constructs that have run-time meaning, in place."""

    def __init__(self, edits: _Edits):
        self.edits = edits
        self.later: list[tuple[int, Callable[[], str]]] = []   # insertions made after imports are rewritten
        self.decorated = False
        self.notes: list[str] = []
        # instance field initializers run after parameter properties, as tsc orders them: constructor
        # -> [(`this` member, initializer)], and the fields moved
        self.initializers: dict[int, list[tuple[str, tree_sitter.Node]]] = {}
        self.moved: set[int] = set()

    def walk(self, root: tree_sitter.Node) -> None:
        stack = [root]
        while stack:
            stack.extend(reversed(self.visit(stack.pop())))

    def visit(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """Edit ``node``; return the children still to visit."""
        kind, edits = node.type, self.edits
        if kind in ERASE:
            edits.blank(node.start_byte, node.end_byte)
            return []
        if kind in ("import_statement", "export_statement") and _type_only(node):
            edits.blank(node.start_byte, node.end_byte)
            return []
        if kind in ("as_expression", "satisfies_expression", "non_null_expression") and node.named_children:
            inner = node.named_children[0]
            edits.blank(inner.end_byte, node.end_byte)
            return [inner]
        if kind == "type_assertion" and len(node.named_children) == 2:
            edits.blank(node.start_byte, node.named_children[1].start_byte)
            return [node.named_children[1]]
        if kind == "enum_declaration":
            self.enum(node)
            return [node.child_by_field_name("body")]
        if kind in NAMESPACES:
            return self.namespace(node)
        if kind == "import_statement" and node.named_children and node.named_children[0].type == "import_require_clause":
            clause = node.named_children[0]
            edits.replace(node.start_byte, clause.named_children[0].start_byte, "const ")
            edits.replace(clause.named_children[0].end_byte, clause.end_byte,
                          f" = require({text(clause.child_by_field_name('source'))})")
            return []
        if kind == "import_alias":  # `import A = N.M` -> `var A = N.M`
            edits.replace(node.start_byte, node.named_children[0].start_byte, "var ")
            return node.named_children[1:]
        if kind == "export_statement" and node.child_by_field_name("declaration") is None and \
                any(c.type == "=" for c in node.children):  # `export = x`
            value = node.named_children[-1]
            edits.replace(node.start_byte, value.start_byte, "module.exports = ")
            return [value]
        if kind in ("required_parameter", "optional_parameter"):
            return self.parameter(node)
        if kind == "arrow_function":
            self.arrow(node)
        if kind == "meta_property" and text(node) == "import.meta":  # not valid in a CommonJS module
            edits.replace(node.start_byte, node.end_byte, '({ url: "file://" + __filename })')
            return []
        if kind == "variable_declarator":
            self.blank_tokens(node, ("!",))
        if kind in ("class_declaration", "abstract_class_declaration", "class"):
            self.blank_tokens(node, ("abstract", "declare"))
            self.decorate(node)
            self.move_initializers(node)
        if kind == "public_field_definition":
            return self.field(node)
        if kind == "method_definition":
            self.blank_tokens(node, ("?", "abstract", "readonly"))
            if text(node.child_by_field_name("name")) == "constructor":
                self.parameter_properties(node)
        if kind == "decorator":
            return []  # written after the class by `decorate`
        return node.children

    def blank_tokens(self, node: tree_sitter.Node, tokens: tuple[str, ...]) -> None:
        for child in node.children:
            if child.type in tokens:
                self.edits.blank(child.start_byte, child.end_byte)

    def arrow(self, node: tree_sitter.Node) -> None:
        """A return type spanning lines: `=>` moves up to the parameters' line (no line break may
        stand before `=>`)."""
        returns = node.child_by_field_name("return_type")
        arrow = next((c for c in node.children if c.type == "=>"), None)
        if returns is not None and arrow is not None and b"\n" in self.edits.data[returns.start_byte:arrow.start_byte]:
            self.edits.replace(returns.start_byte, arrow.end_byte, "=>")

    def parameter(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        pattern = node.child_by_field_name("pattern")
        if pattern is not None and pattern.type == "this":  # `this: T`: no run-time parameter
            after = node.next_sibling
            end = after.end_byte if after is not None and after.type == "," else node.end_byte
            self.edits.blank(node.start_byte, end)
            return []
        self.blank_tokens(node, ("?", "readonly"))
        return [c for c in node.children if c.type != "decorator"]

    def move_initializers(self, cls: tree_sitter.Node) -> None:
        body = cls.child_by_field_name("body")
        members = body.named_children if body is not None else []
        constructor = next((m for m in members if m.type == "method_definition" and
                            text(m.child_by_field_name("name")) == "constructor"), None)
        if constructor is None or not _parameter_properties(constructor):
            return
        moved = []
        for member in members:
            name, value = member.child_by_field_name("name"), member.child_by_field_name("value")
            words = {c.type for c in member.children}
            if member.type != "public_field_definition" or value is None or words & {"static", "accessor",
                                                                                     "declare", "abstract"}:
                continue
            if name.type in ("property_identifier", "private_property_identifier"):
                moved.append((f".{text(name)}", value))
            elif name.type == "string":
                moved.append((f"[{text(name)}]", value))
            else:
                continue
            self.moved.add(member.id)
        self.initializers[constructor.id] = moved

    def field(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        words = {c.type for c in node.children}
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if node.id in self.moved:  # assigned in the constructor; a private name stays declared here
            declared = f"{text(name)};" if name.type == "private_property_identifier" else ""
            self.edits.replace(node.start_byte, node.end_byte, declared)
            for comment in _comments(value):
                self.edits.blank(comment.start_byte, comment.end_byte)
            return [value]
        if "declare" in words or "abstract" in words or (value is None and name is not None and
                                                        name.type != "private_property_identifier"):
            # no run-time field (tsc without useDefineForClassFields); its decorators still apply
            self.edits.blank(node.start_byte, node.end_byte)
            return []
        self.blank_tokens(node, ("?", "!", "readonly", "declare"))
        accessor = next((c for c in node.children if c.type == "accessor"), None)
        if accessor is not None and name is not None and name.type == "property_identifier":
            storage = f"#{text(name)}_accessor_storage"
            static = "static " if "static" in words else ""
            self.edits.blank(accessor.start_byte, accessor.end_byte)
            self.edits.replace(name.start_byte, name.end_byte, storage)
            self.edits.insert(node.end_byte, f"; {static}get {text(name)}() {{ return this.{storage}; }} "
                                             f"{static}set {text(name)}(v) {{ this.{storage} = v; }}")
        return [c for c in node.children if c.type != "decorator"]

    def parameter_properties(self, constructor: tree_sitter.Node) -> None:
        """`constructor(private readonly a: A)`: assign `this.a = a` where tsc does (after `super()`),
        then the instance fields' initializers."""
        names = _parameter_properties(constructor)
        body = constructor.child_by_field_name("body")
        if not names or body is None:
            return
        assign = " ".join(f"this.{n} = {n};" for n in names)
        at = body.start_byte + 1
        for statement in body.named_children:
            call = statement.named_children[0] if statement.type == "expression_statement" and \
                statement.named_children else None
            if call is not None and call.type == "call_expression" and call.child_by_field_name("function") is not None \
                    and call.child_by_field_name("function").type == "super":
                at = statement.end_byte
                break
        moved = self.initializers.get(constructor.id, [])
        self.later.append((at, lambda: "; " + assign + "".join(
            f" this{member} = {_rendered(self.edits, value)};" for member, value in moved)))

    def enum(self, node: tree_sitter.Node) -> None:
        """`enum E { A, B = 'b' }` as tsc emits it: an object with reverse mappings for numbers."""
        name, body = text(node.child_by_field_name("name")), node.child_by_field_name("body")
        self.edits.replace(node.start_byte, body.start_byte + 1,
                           f"{self.var(node, name)}(function ({name}) {{")
        members: set[str] = set()
        previous: str | None = None   # the last member's value, to number the next
        for member in body.named_children:
            if member.type == "comment":
                continue
            key_node = member.child_by_field_name("name") if member.type == "enum_assignment" else member
            key = text(key_node)[1:-1] if key_node.type == "string" else text(key_node)
            value = member.child_by_field_name("value") if member.type == "enum_assignment" else None
            if value is not None:
                for ref in _identifiers(value):
                    if text(ref) in members and declared_member(ref):
                        self.edits.replace(ref.start_byte, ref.end_byte, f"{name}[{json.dumps(text(ref))}]")
                self.edits.replace(member.start_byte, value.start_byte, f"{name}[{json.dumps(key)}] = ")
                if value.type in ("string", "template_string"):
                    self.edits.insert(value.end_byte, ";")
                    previous = None
                else:
                    self.edits.insert(member.start_byte, f"{name}[")
                    self.edits.insert(value.end_byte, f"] = {json.dumps(key)};")
                    previous = text(value) if value.type == "number" else f"{name}[{json.dumps(key)}]"
            else:
                number = _next_number(previous)
                self.edits.replace(member.start_byte, member.end_byte,
                                   f"{name}[{name}[{json.dumps(key)}] = {number}] = {json.dumps(key)};")
                previous = number
            members.add(key)
            after = member.next_sibling
            if after is not None and after.type == ",":
                self.edits.blank(after.start_byte, after.end_byte)
        self.edits.replace(body.end_byte - 1, body.end_byte, f"}})({self.binding(node, name)});")

    def namespace(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        """`namespace A.B { export const x = 1 }` as tsc emits it: nested functions filling objects."""
        body = node.child_by_field_name("body")
        if body is None or not _instantiated(body):
            self.edits.blank(node.start_byte, node.end_byte)
            return []
        names = [text(n) for n in _identifiers(node.child_by_field_name("name"))] or \
            [text(node.child_by_field_name("name"))]
        opening = self.var(node, names[0]) + f"(function ({names[0]}) {{ "
        for outer, inner in zip(names, names[1:]):
            opening += f"let {inner}; (function ({inner}) {{ "
        closing = ""
        for outer, inner in reversed(list(zip(names, names[1:]))):
            closing += f"}})({inner} = {outer}.{inner} || ({outer}.{inner} = {{}})); "
        closing += f"}})({self.binding(node, names[0])});"
        self.edits.replace(node.start_byte, body.start_byte + 1, opening)
        self.edits.replace(body.end_byte - 1, body.end_byte, closing)
        for statement in body.named_children:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" else None
            if declaration is None or _type_only(statement):
                continue
            self.edits.blank(statement.start_byte, declaration.start_byte)
            if declaration.type in NAMESPACES or declaration.type == "enum_declaration":
                continue  # bound to the namespace by their own emit
            self.edits.insert(statement.end_byte, " " + " ".join(
                f"{names[-1]}.{n} = {n};" for n in _declared_names(declaration)))
        return [body]

    def var(self, node: tree_sitter.Node, name: str) -> str:
        """`var name; ` unless a class of that name already holds it (declaration merging)."""
        scope = node.parent
        while scope is not None and scope.type not in ("program", "statement_block"):
            scope = scope.parent
        for statement in scope.named_children if scope is not None else []:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                else statement
            if declaration is not None and declaration.type in ("class_declaration", "abstract_class_declaration",
                                                                "function_declaration") and \
                    text(declaration.child_by_field_name("name")) == name:
                return ""
        return f"var {name}; "

    def binding(self, node: tree_sitter.Node, name: str) -> str:
        """The object an enum or namespace fills: its own, or its parent namespace's member when exported."""
        parent = node.parent
        while parent is not None and parent.type == "expression_statement":
            parent = parent.parent
        if parent is not None and parent.type == "export_statement" and parent.parent is not None and \
                parent.parent.type == "statement_block" and parent.parent.parent is not None and \
                parent.parent.parent.type in NAMESPACES:
            owner = [text(n) for n in _identifiers(parent.parent.parent.child_by_field_name("name"))][-1]
            return f"{name} = {owner}.{name} || ({owner}.{name} = {{}})"
        return f"{name} || ({name} = {{}})"

    def decorate(self, cls: tree_sitter.Node) -> None:
        """Legacy decorators: blanked where they stand, applied after the class as tsc applies them."""
        name_node = cls.child_by_field_name("name")
        body = cls.child_by_field_name("body")
        own = [c for c in cls.children if c.type == "decorator"]
        if cls.parent is not None and cls.parent.type == "export_statement":
            own += [c for c in cls.parent.children if c.type == "decorator"]
        members, pending = [], []
        for member in body.children if body is not None else []:
            if member.type == "decorator":
                pending.append(member)
                continue
            if member.type == "comment" or not member.is_named:
                continue
            found = pending + [c for c in member.children if c.type == "decorator"]
            pending = []
            parameters = member.child_by_field_name("parameters")
            params = _parameter_decorators(parameters) if parameters is not None else []
            key = member.child_by_field_name("name")
            if key is not None and text(key) == "constructor" and member.type == "method_definition":
                own = own + params  # constructor parameter decorators decorate the class
                continue
            if not found and not params or key is None:
                continue
            prop = text(key)[1:-1] if key.type == "computed_property_name" else json.dumps(
                text(key)[1:-1] if key.type == "string" else text(key))
            target = "static" if any(c.type == "static" for c in member.children) else "prototype"
            desc = "null" if member.type == "method_definition" else "void 0"
            members.append((found + params, f"{target}|{prop}", desc))
        if not own and not members:
            return
        for item in own + [d for found, _, _ in members for d in found]:
            node = item[1] if isinstance(item, tuple) else item
            self.edits.blank(node.start_byte, node.end_byte)
        if name_node is None:  # nothing names the class to decorate it after its body: ignored, and said
            self.notes.append(f"decorators of the anonymous class at line {cls.start_point[0] + 1} were ignored")
            return
        for comment in (c for item in own + [d for f, _, _ in members for d in f]
                        for c in _comments(item[1] if isinstance(item, tuple) else item)):
            self.edits.blank(comment.start_byte, comment.end_byte)
        at = cls.parent.end_byte if cls.parent is not None and cls.parent.type == "export_statement" else cls.end_byte
        decoration = _Decoration(text(name_node), members, own)
        self.later.append((at, lambda: _decorate(decoration, self.edits)))
        self.decorated = True


def declared_member(ref: tree_sitter.Node) -> bool:
    """An identifier in an enum initializer that is a plain reference (not a property name)."""
    parent = ref.parent
    return not (parent is not None and parent.type == "member_expression" and
                parent.child_by_field_name("property") == ref)


def _decorate(decoration: _Decoration, edits: _Edits) -> str:
    def expression(item) -> str:
        if isinstance(item, tuple):
            index, node = item
            return f"__tsParam({index}, {expression(node)})"
        inner = item.named_children[-1]
        return _rendered(edits, inner)

    name = decoration.name
    out = ""
    for found, key, desc in decoration.members:
        target, prop = key.split("|", 1)
        holder = name if target == "static" else f"{name}.prototype"
        out += f" __tsDecorate([{', '.join(expression(d) for d in found)}], {holder}, {prop}, {desc});"
    if decoration.own:
        out += f" {name} = __tsDecorate([{', '.join(expression(d) for d in decoration.own)}], {name});"
    return out


def _rendered(edits: _Edits, node: tree_sitter.Node) -> str:
    """A node's text with its edits made, on one line (its comments are blanked by the caller)."""
    return re.sub(r"[ \t]*\n\s*", " ", edits.apply(start=node.start_byte, end=node.end_byte))


def _parameter_properties(constructor: tree_sitter.Node) -> list[str]:
    names = []
    for parameter in constructor.child_by_field_name("parameters").named_children:
        if any(c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in parameter.children):
            pattern = parameter.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier":
                names.append(text(pattern))
    return names


def _parameter_decorators(parameters: tree_sitter.Node) -> list[tuple[int, tree_sitter.Node]]:
    out = []
    for index, parameter in enumerate(p for p in parameters.named_children if p.type != "comment"):
        out += [(index, c) for c in parameter.children if c.type == "decorator"]
    return out


def _comments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            out.append(current)
        stack.extend(current.children)
    return out


def _identifiers(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "property_identifier") and \
                (current.parent is None or current.parent.type in ("nested_identifier",) or current.type == "identifier"):
            out.append(current)
        stack.extend(reversed(current.children))
    return out


def _next_number(previous: str | None) -> str:
    if previous is None:
        return "0"
    try:
        number = int(previous, 0) if re.fullmatch(r"0[xXoObB][0-9a-fA-F_]+|\d+", previous) else float(previous)
    except ValueError:
        return f"{previous} + 1"
    value = number + 1
    return str(int(value)) if float(value).is_integer() else str(value)


def _instantiated(body: tree_sitter.Node) -> bool:
    """Whether a namespace body declares anything that exists at run time."""
    for statement in body.named_children:
        inner = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if statement.type == "export_statement" and _type_only(statement):
            continue
        if inner is None or inner.type in TYPE_ONLY_STATEMENTS or inner.type == "comment":
            continue
        if inner.type == "expression_statement" and inner.named_children and \
                inner.named_children[0].type in NAMESPACES:
            inner = inner.named_children[0]
        if inner.type in NAMESPACES:
            nested = inner.child_by_field_name("body")
            if nested is None or not _instantiated(nested):
                continue
        return True
    return False


def _type_only(statement: tree_sitter.Node) -> bool:
    """`import type ...` / `export type ...` / `export interface ...` / `export declare ...`."""
    words = [c.type for c in statement.children[:2]]
    if "type" in words:
        return True
    declaration = statement.child_by_field_name("declaration")
    return declaration is not None and declaration.type in TYPE_ONLY_STATEMENTS


def _import(statement: tree_sitter.Node, live: dict[str, str], index: int) -> list[tuple[str | None, str]]:
    """`import` -> `require`, as (local name, code) parts. Named imports are ESM live bindings: each
    use of such a name is rewritten to read the exporting module's current value (``live``: local
    name -> expression)."""
    source = statement.child_by_field_name("source")
    if source is None or any(c.type == "type" for c in statement.children[:2]):
        return []
    module = json.dumps(text(source)[1:-1])
    holder = f"__import{index}"
    parts: list[tuple[str | None, str]] = []
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        parts.append((None, "")) if not clause.named_children else None
        for part in clause.named_children:
            if part.type == "identifier":
                parts.append((text(part), f"const {text(part)} = __default(require({module}));"))
            elif part.type == "namespace_import" and part.named_children:
                name = text(part.named_children[0])
                parts.append((name, f"const {name} = require({module});"))
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier" or any(c.type == "type" for c in spec.children):
                        continue
                    name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                    live[text(alias or name)] = f"{holder}.{text(name)}"
                    parts.append((text(alias or name), f"const {holder} = require({module});"))
                if not part.named_children:
                    parts.append((None, ""))
    return [(name, code) for name, code in parts if code or name]


def _live_references(root: tree_sitter.Node, source: bytes, live: dict[str, str], others: set[str],
                     edits: _Edits) -> set[str]:
    """Rewrite uses of named imports (not shadowed by a local binding) to their live expression;
    return the imported names (those of ``live`` and ``others``) used as values."""
    from auditor.facts.scopes import declaration_of, resolve

    used = set()
    for name in list(live) + sorted(others):
        expression = live.get(name)
        nodes = []
        for match in re.finditer(rb"(?<![\w$])" + re.escape(name).encode() + rb"(?![\w$])", source):
            node = root.named_descendant_for_byte_range(match.start(), match.end())
            if node is not None and (node.start_byte, node.end_byte) == match.span() and \
                    node.type in ("identifier", "shorthand_property_identifier") and not _in_type(node):
                nodes.append(node)
        declarations = [d for d in (declaration_of(n) for n in nodes if n.type == "identifier") if d is not None]

        def imported(node: tree_sitter.Node) -> bool:
            target = resolve(node, declarations)
            return target is None or target.kind == "import"

        for node in nodes:
            if node.type == "shorthand_property_identifier":
                if imported(node):
                    used.add(name)
                    if expression is not None:
                        edits.replace(node.start_byte, node.end_byte, f"{name}: {expression}")
            elif declaration_of(node) is None and imported(node):
                if node.parent is not None and node.parent.type in ("import_specifier", "import_clause",
                                                                    "namespace_import"):
                    continue
                used.add(name)
                if expression is not None and (node.parent is None or node.parent.type != "export_specifier"):
                    edits.replace(node.start_byte, node.end_byte, expression)
    return used


def _in_type(node: tree_sitter.Node) -> bool:
    """Whether an identifier stands in type syntax (erased), like `typeof x` in an annotation."""
    current = node.parent
    while current is not None and current.type not in ("program", "statement_block", "class_body"):
        if current.type in ERASE or current.type in ("type_query", "nested_type_identifier", "generic_type"):
            return True
        current = current.parent
    return False


def _export(statement: tree_sitter.Node, edits: _Edits, exports: dict[str, str]) -> bool:
    """`export` -> the names published by getters (``exports``); whether the statement is ESM."""
    declaration = statement.child_by_field_name("declaration")
    value = statement.child_by_field_name("value")
    source = statement.child_by_field_name("source")
    is_default = any(c.type == "default" for c in statement.children)
    if declaration is None and value is None and any(c.type == "=" for c in statement.children):
        return False  # `export = x`: CommonJS, written by the TypeScript pass
    if declaration is not None:
        # `export` (and `default`) keywords out, the declaration stays
        start = next((c.start_byte for c in statement.children if c.type == "export"), statement.start_byte)
        edits.blank(start, declaration.start_byte)
        names = _declared_names(declaration)
        if is_default:
            if names:
                exports["default"] = names[0]
            else:
                edits.replace(start, declaration.start_byte, "exports.default = ")
        for name in names if not is_default else []:
            exports[name] = name
        return True
    if value is not None:  # export default <expression>
        edits.replace(statement.start_byte, value.start_byte, "exports.default = ")
        return True
    module = json.dumps(text(source)[1:-1]) if source is not None else None
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    if clause is None:  # export * from 'm'
        namespace = next((c for c in statement.named_children if c.type == "namespace_export"), None)
        if module is not None and namespace is not None and namespace.named_children:
            exports[text(namespace.named_children[-1])] = f"require({module})"
            edits.blank(statement.start_byte, statement.end_byte)
        elif module is not None:
            edits.replace(statement.start_byte, statement.end_byte, f"__exportStar(exports, require({module}));")
        return True
    for spec in clause.named_children:
        if spec.type != "export_specifier" or any(c.type == "type" for c in spec.children):
            continue
        name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
        exported = text(alias or name)
        exports[exported] = f"require({module}).{text(name)}" if module is not None and text(name) != "default" \
            else (f"__default(require({module}))" if module is not None else text(name))
    edits.blank(statement.start_byte, statement.end_byte)
    return True


def _declared_names(declaration: tree_sitter.Node) -> list[str]:
    if declaration.type in ("function_declaration", "generator_function_declaration", "class_declaration",
                            "abstract_class_declaration", "enum_declaration") + NAMESPACES:
        name = declaration.child_by_field_name("name")
        if name is not None and name.type == "nested_identifier":
            name = _identifiers(name)[0]
        return [text(name)] if name is not None else []
    if declaration.type == "import_alias":
        return [text(declaration.named_children[0])]
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

"""Exports of modules inside a bundle: what a pre-built handler file (``dist/index.js``) exports by name.

webpack: each module is a factory in ``__webpack_modules__`` keyed by its id (``"./src/calc.js"``), exporting
through a getter table ``__webpack_require__.d(__webpack_exports__, { name: () => (value) })``; the bundle
exports the module it loads as ``var __webpack_exports__ = __webpack_require__("./src/index.js")``. esbuild:
``module.exports = __toCommonJS(main_exports)`` with the getter table ``__export(main_exports, { name: () =>
value })``. Found by byte search, like every name lookup: a bundle is too big to walk.
"""

from __future__ import annotations

import re

import tree_sitter

from auditor.facts.bindings import callee_name, string_value, unwrap
from auditor.facts.scopes import FUNCTIONS, declaring
from auditor.parsing import ParsedFile, text


def webpack_factory(parsed: ParsedFile, module_id: str) -> tree_sitter.Node | None:
    """The factory function of the webpack module ``module_id``."""
    for occurrence in parsed.occurrences(f"([\"']){re.escape(module_id)}\\1"):
        pair = occurrence.parent
        factory = unwrap(pair.child_by_field_name("value")) if pair is not None and pair.type == "pair" else None
        if factory is not None and factory.type in FUNCTIONS:
            return factory
    return None


def webpack_export(parsed: ParsedFile, factory: tree_sitter.Node, key: str) -> tree_sitter.Node | None:
    """What the factory's getter table returns for ``key``."""
    for exports in parsed.occurrences("__webpack_exports__"):
        call = exports.parent.parent if exports.parent is not None else None
        if call is None or call.type != "call_expression" or \
                not factory.start_byte <= call.start_byte < factory.end_byte or \
                callee_name(call.child_by_field_name("function")) != "d":
            continue
        table = [a for a in exports.parent.named_children if a.type != "comment"][-1]
        return _getter(table, key) if table.type == "object" else None
    return None


def required_id(node: tree_sitter.Node | None) -> str | None:
    """``"./src/calc.js"`` for ``__webpack_require__("./src/calc.js")``."""
    node = unwrap(node) if node is not None else None
    if node is None or node.type != "call_expression" or \
            text(node.child_by_field_name("function")) != "__webpack_require__":
        return None
    args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
    return string_value(args[0]) if len(args) == 1 and args[0].type == "string" else None


def webpack_bundle_export(parsed: ParsedFile, key: str) -> tree_sitter.Node | None:
    """The function or value a webpack bundle exports as ``key`` (its declaration when it names one), or None."""
    for occurrence in parsed.occurrences("__webpack_exports__"):
        declarator = occurrence.parent
        if declarator is None or declarator.type != "variable_declarator":
            continue
        module_id = required_id(declarator.child_by_field_name("value"))
        factory = webpack_factory(parsed, module_id) if module_id is not None else None
        value = webpack_export(parsed, factory, key) if factory is not None else None
        return _declared(factory.child_by_field_name("body"), value) if value is not None else None
    return None


def esbuild_export(parsed: ParsedFile, namespace: str, key: str) -> tree_sitter.Node | None:
    """What esbuild's getter table for the export namespace ``namespace`` returns for ``key``."""
    for node in parsed.occurrences(re.escape(namespace)):
        args = node.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression" or \
                not text(call.child_by_field_name("function")).endswith("__export"):
            continue
        named = [a for a in args.named_children if a.type != "comment"]
        if len(named) == 2 and named[0] == node and named[1].type == "object":
            return _getter(named[1], key)
    return None


def _getter(table: tree_sitter.Node, key: str) -> tree_sitter.Node | None:
    """What ``key: () => (/* binding */ value)`` in a getter table returns."""
    for prop in table.named_children:
        name = prop.child_by_field_name("key") if prop.type == "pair" else None
        if name is None or (string_value(name) if name.type == "string" else text(name)) != key:
            continue
        getter = unwrap(prop.child_by_field_name("value"))
        if getter.type != "arrow_function":
            return getter
        body = getter.child_by_field_name("body")
        if body is not None and body.type == "parenthesized_expression":
            inner = [c for c in body.named_children if c.type != "comment"]
            return inner[0] if len(inner) == 1 else body
        return body
    return None


def _declared(scope: tree_sitter.Node | None, value: tree_sitter.Node) -> tree_sitter.Node:
    """The function a returned name declares at the top of ``scope`` (a factory body, the program), or
    the value itself."""
    declared = declaring(scope, text(value)) if scope is not None and value.type == "identifier" else None
    if declared is None:
        return value
    initializer = declared.child_by_field_name("value") if declared.type == "variable_declarator" else declared
    return unwrap(initializer) if initializer is not None else value

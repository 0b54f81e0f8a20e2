"""Module-level state that outlives an invocation, and what invocations do to it.

Forge's Node.js runtimes reuse a warm process for many invocations of many
installations, so whatever a module creates at load time is shared across
tenants. For every such piece of state this module records:

* its declaration (module-level binding, class static, `globalThis.x`);
* writes made while handling an invocation (assignment, `++`, `delete`,
  element/property assignment, `.set/.push/.add/...`, `Object.assign`,
  mutating methods of a singleton, calls of a memoized closure), with the
  key expression and whether the written value is tenant data;
* reads made while handling an invocation.

Scoping is resolved per name (see scopes.py), so a handler's own local
`cache` is never confused with a module-level one. Analysis is
interprocedural in the cheap way: every function body is examined (helpers
included), exported state is followed into the modules that import it, and
singleton methods are summarised once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import tree_sitter

from auditor.facts.bindings import callee_name, string_value, unwrap
from auditor.facts.modules import ModuleGraph, ModuleInfo
from auditor.facts.scopes import (
    FUNCTIONS, Declaration, Declarations, declaration_of, declaring, enclosing_function, resolve)
from auditor.facts.taint import Flow
from auditor.facts.values import Values, function_name
from auditor.model import Location
from auditor.parsing import ParsedFile, text

MUTATORS = {"set", "push", "unshift", "splice", "add", "put", "append", "fill", "setItem", "insert",
            "assign", "mset", "merge", "update", "sort", "reverse", "pop", "shift", "clear", "delete"}
DRAINING = {"splice", "pop", "shift"}   # mutators that also hand the contents back: a read too
VALUELESS = {"pop", "shift", "clear", "delete", "sort", "reverse"}   # mutators that store no new value
GETTERS_RETURNING_CONTAINERS = {"get"}
CACHE_PACKAGES = {"lru-cache", "node-cache", "quick-lru", "keyv", "@isaacs/ttlcache", "memory-cache",
                  "flat-cache", "cache-manager"}
CACHE_CLASSES = {"LRUCache", "LRU", "NodeCache", "QuickLRU", "Keyv", "TTLCache", "Cache"}
MEMOIZERS = re.compile(r"^(p?[mM]emoi[sz]e\w*|memoizee|moize|mem|pMemoize|memoizeOne|once)$")
MEMO_PACKAGES = {"memoizee", "lodash", "lodash.memoize", "lodash/memoize", "p-memoize", "mem", "moize",
                 "memoize-one", "fast-memoize", "micro-memoize"}
# Not shared mutable data: per-async-context storage, the resolver registry, weak maps keyed by
# per-invocation objects.
SAFE_CLASSES = {"AsyncLocalStorage", "Resolver", "WeakMap", "WeakSet", "WeakRef", "Date", "RegExp", "URL",
                "TextEncoder", "TextDecoder", "Error", "Promise", "AbortController"}
TENANT_NAMES = re.compile(r"^(cloudId|installContext|installation|installationId|installationAri|workspaceId|"
                          r"tenant\w*|siteId|siteUrl|cloudID)$")
TENANT_SOURCES = re.compile(r"getAppContext")
# Bundler runtime bookkeeping (webpack's module cache and friends): load machinery, not app data.
BUNDLER_RUNTIME = re.compile(r"^__(webpack|esModule|require|commonJS|esm|toESM|export)")
MAX_DEPTH = 6


@dataclass
class Access:
    kind: str                           # write | read
    location: Location
    node: tree_sitter.Node
    function: tree_sitter.Node | None   # enclosing function
    how: str                            # "cache[key] = …", "cache.set()", "directory.add()", ...
    keys: list[str] = field(default_factory=list)   # key expressions, as written
    key_origin: str = ""                # what the first key was computed from, when it is a local name
    tenant_keyed: bool = False
    tainted: Location | None = None     # where the tenant data came from
    taint_what: str = ""
    returned: Location | None = None    # for reads: the return statement handing the value back


@dataclass
class StateFact:
    name: str
    kind: str                   # object | array | Map | Set | cache | instance | memoized | let | global | static | closure
    declaration: Location
    path: Path
    writes: list[Access] = field(default_factory=list)
    reads: list[Access] = field(default_factory=list)
    # For an instance of an app class: the class, and the `this.<field>` accesses of its instance methods
    # (what the method calls above do inside), for judging its fields one by one.
    class_node: tree_sitter.Node | None = None
    members: list[Access] = field(default_factory=list)


class _Candidate(NamedTuple):
    name: str
    kind: str
    decl: Declaration | None        # None for globals and class statics
    location: Location
    parsed: ParsedFile
    class_node: tree_sitter.Node | None = None   # for instances of app classes / statics
    memo_fn: tree_sitter.Node | None = None
    class_file: ParsedFile | None = None          # where class_node is

    @property
    def display(self) -> str:
        return f"default export of {self.parsed.path.name}" if self.name == "default" else self.name


def find_state(graph: ModuleGraph, paths: set[Path], values: Values, flow: Flow,
               analysed: list[Path] | None = None) -> list[StateFact]:
    """The module-level state of ``paths`` (the modules an entry reaches); ``analysed``: only the state
    declared in these of them (the app's classes and decorators are still read from all)."""
    facts: list[StateFact] = []
    classes = _app_classes(graph, paths)
    decorators = _decorator_names(graph, paths)
    for path in sorted(paths) if analysed is None else analysed:
        info = graph.modules[path]
        analyzer = _ModuleAnalyzer(info, graph, classes, values, flow, decorators)
        facts += analyzer.run()
    return facts


def _app_classes(graph: ModuleGraph, paths: set[Path]) -> dict[str, tuple[tree_sitter.Node, ParsedFile]]:
    """Class declarations of the app by name (for singleton method summaries)."""
    found = {}
    for path in paths:
        for body in graph.modules[path].load_bodies:
            for statement in body.named_children:
                declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                    else statement
                if declaration is not None and declaration.type == "class_declaration":
                    name = declaration.child_by_field_name("name")
                    if name is not None:
                        found[text(name)] = (declaration, graph.modules[path].parsed)
    return found


def _decorator_names(graph: ModuleGraph, paths: set[Path]) -> frozenset[str]:
    """Names the app applies as decorators (`@Injectable('pages')`, `@sealed`): they run when a class is
    defined, at load time, and so do the functions they return. Found from an `@name` byte match (a bundle
    holds many `'@forge/api'` strings and no decorator: no query over its whole tree)."""
    found = set()
    for path in paths:
        parsed = graph.modules[path].parsed
        data = parsed.data
        for match in _DECORATOR.finditer(data):
            if match.start() and data[match.start() - 1] in _NOT_BEFORE_DECORATOR:
                continue
            node = parsed.tree.root_node.named_descendant_for_byte_range(match.start(), match.start() + 1)
            if node is None or node.type != "decorator":
                continue
            value = node.named_children[0] if node.named_children else None
            callee = value.child_by_field_name("function") if value is not None and \
                value.type == "call_expression" else value
            if callee is not None and callee.type == "identifier":
                found.add(text(callee))
    return frozenset(found)


# `@name` where a decorator can start: not after a quote, a path, an e-mail or a word ('@forge/api')
_DECORATOR = re.compile(rb"@[A-Za-z_$]")
_NOT_BEFORE_DECORATOR = frozenset(b"'\"`/.@$_" + bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123)))


class _ModuleAnalyzer:
    def __init__(self, info: ModuleInfo, graph: ModuleGraph, classes: dict[str, tree_sitter.Node], values: Values,
                 flow: Flow, decorators: frozenset[str]):
        self.info = info
        self.values = values
        self.flow = flow  # where written values come from (Taint)
        self.decorators = decorators
        self.parsed = info.parsed
        self.graph = graph
        self.classes = classes
        self.load_bodies = {(b.start_byte, b.end_byte) for b in info.load_bodies}
        self._decls: dict[str, Declarations] = {}
        self._refs: dict[str, dict] = {}
        self._exports: dict[str, bool] = {}
        self._export_words: dict[Path, set[bytes] | None] = {}

    # -- entry ------------------------------------------------------------

    def run(self) -> list[StateFact]:
        candidates = self._candidates()
        facts = []
        for cand in candidates:
            fact = StateFact(cand.display, cand.kind, cand.location, self.parsed.path)
            if cand.kind == "global":
                self._global_accesses(cand, fact)
            elif cand.kind == "static":
                self._static_accesses(cand, fact)
            else:
                for access in self._binding_accesses(cand, self.parsed, cand.decl):
                    (fact.writes if access.kind == "write" else fact.reads).append(access)
                self._importer_accesses(cand, fact)
                if cand.kind == "instance" and fact.writes:
                    fact.class_node = cand.class_node
                    fact.members = _instance_accesses(cand.class_node, cand.class_file or cand.parsed, self)
            self._lazy_singleton(fact)
            if fact.writes:
                facts.append(fact)
        return facts

    def _lazy_singleton(self, fact: StateFact) -> None:
        """`instance ??= new Service()` at invocation time: the instance persists, so its own
        `this.field` writes (in any method) are writes to the shared state."""
        for write in list(fact.writes):
            value = write.node.child_by_field_name("right") if write.node.type.endswith("assignment_expression") \
                else None
            value = unwrap(value) if value is not None else None
            ctor = value.child_by_field_name("constructor") if value is not None and \
                value.type == "new_expression" else None
            if ctor is None or text(ctor) not in self.classes:
                continue
            class_node, class_file = self.classes[text(ctor)]
            fact.writes.remove(write)
            fact.kind = "singleton"
            for access in _instance_accesses(class_node, class_file, self):
                (fact.writes if access.kind == "write" else fact.reads).append(access)

    # -- candidates ---------------------------------------------------------

    def _candidates(self) -> list[_Candidate]:
        found: list[_Candidate] = []
        for body in self.info.load_bodies:
            for statement in body.named_children:
                declaration = statement
                if statement.type == "export_statement":
                    declaration = statement.child_by_field_name("declaration")
                    value = statement.child_by_field_name("value")
                    if declaration is None and value is not None:  # export default new Store()
                        kind, cls, memo = self._classify(value, "const")
                        if kind:
                            class_node, class_file = cls or (None, None)
                            found.append(_Candidate("default", kind, None, self.parsed.location(statement),
                                                    self.parsed, class_node, memo, class_file))
                        continue
                    if declaration is None:
                        continue
                if declaration.type in ("lexical_declaration", "variable_declaration"):
                    keyword = text(declaration.child(0)) if declaration.child_count else "var"
                    for declarator in declaration.named_children:
                        found += self._declarator_candidate(declarator, keyword)
                elif declaration.type == "class_declaration":
                    found += self._static_candidates(declaration)
        found += self._global_candidates()
        return found

    def _declarator_candidate(self, declarator: tree_sitter.Node, keyword: str) -> list[_Candidate]:
        name = declarator.child_by_field_name("name")
        if declarator.type != "variable_declarator" or name is None or name.type != "identifier" or \
                BUNDLER_RUNTIME.match(text(name)):
            return []
        value = declarator.child_by_field_name("value")
        kind, cls, memo = self._classify(value, keyword)
        if not kind:
            return []
        decl = declaration_of(name)
        class_node, class_file = cls or (None, None)
        return [_Candidate(text(name), kind, decl, self.parsed.location(declarator), self.parsed,
                           class_node, memo, class_file)]

    def _classify(self, value: tree_sitter.Node | None, keyword: str):
        """(kind, class node, memoized function) of a load-time initializer; kind '' if not state."""
        if value is None:
            return ("let", None, None) if keyword != "const" else ("", None, None)
        value = unwrap(value)
        kind = value.type
        if kind == "object":
            return "object", None, None
        if kind == "array":
            return "array", None, None
        if kind == "new_expression":
            ctor = value.child_by_field_name("constructor")
            name = text(ctor).split(".")[-1] if ctor is not None else ""
            name = re.sub(r"^\(?0,\s*", "", name).rstrip(")")
            if name in SAFE_CLASSES or "Resolver" in name:
                return "", None, None
            if name in ("Map", "Set"):
                return name, None, None
            if name in ("Array", "Object"):
                return name.lower(), None, None
            if name in CACHE_CLASSES or self._from_package(name, CACHE_PACKAGES):
                return "cache", None, None
            if name in self.classes:
                return "instance", self.classes[name], None
            return "", None, None
        if kind == "call_expression":
            fn = value.child_by_field_name("function")
            called = callee_name(fn) if fn is not None else None
            factory = self._state_factory(called) if called is not None and fn.type == "identifier" else None
            if called is not None and (MEMOIZERS.match(called) or self._from_package(called, MEMO_PACKAGES)
                                       or factory == "memoizer"):
                args = value.child_by_field_name("arguments")
                first = unwrap(args.named_children[0]) if args is not None and args.named_children else None
                return "memoized", None, first
            if factory == "store":
                return "closure", None, None
            if fn is not None and text(fn) in ("Object.create",):
                return "object", None, None
            return "", None, None
        if kind in ("string", "number", "true", "false", "null", "template_string", "undefined") and keyword != "const":
            return "let", None, None
        return "", None, None

    def _state_factory(self, name: str) -> str | None:
        """What calling an app function at load creates, when it keeps a container in its closure:
        'memoizer' when it returns a function, 'store' when it returns an object (whose methods
        reach the container); None otherwise."""
        fn = self._app_function(name)
        body = fn.child_by_field_name("body") if fn is not None else None
        if body is None:
            return None
        source = text(body)
        if not re.search(r"=\s*(?:\{\s*\}|\[\s*\]|new\s+(?:Map|Set)\b|Object\.create\()", source):
            return None
        if re.search(r"\breturn\s+(?:async\s*)?(?:function\b|\([^)]*\)\s*=>|\w+\s*=>)", source):
            return "memoizer"
        return "store" if re.search(r"\breturn\s*\{", source) else None

    def _app_function(self, name: str) -> tree_sitter.Node | None:
        """A module-level function of this module, or one imported from another app module."""
        parsed, wanted = self.parsed, name
        if name in self.info.imported_names:
            specifier, wanted = self.info.imported_names[name]
            target = self.graph.resolve(specifier, self.parsed.path)
            if target is None:
                return None
            parsed = self.graph.modules[target].parsed
        declared = declaring(parsed.tree.root_node, wanted)
        if declared is None or declared.type != "variable_declarator":
            return declared if declared is not None and declared.type == "function_declaration" else None
        value = declared.child_by_field_name("value")
        return unwrap(value) if value is not None and unwrap(value).type in FUNCTIONS else None

    def _from_package(self, name: str, packages: set[str]) -> bool:
        imported = self.info.imported_names.get(name.split(".")[0])
        return imported is not None and imported[0] in packages

    def _static_candidates(self, class_node: tree_sitter.Node) -> list[_Candidate]:
        found = []
        class_name = class_node.child_by_field_name("name")
        body = class_node.child_by_field_name("body")
        if class_name is None or body is None:
            return found
        for member in body.named_children:
            if member.type not in ("field_definition", "public_field_definition"):
                continue
            if not any(child.type == "static" for child in member.children):
                continue
            prop = member.child_by_field_name("property") or member.child_by_field_name("name")
            value = member.child_by_field_name("value")
            kind, _, _ = self._classify(value, "let") if value is not None else ("let", None, None)
            if prop is not None and kind:
                found.append(_Candidate(f"{text(class_name)}.{text(prop)}", "static", None,
                                        self.parsed.location(member), self.parsed, class_node))
        return found

    def _global_candidates(self) -> list[_Candidate]:
        """One candidate per `globalThis.x` / `global.x` property written anywhere."""
        firsts: dict[str, tree_sitter.Node] = {}
        for node in self.parsed.occurrences("globalThis|global"):
            if node.type != "identifier" or self._declared_locally(node):
                continue
            prop = _property_of(node)
            if prop is None:
                continue
            access = _classify_access(node.parent, self.parsed)
            if access is not None and access[0] == "write" and prop not in firsts:
                firsts[prop] = node.parent
        return [_Candidate(f"{text(n.child_by_field_name('object'))}.{p}", "global", None,
                           self.parsed.location(n), self.parsed) for p, n in firsts.items()]

    def _declared_locally(self, node: tree_sitter.Node) -> bool:
        return resolve(node, self._declarations(text(node), self.parsed)) is not None

    # -- accesses -------------------------------------------------------------

    def _declarations(self, name: str, parsed: ParsedFile) -> Declarations:
        key = f"{parsed.path}:{name}"
        if key not in self._decls:
            self._decls[key] = Declarations(
                d for d in (declaration_of(n) for n in parsed.occurrences(re.escape(name))
                            if n.type in ("identifier", "shorthand_property_identifier_pattern"))
                if d is not None)
        return self._decls[key]

    def _references(self, name: str, parsed: ParsedFile, decl: Declaration | None) -> list[tree_sitter.Node]:
        """Uses of ``name`` bound by ``decl`` (all uses when ``decl`` is None), resolved once per name."""
        key = f"{parsed.path}:{name}"
        if key not in self._refs:
            declarations = self._declarations(name, parsed)
            groups: dict = {None: []}
            for node in parsed.occurrences(re.escape(name)):
                if node.type not in ("identifier", "shorthand_property_identifier") or declaration_of(node) is not None:
                    continue
                target = resolve(node, declarations)
                groups[None].append(node)
                if target is not None:
                    groups.setdefault(_decl_key(target), []).append(node)
            self._refs[key] = groups
        return self._refs[key].get(None if decl is None else _decl_key(decl), [])

    def _invocation_time(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        """The enclosing function when node runs per invocation; None when it runs at load."""
        fn = enclosing_function(node)
        if fn is None:
            return None
        body = fn.child_by_field_name("body")
        if body is not None and (body.start_byte, body.end_byte) in self.load_bodies:
            return None
        if self.decorators and self._decorator(fn):
            return None
        return fn

    def _decorator(self, fn: tree_sitter.Node) -> bool:
        """Is ``fn`` a decorator, or the decorator a decorator factory returns (`return (target) => …`)?"""
        name, _ = function_name(fn)
        if name is not None and text(name) in self.decorators:
            return True
        returned = fn.parent
        if returned is not None and returned.type == "return_statement":
            returned = enclosing_function(returned)
        elif returned is None or returned.type not in FUNCTIONS:
            return False
        name, _ = function_name(returned) if returned is not None else (None, False)
        return name is not None and text(name) in self.decorators

    def _binding_accesses(self, cand: _Candidate, parsed: ParsedFile, decl: Declaration | None,
                          local_name: str | None = None, depth: int = 0) -> list[Access]:
        accesses = []
        for ref in self._references(local_name or cand.name, parsed, decl):
            fn = self._invocation_time(ref)
            if fn is None:
                continue
            alias = self._alias(ref, parsed) if depth < 3 else None
            if alias is not None:  # `const c = cache` or `helper(cache)`: follow the other name
                accesses += self._binding_accesses(cand, parsed, alias, text(alias.node), depth + 1)
            else:
                accesses += self._access(cand, ref, fn, parsed)
        return accesses

    def _alias(self, ref: tree_sitter.Node, parsed: ParsedFile) -> Declaration | None:
        """The local binding a reference is handed to whole: an alias, or a same-file helper's parameter."""
        parent = ref.parent
        if parent is None:
            return None
        if parent.type == "variable_declarator" and parent.child_by_field_name("value") == ref:
            name = parent.child_by_field_name("name")
            return declaration_of(name) if name is not None and name.type == "identifier" else None
        if parent.type != "arguments" or parent.parent is None or parent.parent.type != "call_expression":
            return None
        helper = _local_function(parent.parent.child_by_field_name("function"), parsed, self)
        if helper is None:
            return None
        position = next(i for i, arg in enumerate(parent.named_children) if arg == ref)
        params = helper.child_by_field_name("parameters")
        targets = params.named_children if params is not None else []
        if position >= len(targets):
            return None
        target = targets[position].child_by_field_name("pattern") or targets[position]
        return declaration_of(target) if target.type == "identifier" else None

    def _access(self, cand: _Candidate, ref: tree_sitter.Node, fn: tree_sitter.Node,
                parsed: ParsedFile) -> list[Access]:
        accesses = self._raw_access(cand, ref, fn, parsed)
        for access in accesses:
            if access.kind == "read":
                access.returned = _return_of(access.node, parsed)
        return accesses

    def _raw_access(self, cand: _Candidate, ref: tree_sitter.Node, fn: tree_sitter.Node,
                    parsed: ParsedFile) -> list[Access]:
        if cand.kind == "memoized":
            return self._memo_call(cand, ref, fn, parsed)
        if cand.kind == "instance":
            method_accesses = self._method_call(cand, ref, fn, parsed)
            if method_accesses is not None:
                return method_accesses
        classified = _classify_access(ref, parsed)
        if classified is None:
            return []
        kind, how, keys, value, top = classified
        how = how.replace("STATE", text(ref) if cand.name != "default" else cand.display)
        access = Access(kind, parsed.location(top), top, fn, how, [text(k) for k in keys])
        extra = [Access("read", access.location, top, fn, how)] if how.endswith(tuple(f".{m}()" for m in DRAINING)) \
            else []
        if kind == "write":
            self._judge_write(access, keys, value, parsed)
        if keys:
            extra += self._element_writes(f"{text(ref)}[…]", keys, top, fn, parsed)
        return [access] + extra

    def _judge_write(self, access: Access, keys: list[tree_sitter.Node], value: tree_sitter.Node | None,
                     parsed: ParsedFile) -> None:
        """A write's key origin, whether its key is tenant-scoped, and where its value comes from."""
        access.key_origin = _origin(keys[0], parsed, self) if keys else ""
        access.tenant_keyed = any(Taint(parsed, self).tenant_key(k) for k in keys)
        source = Taint(parsed, self).source(value) if value is not None else None
        if source is not None:
            access.tainted, access.taint_what = source

    def _element_writes(self, element: str, keys: list[tree_sitter.Node], top: tree_sitter.Node,
                        fn: tree_sitter.Node, parsed: ParsedFile) -> list[Access]:
        """Writes into one element of the state through a local that holds it:
        `const list = (cache[key] ??= []); list.push(item)`, `let b = byKey.get(k); ...; b.add(x)`.
        Each is a write of the state (its ``element``, e.g. `cache[…]`) under the element's key."""
        holder = top
        while holder.parent is not None and (holder.parent.type in ("parenthesized_expression", "await_expression",
                                                                    "non_null_expression", "as_expression") or
                                             holder.parent.type == "binary_expression" and
                                             text(holder.parent.child_by_field_name("operator")) in ("||", "??")):
            holder = holder.parent
        declarator = holder.parent
        name = declarator.child_by_field_name("name") if declarator is not None and \
            declarator.type == "variable_declarator" and declarator.child_by_field_name("value") == holder else None
        decl = declaration_of(name) if name is not None and name.type == "identifier" else None
        if decl is None:
            return []
        found = []
        for ref in self._references(decl.name, parsed, decl):
            if ref == decl.node or not (fn.start_byte <= ref.start_byte < fn.end_byte):
                continue
            classified = _classify_access(ref, parsed)
            # `list.push(x)`, `entry.count = n` change the element; `url = url.replace(…)` only the local
            if classified is None or classified[0] != "write" or classified[1] in _REBINDINGS:
                continue
            _, how, _, value, write_top = classified
            write = Access("write", parsed.location(write_top), write_top, fn,
                           how.replace("STATE", decl.name) + f" (into {element})", [text(k) for k in keys])
            self._judge_write(write, keys, value, parsed)
            found.append(write)
        return found

    def _memo_call(self, cand, ref, fn, parsed) -> list[Access]:
        call = ref.parent
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != ref:
            return []
        args = call.child_by_field_name("arguments")
        arg_nodes = args.named_children if args is not None else []
        taint = Taint(parsed, self)
        write = Access("write", parsed.location(call), call, fn, f"{cand.display}(…) caches its result",
                       [text(a) for a in arg_nodes])
        write.tenant_keyed = any(taint.tenant_key(a) for a in arg_nodes)
        source = None
        if cand.memo_fn is not None and cand.memo_fn.type in FUNCTIONS:
            source = Taint(cand.parsed, self).returned_data(cand.memo_fn)
        for arg in arg_nodes:
            source = source or taint.source(arg)
        if source is not None:
            write.tainted, write.taint_what = source
        read = Access("read", parsed.location(call), call, fn, f"{cand.display}(…) returns a cached result")
        return [write, read]

    def _method_call(self, cand, ref, fn, parsed) -> list[Access] | None:
        member = ref.parent
        if member is None or member.type != "member_expression" or member.child_by_field_name("object") != ref:
            return None
        call = member.parent
        prop = member.child_by_field_name("property")
        if call is None or call.type != "call_expression" or prop is None:
            return None
        summary = _method_summary(cand.class_node, text(prop), cand.class_file or cand.parsed, self)
        args = call.child_by_field_name("arguments")
        arg_nodes = args.named_children if args is not None else []
        read = Access("read", parsed.location(call), call, fn, f"{text(ref)}.{text(prop)}()")
        if summary is None or not summary.writes:
            return [read]
        keys = [text(arg_nodes[i]) for i in summary.key_params if i < len(arg_nodes)] or summary.keys
        access = Access("write", parsed.location(call), call, fn,
                        f"{text(ref)}.{text(prop)}() (into this.{summary.field})", keys)
        taint = Taint(parsed, self)
        access.tenant_keyed = summary.tenant_keyed or any(
            taint.tenant_key(arg_nodes[i]) for i in summary.key_params if i < len(arg_nodes))
        source = summary.source
        if source is None:
            for i in summary.value_params:
                if i < len(arg_nodes):
                    source = source or taint.source(arg_nodes[i])
        if source is not None:
            access.tainted, access.taint_what = source
        return [access, read] if summary.returns_state else [access]

    def _importer_accesses(self, cand: _Candidate, fact: StateFact) -> None:
        """Accesses through `import { cache }` / `require('./cache')` in other modules."""
        if not self._exported(cand):
            return
        for path, local, imported in self.graph.importers(self.parsed.path):
            if imported not in (cand.name, "*") and not (imported == "default" and cand.name == "default"):
                continue
            parsed = self.graph.modules[path].parsed
            decls = self._declarations(local, parsed)
            decl = next((d for d in decls if d.kind in ("import", "const", "var", "let")), None)
            if imported == "*":
                self._namespace_accesses(cand, parsed, local, decl, fact)
                continue
            for access in self._binding_accesses(cand, parsed, decl, local_name=local):
                (fact.writes if access.kind == "write" else fact.reads).append(access)

    def _namespace_accesses(self, cand, parsed, local, decl, fact) -> None:
        for ref in self._references(local, parsed, decl):
            member = ref.parent
            prop = member.child_by_field_name("property") if member is not None and \
                member.type == "member_expression" else None
            if prop is None or text(prop) != cand.name:
                continue
            fn = self._invocation_time(ref)
            if fn is None:
                continue
            for access in self._access(cand, member, fn, parsed):
                (fact.writes if access.kind == "write" else fact.reads).append(access)

    def _exported(self, cand: _Candidate) -> bool:
        if cand.name == "default":
            return True
        if cand.name not in self._exports:
            self._exports[cand.name] = self._exports_name(cand.name)
        return self._exports[cand.name]

    def _exports_name(self, name_text: str) -> bool:
        data = self.parsed.data
        name = re.escape(name_text).encode()
        # One scan of the file for the four forms (each starts with the letters `export`, which the
        # engine skips to): `export const name`, `export { name }`, `[module.]exports[.x] = … name`, `export default name`
        return re.search(rb"export(?:\s+(?:const|let|var)\s+" + name + rb"\b|\s*\{[^}]*\b" + name + rb"\b"
                         rb"|s(?:\.\w+)?\s*=[^;]*\b" + name + rb"\b|\s+default\s+" + name + rb"\b)", data) is not None

    def _exported_words(self, parsed: ParsedFile) -> set[bytes] | None:
        """Identifiers on `export …` lines of ``parsed`` (up to the `;`), collected once per file rather
        than searched per function; None when the file assigns `exports` (anything may be exported)."""
        if parsed.path not in self._export_words:
            data = parsed.data
            self._export_words[parsed.path] = None if re.search(rb"exports\b", data) else {
                word for line in re.findall(rb"\bexport\b[^;\n]*", data) for word in re.findall(rb"[\w$]+", line)}
        return self._export_words[parsed.path]

    def _global_accesses(self, cand: _Candidate, fact: StateFact) -> None:
        base, prop = cand.name.split(".", 1)
        for node in self.parsed.occurrences(re.escape(base)):
            if node.type != "identifier" or self._declared_locally(node) or _property_of(node) != prop:
                continue
            fn = self._invocation_time(node)
            if fn is None:
                continue
            for access in self._access(cand, node.parent, fn, self.parsed):
                (fact.writes if access.kind == "write" else fact.reads).append(access)

    def _static_accesses(self, cand: _Candidate, fact: StateFact) -> None:
        class_name, prop = cand.name.split(".", 1)
        for node in self.parsed.occurrences(re.escape(prop)):
            member = node.parent
            if node.type not in ("property_identifier", "private_property_identifier") or member is None or \
                    member.type != "member_expression":
                continue
            obj = member.child_by_field_name("object")
            if obj is None:
                continue
            inside_class = cand.class_node.start_byte <= node.start_byte < cand.class_node.end_byte
            if not (text(obj) == class_name or (obj.type == "this" and inside_class and _in_static_method(node))):
                continue
            fn = self._invocation_time(node)
            if fn is None:
                continue
            for access in self._access(cand, member, fn, self.parsed):
                (fact.writes if access.kind == "write" else fact.reads).append(access)


def _instance_accesses(class_node: tree_sitter.Node, parsed: ParsedFile, analyzer) -> list[Access]:
    """Reads and writes of `this.<field>` in the instance methods of a class (constructor excluded)."""
    accesses = []
    for node in parsed.occurrences("this"):
        if node.type != "this" or not (class_node.start_byte <= node.start_byte < class_node.end_byte):
            continue
        method = enclosing_function(node)
        while method is not None and method.type != "method_definition":
            method = enclosing_function(method)
        name = method.child_by_field_name("name") if method is not None else None
        if name is None or text(name) == "constructor" or any(c.type == "static" for c in method.children):
            continue
        if _property_of(node) is None:
            continue
        classified = _classify_access(node, parsed)
        kind, how, keys, value, top = classified
        access = Access(kind, parsed.location(top), top, method, how.replace("STATE", "this"),
                        [text(k) for k in keys])
        if kind == "write":
            taint = Taint(parsed, analyzer)
            access.tenant_keyed = any(taint.tenant_key(k) for k in keys)
            source = taint.source(value) if value is not None else None
            if source is not None:
                access.tainted, access.taint_what = source
        accesses.append(access)
    return accesses


def _origin(key: tree_sitter.Node, parsed: ParsedFile, analyzer) -> str:
    """`context.extension.issue.key` for a key written as a local `key` initialised from it."""
    if key.type != "identifier":
        return ""
    decl = resolve(key, analyzer._declarations(text(key), parsed))
    value = decl.declarator.child_by_field_name("value") if decl is not None and decl.declarator is not None \
        and decl.declarator.type == "variable_declarator" else None
    return " ".join(text(value).split())[:80] if value is not None else ""


def _decl_key(decl: Declaration) -> tuple:
    return decl.node.start_byte, decl.node.end_byte


def _return_of(node: tree_sitter.Node, parsed: ParsedFile) -> Location | None:
    """The return statement (or arrow-function body) that hands ``node``'s value to the caller."""
    current = node
    for _ in range(8):
        parent = current.parent
        if parent is None or parent.type in FUNCTIONS and parent.child_by_field_name("body") != current:
            return None
        if parent.type == "return_statement" or (parent.type == "arrow_function"
                                                 and parent.child_by_field_name("body") == current):
            return parsed.location(parent if parent.type == "return_statement" else current)
        if parent.type in ("statement_block", "expression_statement", "lexical_declaration", "if_statement"):
            return None
        current = parent
    return None


def _in_static_method(node: tree_sitter.Node) -> bool:
    fn = enclosing_function(node)
    while fn is not None and fn.type != "method_definition":
        fn = enclosing_function(fn)
    return fn is not None and any(child.type == "static" for child in fn.children)


def _property_of(node: tree_sitter.Node) -> str | None:
    """'x' for `node.x` or `node['x']`."""
    parent = node.parent
    if parent is None or parent.child_by_field_name("object") != node:
        return None
    if parent.type == "member_expression":
        prop = parent.child_by_field_name("property")
        return text(prop) if prop is not None else None
    if parent.type == "subscript_expression":
        index = parent.child_by_field_name("index")
        return string_value(index) if index is not None and index.type == "string" else None
    return None


_REBINDINGS = ("STATE = …", "STATE++", "delete STATE")  # writes of a name itself, not of what it holds


def _classify_access(ref: tree_sitter.Node, parsed: ParsedFile):
    """(write|read, how, key nodes, written value, top node) for one reference to state."""
    node, keys, how = ref, [], "STATE"
    while True:
        parent = node.parent
        if parent is None:
            break
        if parent.type == "subscript_expression" and parent.child_by_field_name("object") == node:
            index = parent.child_by_field_name("index")
            if index is not None:
                keys.append(index)
            how += "[…]"
            node = parent
            continue
        if parent.type == "member_expression" and parent.child_by_field_name("object") == node:
            prop = parent.child_by_field_name("property")
            name = text(prop) if prop is not None else ""
            call = parent.parent
            if call is not None and call.type == "call_expression" and call.child_by_field_name("function") == parent:
                args = call.child_by_field_name("arguments")
                arg_nodes = args.named_children if args is not None else []
                if name in MUTATORS:
                    # what goes in: `splice(start, count, ...items)` inserts only its items; removing
                    # and reordering (`shift()`, `delete(key)`, `sort(compare)`) store nothing new
                    value = arg_nodes[-1] if arg_nodes and name not in VALUELESS and \
                        (name != "splice" or len(arg_nodes) > 2) else None
                    if name in ("set", "put") and arg_nodes:
                        keys.append(arg_nodes[0])
                    return "write", how + f".{name}()", keys, value, call
                if name in GETTERS_RETURNING_CONTAINERS and arg_nodes and call.parent is not None and \
                        call.parent.type in ("member_expression", "subscript_expression"):
                    keys.append(arg_nodes[0])
                    how += f".{name}(…)"
                    node = call
                    continue
                return "read", how + f".{name}()", keys, None, call
            how += f".{name}"
            node = parent
            continue
        break
    parent = node.parent
    if parent is None:
        return "read", how, keys, None, node
    if parent.type in ("assignment_expression", "augmented_assignment_expression") and \
            parent.child_by_field_name("left") == node:
        return "write", how + " = …", keys, parent.child_by_field_name("right"), parent
    if parent.type == "update_expression":
        return "write", how + "++", keys, None, parent
    if parent.type == "unary_expression" and text(parent).startswith("delete"):
        return "write", "delete " + how, keys, None, parent
    if parent.type == "arguments":
        call = parent.parent
        fn = call.child_by_field_name("function") if call is not None else None
        if fn is not None and text(fn) == "Object.assign" and parent.named_children and \
                parent.named_children[0] == node:
            return "write", "Object.assign(" + how + ", …)", keys, parent.named_children[-1], call
    return "read", how, keys, None, node


class _MethodSummary(NamedTuple):
    field: str
    writes: bool
    keys: list[str]
    key_params: list[int]
    value_params: list[int]
    tenant_keyed: bool
    source: tuple[Location, str] | None
    returns_state: bool      # the method also hands state back (a caching getter)


def _method_summary(class_node, method: str, parsed: ParsedFile, analyzer) -> _MethodSummary | None:
    """What calling ``method`` on an instance does to ``this`` state (first write found)."""
    body = class_node.child_by_field_name("body") if class_node is not None else None
    if body is None:
        return None
    for member in body.named_children:
        name = member.child_by_field_name("name")
        if member.type != "method_definition" or name is None or text(name) != method:
            continue
        params = _param_names(member)
        start, end = member.start_byte, member.end_byte
        for node in parsed.occurrences("this"):
            if not (start <= node.start_byte < end) or node.type != "this":
                continue
            prop = _property_of(node)
            classified = _classify_access(node, parsed)
            if prop is None or classified is None or classified[0] != "write":
                continue
            _, _, keys, value, _ = classified
            taint = Taint(parsed, analyzer)
            key_params = [params.index(text(k).split(".")[0]) for k in keys if text(k).split(".")[0] in params]
            value_params = [params.index(p) for p in _identifiers(value) if p in params] if value is not None else []
            source = taint.data_source(value) if value is not None else None
            returns = _returns_state(member)
            return _MethodSummary(prop, True, [text(k) for k in keys], key_params, value_params,
                                  any(taint.tenant_key(k) for k in keys), source, returns)
        return _MethodSummary("", False, [], [], [], False, None, False)
    return None


def _returns_state(method: tree_sitter.Node) -> bool:
    """Does a method hand its instance's state back: `return this.x…`, or a local read from it
    (`const hit = this.cache.get(k); if (hit) return hit;`)?"""
    code = text(method)
    if re.search(r"\breturn\b[^;]*\bthis\.", code):
        return True
    locals_from_state = re.findall(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]+)?=\s*(?:await\s+)?this\.", code)
    return any(re.search(rf"\breturn\s+(?:\{{[^;}}]*\.\.\.)?{re.escape(name)}\b", code) for name in locals_from_state)


def _param_names(fn: tree_sitter.Node) -> list[str]:
    params = fn.child_by_field_name("parameters")
    if params is None:
        single = fn.child_by_field_name("parameter")
        return [text(single)] if single is not None else []
    names = []
    for p in params.named_children:
        target = p.child_by_field_name("pattern") or p
        names.append(text(target) if target.type == "identifier" else "")
    return names


def _identifiers(node: tree_sitter.Node) -> list[str]:
    out, stack = [], [node]
    while stack and len(out) < 200:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier"):
            out.append(text(current))
        elif current.type not in FUNCTIONS:
            stack.extend(current.named_children)
    return out


class Taint:
    """Is an expression tenant data, and where from; is a key a tenant identifier? Where a value comes
    from is the value-flow layer's answer (Flow.origins, auditor/facts/taint.py): product API responses, a
    fetch whose request carries invocation data, storage reads and secrets are tenant data; the
    invocation's own input (payload, context, request, event, a parameter whose callers the flow cannot
    follow) is the invocation's data. Whether a key is tenant-scoped is this rule's own question."""

    DATA = ("response", "storage", "secret")
    INPUT = ("payload", "context", "request", "event", "identity", "unfollowed")

    def __init__(self, parsed: ParsedFile, analyzer):
        self.parsed = parsed
        self.analyzer = analyzer

    def _walk(self, node: tree_sitter.Node, limit: int = 400):
        stack, seen = [node], 0
        while stack and seen < limit:
            current = stack.pop()
            seen += 1
            yield current
            if current.type not in FUNCTIONS or current == node:
                stack.extend(reversed(current.named_children))

    def _origin(self, node: tree_sitter.Node | None, kinds: tuple[str, ...], input_data: bool = False
                ) -> tuple[Location, str] | None:
        if node is None:
            return None
        found = next((o for o in self.analyzer.flow.origins(node, self.parsed.path) if o.kind in kinds), None)
        if found is None:
            return None
        what = f"{found.what} value" if found.kind in ("storage", "secret") else found.what
        return found.location, f"{what} (invocation input)" if input_data else what

    def data_source(self, node: tree_sitter.Node | None) -> tuple[Location, str] | None:
        """The product API response, storage read or secret ``node``'s value derives from."""
        return self._origin(node, self.DATA)

    def source(self, node: tree_sitter.Node | None) -> tuple[Location, str] | None:
        """Where tenant data in ``node`` comes from: an API response or storage read first, else the
        invocation's own input."""
        return self.data_source(node) or self._origin(node, self.INPUT, input_data=True)

    def returned_data(self, fn: tree_sitter.Node) -> tuple[Location, str] | None:
        """The tenant data a function hands back (a memoized function's result)."""
        for returned in self.analyzer.values.returned(fn, self.parsed.path):
            found = self.data_source(returned)
            if found is not None:
                return found
        return None

    def tenant_key(self, node: tree_sitter.Node, depth: int = 0) -> bool:
        """Does a key expression include a tenant identifier (cloudId, installContext, ...)?"""
        if depth > MAX_DEPTH:
            return False
        for current in self._walk(node):
            if current.type in ("property_identifier", "identifier", "shorthand_property_identifier") and \
                    TENANT_NAMES.match(text(current)):
                return True
            if current.type == "call_expression" and TENANT_SOURCES.search(text(current.child_by_field_name("function") or current)):
                return True
            if current.type == "identifier":
                decl = resolve(current, self.analyzer._declarations(text(current), self.parsed))
                if decl is not None and decl.declarator is not None and decl.kind in ("const", "let", "var"):
                    value = decl.declarator.child_by_field_name("value")
                    if value is not None and value != node and self.tenant_key(value, depth + 1):
                        return True
        return False


def _local_function(fn: tree_sitter.Node | None, parsed: ParsedFile, analyzer) -> tree_sitter.Node | None:
    """The body of a same-file function called by name (a helper a state is handed to)."""
    if fn is None or fn.type != "identifier":
        return None
    decl = resolve(fn, analyzer._declarations(text(fn), parsed))
    if decl is None:
        return None
    if decl.kind == "function":
        return decl.node.parent
    if decl.declarator is not None and decl.declarator.type == "variable_declarator":
        value = decl.declarator.child_by_field_name("value")
        value = unwrap(value) if value is not None else None
        return value if value is not None and value.type in FUNCTIONS else None
    return None

"""Where a value comes from, and whether a check guards a place: the taint half of the value-flow layer.

``values.py`` answers "which constant is this?"; this module answers "whose data is this?". ``Flow.origins``
follows an expression backwards — through names, destructuring, properties, template and concatenation
pieces, library calls (whose result carries their receiver's and arguments' data), the values app functions
return, and a helper's parameters to each of its call sites in any file — to the sources it derives from:

* ``payload`` — what the caller invoked with: a resolver's ``req.payload``, a UI or Rovo function's first
  argument;
* ``context`` — a caller-described part of ``context`` (``context.extension…``); ``identity`` — the parts
  Forge sets and a caller cannot choose (``accountId``, ``cloudId``, ``installContext``, ``license``…);
* ``request`` — a web trigger's request; ``event`` — what a product event, schedule or queue delivers;
* ``response`` (product API and ``fetch`` responses), ``storage`` (storage reads), ``secret``
  (``getSecret``), ``env`` (``process.env``).

``Flow.guarded`` tells whether a check that stops the handler when it fails — an ``if`` that returns,
throws or continues before the place, or an ``if`` whose branch holds it, on every path — protects a
place; a helper that throws when its check fails counts where it is called, and a place in a helper is
guarded when every call of the helper is. What counts as the check is the rule's question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import tree_sitter

from auditor.facts.bindings import call_of_callee, callee_name, string_value, unwrap
from auditor.facts.entrypoints import EntryPoint, Entries
from auditor.facts.modules import ModuleGraph
from auditor.facts.scopes import FUNCTIONS, enclosing_function
from auditor.facts.values import Trace, Values, Where, _parameter_slot, _pattern_key, function_name, word_pattern
from auditor.model import Location
from auditor.parsing import ParsedFile, text

# Library functions (by own name) whose result is their argument's value in another form or a part of it: a
# whole key made by one is the argument's (`kvs.get(String(payload.key))`, `Object.keys(payload)[0]`).
CONVERSIONS = frozenset({"String", "decodeURIComponent", "encodeURIComponent", "decodeURI", "encodeURI", "unescape",
                         "escape", "stringify", "parse", "from", "atob", "btoa", "keys", "values", "entries"})
MAX_DEPTH = 28          # names, properties and calls followed from one expression
MAX_STEPS = 800         # nodes looked at per question
MAX_GUARD_CALLERS = 6   # helper levels whose call sites are searched for a guard
MAX_OCCURRENCES = 400   # occurrences of a name examined for writes into its properties

# Forge sets these context fields; a caller cannot choose them (app-context-security).
IDENTITY = frozenset({"accountId", "accountType", "cloudId", "installContext", "installation", "license",
                      "workspaceId", "environmentId", "environmentType", "moduleKey", "principal", "siteUrl",
                      "timezone", "locale", "localId"})
CALLER = frozenset({"payload", "context", "request"})  # sources a caller of the entry chooses
_CALLER_ORDER = {"payload": 0, "request": 1, "context": 2}
# Module types whose invocations have no user behind them.
SYSTEM_MODULES = frozenset({"trigger", "scheduledTrigger", "consumer", "preUninstall", "webtrigger"})
USER_FUNCTION_MODULES = frozenset({"action"})  # function entries a user (or an agent for one) calls with inputs
PRODUCT_REQUESTS = frozenset({"requestJira", "requestConfluence", "requestBitbucket", "requestGraph",
                              "requestAtlassian", "__requestAtlassian", "requestConnectedData", "invokeRemote"})
STORAGE_READS = frozenset({"get", "query", "getEntity", "getMany"})
COLLECTION_PUTS = frozenset({"push", "unshift", "set", "add", "splice"})  # the last argument goes in
STORAGE_RECEIVER = re.compile(r"storage|kvs|forge_api|import_api", re.I)  # a receiver worth a closer look
_EXITS = ("return_statement", "throw_statement", "continue_statement")
_LITERALS = frozenset({"string", "number", "true", "false", "null", "undefined", "regex"})


class Origin(NamedTuple):
    kind: str           # payload | context | identity | request | event | response | storage | secret | env | app
    #                     | unfollowed (a parameter of a function whose calls the value flow cannot follow)
    location: Location  # where the data enters the code
    what: str           # "req.payload.issueKey", "process.env.WEBHOOK_SECRET", "requestJira() response"
    via: tuple[Location, ...] = ()  # the helper calls the data passes through on its way to the sink, in order

    @property
    def from_caller(self) -> bool:
        return self.kind in CALLER


class Guard(NamedTuple):
    """A check protecting a place: the ``if`` (or the helper call) and the call that runs the check."""
    location: Location
    what: str


Check = Callable[[tree_sitter.Node, Path], "str | None"]  # condition node -> what checks it, or None


class Throwing(NamedTuple):
    """A check that calls also make by throwing when it fails (`jwt.verify(token, secret)`): a statement
    making such a call, or an app function making one outside a `try` that swallows the error, guards
    what runs after it."""
    test: Check
    call: Check  # call node -> what it verifies, or None

    def __call__(self, condition: tree_sitter.Node, path: Path) -> str | None:
        return self.test(condition, path)


class Denylist(NamedTuple):
    """A check whose condition holds when the place must not run (`if (BLOCKED.has(key)) continue;`),
    where an ordinary check's holds when it may (`if (!allowed) return;`)."""
    test: Check

    def __call__(self, condition: tree_sitter.Node, path: Path) -> str | None:
        return self.test(condition, path)


class Flow:
    """Origins and guards over one app's backend code."""

    def __init__(self, values: Values, entries: Entries, graph: ModuleGraph):
        self.values = values
        self.entries = entries
        self.graph = graph
        self._origins: dict[tuple, list[Origin]] = {}
        self._asking: set[int] = set()  # fetch calls whose request is being looked at (recursion guard)
        self._stored: dict[tuple, list[tree_sitter.Node]] = {}

    # -- where sinks are ---------------------------------------------------

    def calls(self, names: tuple[str, ...], paths=None) -> Iterator[tuple[tree_sitter.Node, Path]]:
        """Calls (and ``new`` expressions) of functions or methods with these names, found by byte search."""
        pattern = "|".join(word_pattern(n) for n in sorted(names, key=len, reverse=True))  # getSecret before get
        for path in paths if paths is not None else sorted(self.graph.modules):
            parsed = self.parsed(path)
            for node in parsed.occurrences(f"(?:{pattern})"):
                if node.type not in ("identifier", "property_identifier"):
                    continue
                call = call_of_callee(node)
                if call is None and node.parent is not None and node.parent.type == "new_expression":
                    call = node.parent
                if call is not None:
                    yield call, path

    def parsed(self, path: Path) -> ParsedFile:
        return self.graph.modules[path].parsed

    def location(self, node: tree_sitter.Node, path: Path, message: str | None = None) -> Location:
        return self.parsed(path).location(node, message)

    def reaching(self, node: tree_sitter.Node, path: Path) -> set[EntryPoint]:
        return self.entries.reaching(node, path, self.graph)

    def invoked(self, kind: Callable[[EntryPoint], bool]) -> bool:
        """Does the app have an entry of this kind? A rule about it has nothing to look at otherwise."""
        return any(kind(e) for e in self.entries.entries)

    # -- where values come from -------------------------------------------

    def origins(self, node: tree_sitter.Node | None, path: Path, whole: bool = False) -> list[Origin]:
        """The sources ``node``'s value derives from (deduplicated, in the order found). ``whole``: only the
        sources that can make up the whole value, or its start when its end is not constant: a template or
        concatenation passes on its leading piece only, and nothing when it starts or ends with a constant
        (`job:${id}`, `${id}-metrics`: `id` alone is never the value)."""
        if node is None:
            return []
        key = (path, node.start_byte, node.end_byte, node.type, whole)
        if key not in self._origins:
            state = _Walk(whole=whole)
            found = self._walk(node, path, (), state, 0)
            self._origins[key] = list(dict.fromkeys(found))
        return self._origins[key]

    def caller_origins(self, node: tree_sitter.Node | None, path: Path, whole: bool = False) -> list[Origin]:
        """The caller-chosen sources, what the caller sends outright first (payload, request, then context)."""
        return sorted((o for o in self.origins(node, path, whole) if o.from_caller),
                      key=lambda o: _CALLER_ORDER[o.kind])

    def _walk(self, node: tree_sitter.Node, path: Path, suffix: tuple, state: "_Walk", depth: int,
              read: tree_sitter.Node | None = None) -> list[Origin]:
        """``suffix``: the properties read from the value (``.payload.key``); ``read``: the expression that
        reads them, where a source found through them is shown."""
        state.steps += 1
        if depth > MAX_DEPTH or state.steps > MAX_STEPS:
            return []
        node = unwrap(node)
        seen = (path, node.id, suffix, state.start_only, state.entered[-1][1].id if state.entered else None)
        if seen in state.seen:
            return []
        state.seen.add(seen)
        kind = node.type
        if kind in _LITERALS or kind in FUNCTIONS:
            return []
        if kind in ("identifier", "shorthand_property_identifier"):
            return self._identifier(node, path, suffix, state, depth, read or node)
        if kind in ("member_expression", "subscript_expression"):
            return self._member(node, path, suffix, state, depth, read or node)
        if kind == "call_expression":
            return self._call(node, path, state, depth, suffix)
        if kind == "ternary_expression":
            return [o for part in ("consequence", "alternative")
                    for o in self._walk_child(node.child_by_field_name(part), path, suffix, state, depth)]
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) in ("||", "??", "&&"):
            return [o for part in ("left", "right")
                    for o in self._walk_child(node.child_by_field_name(part), path, suffix, state, depth)]
        if kind == "pair":
            return self._walk_child(node.child_by_field_name("value"), path, (), state, depth)
        if kind == "object" and suffix:  # `{ id: `c-${n}`, prefix: payload.p }.id`: the id's sources only
            return [o for child, rest in _properties(node, suffix)
                    for o in self._walk_child(child, path, rest, state, depth)]
        if state.whole and kind in ("template_string", "binary_expression"):
            if not state.start_only and _ends_constant(node):
                return []  # the value's end is constant: the caller's part cannot be all of it
            if kind == "template_string":
                first = next((c for c in node.named_children if c.type != "comment"), None)
                if first is None or first.type != "template_substitution" or not first.named_children:
                    return []  # starts with a constant
                first = first.named_children[0]
            else:
                first = node.child_by_field_name("left")  # `a + b` starts with a
            if first is None:
                return []
            outer, state.start_only = state.start_only, True  # the first piece's own end is not the value's
            try:
                return self._walk(first, path, (), state, depth + 1)
            finally:
                state.start_only = outer
        # template pieces, concatenations, objects, arrays, `new X(...)`: the value carries every part's data
        return [o for child in node.named_children for o in self._walk(child, path, (), state, depth + 1)]

    def _walk_child(self, node, path, suffix, state, depth) -> list[Origin]:
        return self._walk(node, path, suffix, state, depth + 1) if node is not None else []

    def _identifier(self, node, path, suffix, state, depth, read) -> list[Origin]:
        decl = self.values.bindings(path).declaration(node)
        if decl is None:
            return []
        if decl.kind == "param":
            return self._parameter(decl, path, suffix, state, depth, read)
        if decl.kind not in ("const", "let", "var") or decl.declarator is None:
            return []
        declarator = decl.declarator
        found: list[Origin] = []
        if declarator.type == "for_in_statement":  # `for (const k in obj)` / `for (const v of list)`
            right = declarator.child_by_field_name("right")
            return self._walk_child(right, path, (), state, depth)
        name_node, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if value is not None:
            if name_node is not None and name_node.type in ("object_pattern", "array_pattern"):
                key = _pattern_key(decl.node, name_node)
                found += self._walk_child(value, path, ((key,) if key else ()) + suffix, state, depth)
            else:
                found += self._walk_child(value, path, suffix, state, depth)
        for assigned in self.values.bindings(path).assigned_values(decl):
            if assigned is not None:
                found += self._walk_child(assigned, path, suffix, state, depth)
        for key, stored in self._stored_in(decl, path):
            if not suffix or key in (None, "*", suffix[0]) or suffix[0] == "*":
                found += self._walk_child(stored, path, (), state, depth)
        return found

    def _stored_in(self, decl, path: Path) -> list[tuple[str | None, tree_sitter.Node]]:
        """Values written into a local object's properties (`body.jql = …`, `index[a][b] = …`) or put into
        a local collection (`related.push(item)`, `byKey.set(k, v)`): the object carries them. Each with the
        property written (None for a collection's, "*" for a computed one)."""
        key = (path, decl.node.id)
        if key in self._stored:
            return self._stored[key]
        bindings = self.values.bindings(path)
        found = []
        # a one-letter name of a minified bundle occurs thousands of times: look at the first ones
        for occurrence in self.parsed(path).occurrences(word_pattern(decl.name))[:MAX_OCCURRENCES]:
            target, parent = occurrence, occurrence.parent
            while parent is not None and parent.type in ("member_expression", "subscript_expression") and \
                    _same_node(parent.child_by_field_name("object"), target):
                target, parent = parent, parent.parent
            if parent is not None and parent.type == "call_expression" and target.type == "member_expression" and \
                    _same_node(parent.child_by_field_name("function"), target) and \
                    callee_name(target) in COLLECTION_PUTS and decl.contains(occurrence) and \
                    _same_node(target.child_by_field_name("object"), occurrence):
                found_decl = bindings.declaration(occurrence)
                if found_decl is not None and found_decl.node.id == decl.node.id:
                    found += [(None, value) for value in arguments(parent)[-1:]]
                continue
            if target.id == occurrence.id or parent is None or \
                    parent.type not in ("assignment_expression", "augmented_assignment_expression") or \
                    not _same_node(parent.child_by_field_name("left"), target) or not decl.contains(occurrence):
                continue
            found_decl = bindings.declaration(occurrence)
            if found_decl is not None and found_decl.node.id == decl.node.id:
                found.append((_property_key(occurrence.parent), parent.child_by_field_name("right")))
        self._stored[key] = found
        return found

    def _parameter(self, decl, path, suffix, state, depth, read) -> list[Origin]:
        fn = decl.scope
        slot = _parameter_slot(decl)
        if fn.type not in FUNCTIONS or slot is None:
            return []
        index, key, _default = slot
        suffix = ((key,) if key else ()) + suffix
        entries = self._entries_running(fn, path) \
            or [e for e in self.entries.registered(fn, path) if _outermost_in(fn, e.site)]
        if entries:
            return state.stamped([_entry_origin(e, index, suffix, self.location(read, path)) for e in entries])
        handed = self._handed_to_library(fn, path)
        if handed is not None:  # `payload.items.forEach((item) => …)`: the items are the payload's
            return self._walk_child(handed, path, (), state, depth)
        found: list[Origin] = []
        entered = next((i for i in range(len(state.entered) - 1, -1, -1) if _same_node(state.entered[i][0], fn)), None)
        if entered is not None:  # reached through a call's result: that call's argument, not every caller's
            _, call, call_path = state.entered[entered]
            named, outer = arguments(call), state.entered
            state.entered = outer[:entered]  # back in the caller's context
            try:
                return self._walk_child(named[index], call_path, suffix, state, depth) if index < len(named) else []
            finally:
                state.entered = outer
        sites = self.values.call_sites(fn, path)
        for call, call_path in sites:
            named = arguments(call)
            if index < len(named):
                callee = call.child_by_field_name("function") or call.child_by_field_name("constructor") or call
                state.calls.append(self.location(call, call_path, f"passed to {_shown(callee)}()"))
                found += self._walk_child(named[index], call_path, suffix, state, depth)
                state.calls.pop()
        if not sites and function_name(fn)[0] is not None and not self.entries.runs_at_load(fn, path, self.graph) \
                and self.reaching(fn, path):
            # an entry runs it, through calls the value flow cannot follow (a namespace member, another
            # bundle module): whatever the invocation passes; no caller is known to choose it
            found.append(Origin("unfollowed", self.location(read, path), f"parameter '{decl.name}'"))
        return found

    def _handed_to_library(self, fn, path: Path) -> tree_sitter.Node | None:
        """The receiver of the library method a callback is handed to (`list.map(fn)`, `promise.then(fn)`),
        whose data the callback receives; None for a callback of an app function or of a plain call."""
        args = fn.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        callee = unwrap(call.child_by_field_name("function")) if call is not None and \
            call.type == "call_expression" else None
        if callee is None or callee.type != "member_expression" or \
                self.values.functions(callee, Where(path), Trace()):
            return None
        return callee.child_by_field_name("object")

    def _member(self, node, path, suffix, state, depth, read) -> list[Origin]:
        obj = node.child_by_field_name("object")
        if obj is None:
            return []
        key = _property_key(node)
        if text(unwrap(obj)) == "process" and key == "env":
            return state.stamped([Origin("env", self.location(read, path), _shown(read))])
        return self._walk(obj, path, (key,) + suffix, state, depth + 1, read)

    def _call(self, node, path, state, depth, suffix: tuple = ()) -> list[Origin]:
        """``suffix``: the properties read from the result (`make().id`): read from what an app function
        returns; a library call's result carries all its inputs."""
        fn = node.child_by_field_name("function")
        if fn is None:
            return []
        name = callee_name(fn)
        source = self._source_call(node, fn, name, path)
        if source is not None:
            return state.stamped([source])
        found: list[Origin] = []
        functions = self.values.functions(fn, Where(path), Trace(open=True))  # injected instances too
        for function, at in functions:
            state.entered.append((function, node, path))  # its parameters are this call's arguments
            for returned in self.values.returned(function, at.path):
                found += self._walk_child(returned, at.path, suffix, state, depth)
            state.entered.pop()
        if functions:
            return found
        # a library call: its result carries what its receiver and arguments carry; all of it is the caller's
        # only when made from the receiver (`key.trim()`, `ids.split(',')[0]`) or by a conversion (`String(k)`):
        # a query's results are not the filter that chose them
        fn = unwrap(fn)
        if fn.type == "member_expression":
            found += self._walk_child(fn.child_by_field_name("object"), path, (), state, depth)
        args = node.child_by_field_name("arguments")
        if state.whole and name not in CONVERSIONS:
            return found
        for arg in args.named_children if args is not None else []:
            found += self._walk_child(arg, path, (), state, depth)
        return found

    def _source_call(self, node, fn, name, path) -> Origin | None:
        where = self.location(node, path)
        if name in PRODUCT_REQUESTS:
            return Origin("response", where, f"{name}() response")
        if name == "fetch":
            if self._app_wide_request(node, path):
                return Origin("app", where, "fetch() response (the request carries nothing of the invocation)")
            return Origin("response", where, "fetch() response (the request carries tenant data)")
        if name == "getAppContext":
            return Origin("identity", where, "getAppContext()")
        receiver = unwrap(fn).child_by_field_name("object") if unwrap(fn).type == "member_expression" else None
        if receiver is not None and self.is_storage(receiver, path):
            if name == "getSecret":
                return Origin("secret", where, f"{text(receiver)}.getSecret()")
            if name in STORAGE_READS:
                return Origin("storage", where, f"{text(receiver)}.{name}()")
        return None

    def _app_wide_request(self, call: tree_sitter.Node, path: Path) -> bool:
        """Does a third-party request carry nothing of the invocation (ids, input, stored or fetched data)?
        Built from constants and app-wide settings (`process.env`), it gets the same answer for every tenant."""
        if call.id in self._asking:
            return False
        self._asking.add(call.id)
        try:
            args = call.child_by_field_name("arguments")
            return not any(o.kind not in ("env", "app") for o in self.origins(args, path))
        finally:
            self._asking.discard(call.id)

    def is_storage(self, receiver: tree_sitter.Node, path: Path) -> bool:
        """Is ``receiver`` Forge storage: ``kvs`` / ``storage`` of @forge/kvs, @forge/storage or @forge/api
        (imported, a member of the package, bundled), or one of its entity stores (``kvs.entity('x')``)?"""
        receiver = unwrap(receiver)
        if not STORAGE_RECEIVER.search(text(receiver)):  # cheap: most receivers of get/set are Maps
            return False
        bindings = self.values.bindings(path)
        if receiver.type == "call_expression":  # kvs.entity('tasks')
            fn = unwrap(receiver.child_by_field_name("function"))
            return fn.type == "member_expression" and callee_name(fn) == "entity" and \
                self.is_storage(fn.child_by_field_name("object"), path)
        if receiver.type == "identifier":
            imported = bindings.imported_from_forge(text(receiver))
            if imported is not None:
                return imported[0] in ("kvs", "storage") or imported == ("api", "storage")
            source = bindings.destructured_source(text(receiver))  # const { storage } = api
            if source is not None and text(receiver) == "storage" and bindings.forge_module(source) == "api":
                return True
            return bindings.forge_module(receiver) in ("kvs", "storage")
        if receiver.type == "member_expression":
            prop = receiver.child_by_field_name("property")
            return prop is not None and text(prop) in ("storage", "kvs") and \
                bindings.forge_module(receiver.child_by_field_name("object")) in ("api", "kvs", "storage")
        return False

    # -- guards ------------------------------------------------------------

    def guarded(self, node: tree_sitter.Node, path: Path, check: Check, level: int = 0,
                within: set[EntryPoint] | None = None) -> Guard | None:
        """The check guarding ``node`` on every path to it (see the module docstring), or None; ``within``:
        only the paths from these entries count (a helper's other callers are some other rule's question)."""
        for kind, statement in _dominators(node):
            if kind == "branch":
                condition = statement.child_by_field_name("condition")
                # the branch runs when the check passes: `if (ok) {…}`, or `if (!denied) {…}` for a denylist
                passes = condition is not None and _negated(condition) == isinstance(check, Denylist)
                what = check(condition, path) if passes else None
                if what is not None:
                    return Guard(self.location(condition, path), what)
            else:
                found = self._guarding_statement(statement, path, check)
                if found is not None:
                    return found
        fn = enclosing_function(node)
        if self._callback(fn, path):
            return self.guarded(fn, path, check, level, within)
        if fn is None or level >= MAX_GUARD_CALLERS or self._entries_running(fn, path):
            return None
        sites = self._callers(fn, path, within)
        guards = [self.guarded(call, call_path, check, level + 1, within) for call, call_path in sites]
        return guards[0] if sites and all(guards) else None

    def _callback(self, fn: tree_sitter.Node | None, path: Path) -> bool:
        """Is ``fn`` a callback handed to a call (`servers.forEach((s) => …)`, `.then(…)`), which runs where
        that call does, and not an entry's own function?"""
        return fn is not None and fn.parent is not None and fn.parent.type == "arguments" \
            and not self._entries_running(fn, path)

    def _entries_running(self, fn: tree_sitter.Node, path: Path) -> list[EntryPoint]:
        """The entry points that run ``fn`` itself (its callers are then Forge's, not the app's)."""
        return [e for e in self.entries.at(fn, path) if e.node is not None and e.node.id == fn.id]

    def _callers(self, fn: tree_sitter.Node, path: Path, within: set[EntryPoint] | None) -> list:
        """The call sites of ``fn`` (those one of ``within`` reaches, when given)."""
        sites = self.values.call_sites(fn, path)
        return sites if within is None else [(call, at) for call, at in sites if self.reaching(call, at) & within]

    def guarded_when(self, node: tree_sitter.Node, path: Path, check: Check, level: int = 0,
                     within: set[EntryPoint] | None = None) -> tuple[Guard, tree_sitter.Node] | None:
        """A check that guards ``node`` only when a condition holds, earlier in its function or in every
        caller of a helper that the check does not guard outright: `if (secret) { if (!ok) return; }` —
        (that check, the condition it depends on), or None."""
        for kind, statement in _dominators(node):
            block = statement.child_by_field_name("consequence") if kind == "before" and \
                statement.type == "if_statement" and statement.child_by_field_name("alternative") is None else None
            for inner in block.named_children if block is not None and block.type == "statement_block" else ():
                found = self._guarding_statement(inner, path, check)
                if found is not None:
                    return found, statement.child_by_field_name("condition")
        fn = enclosing_function(node)
        if self._callback(fn, path):
            return self.guarded_when(fn, path, check, level, within)
        if fn is None or level >= MAX_GUARD_CALLERS or self._entries_running(fn, path):
            return None
        partial = None
        for call, call_path in self._callers(fn, path, within):
            if self.guarded(call, call_path, check, within=within) is None:
                partial = self.guarded_when(call, call_path, check, level + 1, within)
                if partial is None:
                    return None  # a caller that checks nothing
        return partial

    def _guarding_statement(self, statement, path, check) -> Guard | None:
        """An earlier statement that stops the handler when a check fails: `if (!ok) return;`, or a call of
        an app function that throws when its own check fails."""
        if statement.type == "if_statement" and statement.child_by_field_name("alternative") is None \
                and _exits(statement.child_by_field_name("consequence")):
            condition = statement.child_by_field_name("condition")
            # the branch leaves when the check fails: `if (!ok) return;`, or `if (denied) continue;` for a denylist
            fails = condition is not None and (not _negated(condition) if isinstance(check, Denylist)
                                               else not _bare(condition))
            what = check(condition, path) if fails else None
            return Guard(self.location(condition, path), what) if what is not None else None
        if statement.type == "try_statement":  # try { await assertSigned(request); } catch { return 401; }
            handler = statement.child_by_field_name("handler")
            body = statement.child_by_field_name("body")
            if handler is None or body is None or not _exits(handler.child_by_field_name("body")):
                return None
            return next((g for g in (self._guarding_statement(inner, path, check) for inner in body.named_children)
                         if g is not None), None)
        if statement.type in ("expression_statement", "lexical_declaration", "variable_declaration"):
            for call in _statement_calls(statement):  # `bodyOf(verify(token, secret))`: verify runs first
                what = check.call(call, path) if isinstance(check, Throwing) else None
                if what is not None:
                    return Guard(self.location(call, path), what)
                callee = call.child_by_field_name("function")
                for fn, at in self.values.functions(callee, Where(path), Trace()) if callee is not None else []:
                    body = fn.child_by_field_name("body")
                    for inner in body.named_children if body is not None and body.type == "statement_block" else []:
                        found = self._throwing_guard(inner, at.path, check)
                        if found is not None:
                            return Guard(self.location(call, path), f"{callee_name(callee)}() ({found.what})")
        return None

    def _throwing_guard(self, statement, path, check) -> Guard | None:
        """A statement of a helper that throws when a check fails: `if (!ok) throw …`, a throwing check call,
        or either inside a `try` whose `catch` throws again (a `catch` that returns lets the caller go on)."""
        if statement.type == "if_statement":
            found = self._guarding_statement(statement, path, check)
            return found if found is not None and _throws(statement.child_by_field_name("consequence")) else None
        if statement.type == "try_statement":
            handler, body = statement.child_by_field_name("handler"), statement.child_by_field_name("body")
            if handler is None or body is None or not _throws(handler.child_by_field_name("body")):
                return None
            return next((g for g in (self._throwing_guard(inner, path, check) for inner in body.named_children)
                         if g is not None), None)
        for call in _statement_calls(statement) if isinstance(check, Throwing) else ():
            what = check.call(call, path)
            if what is not None:
                return Guard(self.location(call, path), what)
        return None

    def derives(self, node: tree_sitter.Node, path: Path, test: Callable[[tree_sitter.Node, Path], str | None],
                depth: int = 0) -> str | None:
        """What ``test`` says of the first node ``node`` is computed from (itself, its parts, the values of
        the local names it reads, what app functions it calls return), or None."""
        if depth > 6:
            return None
        stack = [node]
        while stack:
            current = unwrap(stack.pop())
            said = test(current, path)
            if said is not None:
                return said
            if current.type == "identifier":
                decl = self.values.bindings(path).declaration(current)
                declarator = decl.declarator if decl is not None and decl.kind in ("const", "let", "var") else None
                value = declarator.child_by_field_name("value") if declarator is not None and \
                    declarator.type == "variable_declarator" else None
                if value is not None:
                    said = self.derives(value, path, test, depth + 1)
                    if said is not None:
                        return said
                continue
            if current.type == "call_expression":
                callee = current.child_by_field_name("function")
                for fn, at in self.values.functions(callee, Where(path), Trace()) if callee is not None else []:
                    for returned in self.values.returned(fn, at.path):
                        said = self.derives(returned, at.path, test, depth + 1)
                        if said is not None:
                            return said
            if current.type not in FUNCTIONS:
                stack.extend(reversed(current.named_children))
        return None


@dataclass
class _Walk:
    whole: bool = False  # see Flow.origins
    start_only: bool = False  # walking the first piece of a whole value: its end is not the value's
    steps: int = 0
    seen: set = None
    calls: list = None  # the call sites taken from the sink's function outwards
    # (function, call, its file) of each call whose result is being followed into the function, innermost
    # last: a parameter reached there is that call's argument (a helper's callers elsewhere pass it nothing)
    entered: list = None

    def __post_init__(self):
        self.seen = set()
        self.calls = []
        self.entered = []

    def stamped(self, origins: list[Origin]) -> list[Origin]:
        """The origins, with the calls taken to reach them (source side first)."""
        via = tuple(reversed(self.calls))
        return [o._replace(via=via) for o in origins] if via else origins


def _dominators(node: tree_sitter.Node) -> Iterator[tuple[str, tree_sitter.Node]]:
    """What decides whether ``node`` runs, in its function, nearest first: ("branch", an `if` whose
    consequence holds it) and ("before", each earlier statement of a block enclosing it)."""
    current, fn = node, enclosing_function(node)
    while current.parent is not None and (fn is None or current.id != fn.id):
        parent = current.parent
        if parent.type == "if_statement" and _same_node(parent.child_by_field_name("consequence"), current):
            yield "branch", parent
        if parent.type in ("statement_block", "program", "switch_case"):
            for sibling in parent.named_children:
                if sibling.start_byte >= current.start_byte:
                    break
                yield "before", sibling
        current = parent


def user_invoked(entry: EntryPoint) -> bool:
    """Does a user invoke the entry with a payload of their choosing: a resolver of a UI module (a panel, a
    macro, a gadget, a custom field's UI…: ``invoke(key, payload)`` from the browser) or a Rovo action? The
    functions a product calls itself (custom field values, merge checks, JQL functions, workflow rules) get
    what the product sends."""
    if entry.id.startswith("resolver:"):
        return bool(entry.invoked_by) and not set(entry.invoked_by) <= SYSTEM_MODULES
    return bool(USER_FUNCTION_MODULES & set(entry.invoked_by))


def web_triggered(entry: EntryPoint) -> bool:
    return "webtrigger" in entry.invoked_by


def receives_caller_data(entry: EntryPoint) -> bool:
    """Does whoever invokes the entry choose what it receives (a user's payload, a web trigger's request)?"""
    return user_invoked(entry) or web_triggered(entry)


def _entry_origin(entry: EntryPoint, index: int, suffix: tuple, where: Location) -> Origin:
    """What the entry's ``index``-th parameter, read at ``suffix``, holds for its kind of invocation."""
    shown = ".".join(suffix)
    if entry.id.startswith("resolver:"):  # ({ payload, context })
        if index == 0 and suffix[:1] == ("context",):
            return _context_origin(suffix[1:], where, "req.")
        return Origin("payload", where, "req." + (shown or "payload") if suffix[:1] == ("payload",) or not suffix
                      else "req." + shown)
    if index >= 1:
        return _context_origin(suffix, where, "")
    if web_triggered(entry):  # its `context` (cloudId, moduleKey) is the platform's, not the sender's
        if suffix[:1] == ("context",):
            return _context_origin(suffix[1:], where, "request.")
        return Origin("request", where, "request" + ("." + shown if shown else ""))
    if user_invoked(entry):
        return Origin("payload", where, "payload" + ("." + shown if shown else ""))
    return Origin("event", where, "event" + ("." + shown if shown else ""))


def _context_origin(suffix: tuple, where: Location, prefix: str) -> Origin:
    shown = prefix + "context" + "".join("." + s for s in suffix)
    return Origin("identity" if suffix[:1] and suffix[0] in IDENTITY else "context", where, shown)


def _property_key(member: tree_sitter.Node) -> str:
    """The property a member or subscript expression reads: `body` of `o.body`, `o['body']`; "*" when computed."""
    if member.type == "member_expression":
        prop = member.child_by_field_name("property")
        return text(prop) if prop is not None else "*"
    index = member.child_by_field_name("index")
    return string_value(index) if index is not None and index.type == "string" else "*"


def _properties(obj: tree_sitter.Node, suffix: tuple) -> list[tuple[tree_sitter.Node, tuple]]:
    """The values of an object literal that property ``suffix[0]`` may read, each with what is read from it
    then: the pair or shorthand of that name, a computed key's, and spreads (which may hold it)."""
    wanted, rest, found = suffix[0], suffix[1:], []
    for child in obj.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            name = string_value(key) if key is not None and key.type == "string" else text(key) if key is not None \
                else None
            if key is None or key.type == "computed_property_name" or wanted in ("*", name):
                found.append((child.child_by_field_name("value"), rest))
        elif child.type == "shorthand_property_identifier" and wanted in ("*", text(child)):
            found.append((child, rest))
        elif child.type == "spread_element" and child.named_children:
            found.append((child.named_children[0], suffix))
    return [(value, tail) for value, tail in found if value is not None]


def _ends_constant(node: tree_sitter.Node) -> bool:
    """Does the template or concatenation end with constant text (`${id}-metrics`, `id + ':cfg'`)?"""
    node = unwrap(node)
    if node.type == "template_string":
        pieces = [c for c in node.named_children if c.type != "comment"]
        return bool(pieces) and pieces[-1].type in ("string_fragment", "escape_sequence")
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
        right = node.child_by_field_name("right")
        return right is not None and (unwrap(right).type == "string" and len(text(right)) > 2
                                      or _ends_constant(right))
    return False


def arguments(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The argument expressions of a call or ``new`` expression (comments left out)."""
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None and \
        args.type == "arguments" else []


def _shown(node: tree_sitter.Node, limit: int = 60) -> str:
    shown = " ".join(text(node).split())
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _outermost_in(fn: tree_sitter.Node, site: tree_sitter.Node | None) -> bool:
    """Is ``fn`` the outermost function of a registering expression (`define('k', withErrors(async (req) =>
    …))`), the handler itself rather than a callback inside it?"""
    outer = enclosing_function(fn)
    return site is not None and (outer is None or not site.start_byte <= outer.start_byte < site.end_byte)


def _same_node(a, b) -> bool:
    return a is not None and b is not None and a.id == b.id


def _negated(condition: tree_sitter.Node) -> bool:
    """Does the condition hold when its check fails (`!ok`, `x !== y`)?"""
    inner = unwrap(condition)
    if inner.type == "unary_expression" and text(inner).startswith("!"):
        return True
    return inner.type == "binary_expression" and text(inner.child_by_field_name("operator")) in ("!==", "!=")


def _bare(condition: tree_sitter.Node) -> bool:
    """A condition that holds when its check passes (`if (allowed) return` exits on success, not failure)."""
    inner = unwrap(condition)
    return inner.type in ("identifier", "member_expression", "call_expression")


def _exits(block: tree_sitter.Node | None) -> bool:
    """Does the branch always leave (return, throw, continue)?"""
    if block is None:
        return False
    if block.type in _EXITS:
        return True
    if block.type == "statement_block":
        statements = [s for s in block.named_children if s.type != "comment"]
        return bool(statements) and _exits(statements[-1])
    return False


def _throws(block: tree_sitter.Node | None) -> bool:
    if block is None:
        return False
    if block.type == "throw_statement":
        return True
    statements = [s for s in block.named_children if s.type != "comment"] if block.type == "statement_block" else []
    return bool(statements) and _throws(statements[-1])


def _statement_calls(statement: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The calls a statement always makes: its first call, and the calls that compute that call's arguments
    (`bodyOf(verify(token, secret))`), not those in a callback or behind `&&`, `?:`."""
    todo = [_first_call(statement)]
    while todo:
        call = todo.pop()
        if call is None:
            continue
        yield call
        for arg in reversed(arguments(call)):
            node = unwrap(arg)
            if node.type == "call_expression":
                todo.append(node)


def _first_call(statement: tree_sitter.Node) -> tree_sitter.Node | None:
    """The call a statement runs (`await assertAdmin(ctx);`, `const x = await check(…);`)."""
    node = statement
    while node is not None and node.type != "call_expression":
        if node.type in ("expression_statement", "lexical_declaration", "variable_declaration"):
            node = node.named_children[0] if node.named_children else None
        elif node.type == "variable_declarator":
            node = node.child_by_field_name("value")
        elif unwrap(node) is not node:  # `await x`, `(x)`, `x as T`, `x!`
            node = unwrap(node)
        else:
            return None
    return node


__all__ = ["Flow", "Origin", "Guard", "Denylist", "Throwing", "user_invoked", "web_triggered", "receives_caller_data", "arguments", "IDENTITY"]

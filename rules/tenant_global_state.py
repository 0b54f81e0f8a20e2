"""Reports module-level state that carries one tenant's data into another tenant's invocation.

## What it does
Finds state that outlives an invocation — module-level bindings and the
objects they hold, closures, stores and memoized functions created at load time,
singletons, class statics, `globalThis`/`global` properties, module state in
webpack and esbuild bundles — that an invocation writes tenant data into
(product API responses, storage reads, the invocation's payload, event,
request or context, and `fetch` responses to requests that carry any of
those) under a key that is not tenant-scoped (an issue or project key, a
page, board or account id, or no key at all). A `fetch` built only from
constants and app-wide settings gets the same answer for every tenant and is
not counted as tenant data.

Forge bundles each handler file on its own (no shared chunks), so only the
invocations of one handler file's entries share a module's state: a leak
needs an entry writing tenant data and an entry reading it in the same
handler file's bundle, and the message names them ("shared by the
invocations of src/index.ts: resolver:getIssues, function:scheduled-sync").
A state written by one bundle's entries and read only by another's is not
reported.

* `error`: the state is written with tenant data and read back by an invocation;
* `warning`: written with tenant data, but no read was found, or every read is
  in code no entry point reaches (a function nothing calls);
* `note`: mutable state written per invocation with no tenant data (counters,
  timestamps), or state assigned whole as an unconditional top-level statement
  of every entry function that reads it, before any read and any call that
  might run app code (`logLevel = event.level` first thing): it carries
  nothing from one invocation to the next; also a one-entry cache reused
  only for the same tenant (below).

An equality-guarded slot is a one-entry cache: `let client` handed out only
where `lastToken === token` holds (`if (client && lastToken === token) return
client;`, or after `if (!client || lastToken !== token) { client = …;
lastToken = token; }`), with `lastToken = token` assigned next to every
`client = …`, all in one function, no `await` in between, and `token` that
function's own parameter or local (never reassigned, not a literal). When the
compared value differs between tenants (a credential such as a token or
secret, or a tenant identifier such as `cloudId`; not an issue, project, page,
board or account id; judged by its name and initializer), the slot is keyed
by it like a Map: it is a `note` ("reused only when 'lastToken' equals the invocation's 'token': a one-entry
cache keyed by 'token'"), and the key state, read only in equality tests,
gets no finding: its value never flows out. A slot also read elsewhere, a
guard against a constant or module state, or a key not assigned from the
compared value keeps the ordinary judgement (see auditor/facts/slot_guards.py).
A singleton of an app class (`export const svc = new Service()`) is judged
the same way field by field (`this.client` keyed by `this.clientToken`) when
callers only call its methods and the class uses `this` only as
`this.<field>` inside its methods: a note when every field holding tenant
data is such a slot or its only-compared key.

Writes keyed by a tenant identifier (`context.cloudId`, `context.installContext`,
the installation id, a workspace id, `getAppContext()`) are not reported.

## Why is this bad?
Forge's Node.js runtimes reuse a warm process for many invocations of many
installations. Whatever a module keeps between invocations is shared by every
customer site the process serves: `PROJ-1` in site A and `PROJ-1` in site B
land in the same cache slot, so B receives A's issue.

## Example
```js
const cache = {};
resolver.define('getIssue', async ({ payload }) => {
  if (cache[payload.key]) return cache[payload.key];
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`);
  return (cache[payload.key] = await res.json());
});
```

## How to fix
Keep per-invocation data inside the handler. If a cache is worth it, key it
by tenant (`${context.cloudId}:${key}`) and bound its size, or use Forge
storage (`@forge/kvs`), which is partitioned per installation.
"""

from __future__ import annotations

import functools
import re

from auditor.facts.scopes import FUNCTIONS
from auditor.facts.slot_guards import equality_guards, only_compared
from rules.base import Rule

MAX_RELATED = 20
_SITE_LOCAL = [
    (re.compile(r"issue", re.I), "an issue key or id is unique only within one site"),
    (re.compile(r"project", re.I), "a project key or id is unique only within one site"),
    (re.compile(r"page|content|space|blog", re.I), "a Confluence id is unique only within one site"),
    (re.compile(r"board|sprint", re.I), "a board or sprint id is unique only within one site"),
    (re.compile(r"account|user", re.I), "an account id names a person, not the site the data came from"),
]

# Values that differ between tenants: tenant identifiers, and credentials (a site's own token or secret).
_PER_TENANT = re.compile(r"cloudId|installContext|installation|workspaceId|siteId|getAppContext|token|secret|"
                         r"credential|apiKey|api_key|password", re.I)


def check(facts):
    guards = equality_guards(facts.state, _per_tenant)
    keys = {id(guard.key) for guard in guards.values()}
    # States read through the same functions have equal entry sets (thousands each in a big app): each
    # distinct union of the (immutable, cached) per-function sets is made, listed and grouped once.
    memo: dict = {}
    for state in facts.state:
        if id(state) in keys and only_compared(state):
            continue  # the key of a one-entry cache: only compared, its value never flows out
        leaking = [w for w in state.writes if w.tainted is not None and not w.tenant_keyed]
        if state.writes and all(w.tenant_keyed for w in state.writes):
            continue  # partitioned by tenant
        reaching = {id(a): _entries(facts, a) for a in state.writes + state.reads}
        writers = _union([reaching[id(a)] for a in leaking or state.writes], memo)
        readers = _union([reaching[id(a)] for a in state.reads], memo)
        entries = {
            "entryPoints": _ids(_union(list(reaching.values()), memo), memo),
            "writerEntryPoints": _ids(writers, memo),
            "readerEntryPoints": _ids(readers, memo),
        }
        if not leaking:
            yield _finding(state, "note", state.writes, entries,
                           f"module-level {_what(state)} is changed by every invocation "
                           f"({state.writes[0].how}) and shared by all tenants the process serves; "
                           "no tenant data was seen in it")
            continue
        write = leaking[0]
        guard = guards.get(id(state))
        if guard is not None:
            yield _finding(state, "note", leaking, entries,
                           f"module-level {_what(state)} holds the {write.taint_what}"
                           + (f" in '{guard.held_in}'" if guard.held_in != state.name else "")
                           + ", but is reused only when "
                           f"'{guard.key.name}' equals the invocation's '{guard.compared}' (guard `{guard.comparison}`, "
                           f"line {guard.line}; both are set together): a one-entry cache keyed by '{guard.compared}'"
                           + (f" (= `{guard.origin}`)" if guard.origin else "")
                           + ", which another tenant's invocation does not match")
            continue
        message = (f"module-level {_what(state)} keeps tenant data across invocations and tenants: "
                   f"{write.how} stores the {write.taint_what} {_key_reason(write)}")
        bundles_known = bool(facts.entries.entries and writers)
        shared = _shared(facts, writers, readers, memo) if bundles_known else {}
        if bundles_known and readers and not shared:
            continue  # every read is in another handler file's bundle, which has its own copy: no leak
        if readers or state.reads and not bundles_known:
            level = "error"
            message += f"; {state.reads[0].how} reads it back in a later invocation, possibly another tenant's"
        elif state.reads:
            level = "warning"
            message += (f"; its only reads ({_listed(r.how for r in state.reads)}) are in code no entry point "
                        "reaches, but the data outlives the invocation")
        else:
            level = "warning"
            message += "; no read was found, but the data outlives the invocation"
        if shared:
            entries["sharedBy"] = shared
            message += "; " + _sharing(shared)
            key = ("sharing", readers, tuple(shared))
            if key not in memo:
                memo[key] = sorted((e for e in readers if _relative(facts, e.bundle) in shared), key=lambda e: e.id)
            sharing = memo[key]
            reset = _reset_first(state, reaching, sharing)
            if reset is not None:
                level = "note"
                message = (f"module-level {_what(state)} holds invocation data ({write.taint_what}), but every "
                           f"invocation that reads it ({_listed(e.id for e in sharing)}) first assigns it whole "
                           f"({reset.how}), before any read, so it carries nothing from one invocation to the next; "
                           + _sharing(shared))
        yield _finding(state, level, leaking, entries, message)


def _per_tenant(guard) -> bool:
    """Does the guard's compared value differ between tenants (a tenant identifier or a credential, and
    not a site-local id that repeats across sites)?"""
    if any(pattern.search(guard.compared) or pattern.search(guard.origin) for pattern, _ in _SITE_LOCAL):
        return False
    return bool(_PER_TENANT.search(guard.compared) or _PER_TENANT.search(guard.origin))


def _union(sets: list[frozenset], memo: dict) -> frozenset:
    """The union of ``sets``, one object per distinct union: its hash is computed once."""
    key = ("union", frozenset(sets))
    if key not in memo:
        memo[key] = frozenset().union(*sets)
    return memo[key]


def _ids(entries: frozenset, memo: dict) -> list[str]:
    key = ("ids", entries)
    if key not in memo:
        memo[key] = sorted({e.id for e in entries})
    return list(memo[key])


def _relative(facts, path) -> str:
    return _relative_to(path, facts.app.root)


@functools.lru_cache(maxsize=4096)  # asked once per entry and finding: resolving each time cost seconds
def _relative_to(path, root) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _shared(facts, writers, readers, memo: dict) -> dict[str, list[str]]:
    """Handler file -> its entries that write or read the state (writers first, each id once), for each
    handler-file bundle where an entry writes tenant data and an entry reads: each bundle loads its own
    copy of every module."""
    written, read = _by_bundle(facts, writers, memo), _by_bundle(facts, readers, memo)
    return {bundle: _merged(written[bundle][0], *read[bundle]) for bundle in sorted(written.keys() & read.keys())}


def _by_bundle(facts, entries, memo: dict) -> dict[str, tuple[list[str], dict[str, int]]]:
    """Handler file (relative) -> the ids of ``entries`` bundled from it, sorted, each once, and the
    position of each id in that list."""
    key = ("by bundle", entries)
    if key not in memo:
        ids: dict = {}
        for e in entries:
            if e.bundle is not None:
                ids.setdefault(e.bundle, []).append(e.id)
        grouped: dict[str, list[str]] = {}
        for bundle, found in ids.items():
            grouped.setdefault(_relative(facts, bundle), []).extend(found)
        memo[key] = {}
        for bundle, found in grouped.items():
            unique = list(dict.fromkeys(sorted(found)))
            memo[key][bundle] = (unique, {entry: i for i, entry in enumerate(unique)})
    return memo[key]


def _merged(first: list[str], second: list[str], position: dict[str, int]) -> list[str]:
    """``first`` then ``second``, each id once; ``second`` holds no repeats and ``position`` indexes it.
    Slices of ``second`` around the ids ``first`` has: a state's readers can be thousands, its writers few."""
    merged, start = list(dict.fromkeys(first)), 0
    for at in sorted(position[entry] for entry in merged if entry in position):
        merged += second[start:at]
        start = at + 1
    return merged + second[start:]


def _sharing(shared: dict) -> str:
    """Which invocations share the state, per handler file: a few names each; properties.sharedBy has them all."""
    return "; ".join(f"shared by the invocations of {bundle}: {_listed(ids, limit=3, unique=True)}"
                     for bundle, ids in shared.items())


def _listed(items, limit: int = 8, unique: bool = False) -> str:
    """The first ``limit`` items and how many more; ``unique``: ``items`` is a list with no repeats."""
    items = items if unique else list(dict.fromkeys(items))
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _reset_first(state, reaching, readers):
    """The write that sets the whole state in the top-level body of every reader entry's function,
    unconditionally and before any read of it there, with no call before it when a function called
    from the entry reads the state (a read elsewhere could otherwise run first); None when any reader
    cannot be shown to do so."""
    found = None
    for entry in readers:
        body = entry.node.child_by_field_name("body") if entry.node is not None else None
        if body is None or body.type != "statement_block":
            return None
        reads = [r for r in state.reads if entry in reaching[id(r)]]
        inside = [r for r in reads if r.location.path == entry.file
                  and entry.node.start_byte <= r.node.start_byte < entry.node.end_byte]
        reset, before = None, []
        for statement in body.named_children:
            reset = next((w for w in state.writes if _resets(w, statement, state)), None)
            if reset is not None:
                break
            before.append(statement)
        if reset is None or any(r.node.start_byte < statement.end_byte for r in inside):
            return None
        if len(inside) < len(reads) and any(_calls(n) for n in before + [statement]):
            return None
        found = found or reset
    return found


def _resets(write, statement, state) -> bool:
    """Is ``statement`` the expression statement `state = …` (the whole binding by its own name, not a
    part of it, nor an alias that held it)?"""
    node = write.node
    if node.type != "assignment_expression" or node.parent is None or node.parent != statement:
        return False
    left = node.child_by_field_name("left")
    return left is not None and left.text.decode() == state.name


# Built-ins that call no app code (no callback arguments): a call of one before the reset cannot read the state.
_INERT_METHODS = {"includes", "indexOf", "startsWith", "endsWith", "toLowerCase", "toUpperCase", "trim", "split",
                  "join", "slice", "keys", "values", "entries", "now", "parse", "stringify", "toString", "toFixed",
                  "padStart", "padEnd", "at", "isArray", "isInteger"}
_INERT_FUNCTIONS = {"String", "Number", "Boolean", "parseInt", "parseFloat"}


def _calls(node) -> bool:
    """Does ``node`` call anything that may run app code (which might read the state)?"""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "new_expression":
            return True
        if current.type == "call_expression":
            fn = current.child_by_field_name("function")
            args = current.child_by_field_name("arguments")
            name = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else fn
            inert = name is not None and name.text.decode() in (
                _INERT_METHODS if fn.type == "member_expression" else _INERT_FUNCTIONS)
            if not inert or args is None or any(a.type in FUNCTIONS for a in args.named_children):
                return True
        stack.extend(current.named_children)
    return False


def _what(state) -> str:
    kinds = {"memoized": "memoized function", "instance": "singleton", "global": "global property",
             "static": "class static", "let": "variable", "cache": "cache", "closure": "store created at load"}
    return f"{kinds.get(state.kind, state.kind)} '{state.name}'"


def _key_reason(write) -> str:
    if not write.keys:
        return "with no key: one slot shared by every tenant"
    key = write.keys[0]
    shown = f"`{key}` (= `{write.key_origin}`)" if write.key_origin else f"`{key}`"
    for pattern, why in _SITE_LOCAL:
        if pattern.search(write.key_origin or key):
            return f"keyed by {shown}, which is not tenant-scoped: {why}"
    return f"keyed by {shown}, which contains no tenant identifier (cloudId, installContext, installation id)"


def _entries(facts, access) -> frozenset:
    if access.function is None or facts.graph is None:
        return frozenset()
    return facts.entries.reaching(access.node, access.location.path, facts.graph)


def _finding(state, level, writes, entries, message):
    related = [w.location.with_message(f"write: {w.how}") for w in writes] + \
              [r.location.with_message(f"read: {r.how}") for r in state.reads]
    flows = [[w.tainted.with_message(w.taint_what), w.location.with_message(f"stored in '{state.name}'")]
             for w in writes[:3] if w.tainted is not None]
    flows += [[r.location.with_message(f"read from '{state.name}'"), r.returned.with_message("returned to the caller")]
              for r in state.reads if r.returned is not None][:3]
    return RULE.finding(
        message, state.declaration, level=level, related=related[:MAX_RELATED], code_flows=flows,
        properties={"state": state.name, "kind": state.kind, "key": writes[0].keys[0] if writes[0].keys else None,
                    **entries, "writes": len(state.writes), "reads": len(state.reads)},
    )


RULE = Rule(
    id="tenant/global-state", name="TenantLeakingGlobalState", level="error",
    summary="Module-level state carries tenant data across invocations",
    doc=__doc__, cwe=(488, 668), precision="high", security_severity=8.1, check=check, invocations=True,
    module_state=True,
)

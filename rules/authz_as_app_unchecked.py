"""Reports `asApp()` product calls in user-invokable code that no authorization check guards.

## What it does
In an entry a user invokes (resolvers of UI modules, macros, custom fields,
dashboard gadgets, Rovo actions…), finds product API calls made with
`api.asApp()` — `requestJira`, `requestConfluence`, `requestBitbucket`… — that
no authorization check guards on every path to the call. A check is:

* `authorize()` (`@forge/api` / `@forge/authorize`) whose result gates the call
  (`if (!await authorize().onJiraIssue(id).canEdit()) return;`);
* a permission endpoint called `asUser()` (`/rest/api/3/mypermissions`,
  `/rest/api/3/permissions/check`, Confluence `…/permission/check`) whose
  result gates the call;
* an `asUser()` request for the same resource (its path a prefix of the
  call's) whose failure stops the handler (`if (!res.ok) throw …`).

Gating means an `if` that returns or throws when the check fails before the
call, or an `if` whose branch holds the call; a helper that throws when its
check fails counts where it is called, and a call in a helper is guarded when
every call of the helper on a path from a user-invoked entry is (a web
trigger calling the same helper has no user to authorize). A check on one
branch only, or an `authorize()` whose result is ignored, is not a check.

`error` when the call's path or request options take caller data (the
payload, a caller-described part of `context`: an issue key in the path, a
project in a JQL body); `warning` when they take nothing from the caller. Not reported: `asUser()` calls, entries with no user (scheduled and
product-event triggers, queue consumers, lifecycle events, web triggers —
see `webtrigger/unauthenticated`), and trivial paths (`/myself`, `serverInfo`).

## Why is this bad?
`asApp()` acts with every permission the app was granted on the site, not
the permissions of the user who invoked the function. Without a check, any
user who can open the module — or who calls the resolver directly with a
crafted payload — reads or changes issues, pages and projects they cannot
see (CWE-862).

## Example
```js
resolver.define('setPriority', async ({ payload }) => {
  await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`, {
    method: 'PUT', body: JSON.stringify({ fields: { priority: { id: payload.priorityId } } }),
  });
});
```

## How to fix
Call the API `asUser()` when the user's own permissions are what you mean,
or check first and stop on failure:
`if (!(await authorize().onJiraIssue(payload.issueKey).canEdit())) throw new Error('Forbidden');`.
"""

from __future__ import annotations

import re

from auditor.facts.bindings import HOLE, callee_name, unwrap
from auditor.facts.taint import arguments, user_invoked
from auditor.facts.values import Trace, Where
from rules.base import Rule
from rules.invocation_data import flow_finding, listed, shown

REQUESTS = ("requestJira", "requestConfluence", "requestBitbucket")
TRIVIAL = re.compile(r"/myself\b|/serverInfo\b|/user/current\b")
PERMISSION_ENDPOINTS = re.compile(r"/mypermissions\b|/permissions/check\b|/permission/check\b|/permissions\b")


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(user_invoked):
        return
    for call, path in flow.calls(REQUESTS):
        fn = unwrap(call.child_by_field_name("function"))
        if fn.type != "member_expression" or "asApp" not in flow.values.clients(fn.child_by_field_name("object"),
                                                                                Where(path)):
            continue
        entries = {e for e in flow.reaching(call, path) if user_invoked(e)}
        named = arguments(call)
        if not entries or not named:
            continue
        # a wrapper's path parameter: its callers' paths (`requestJiraJson(route`/rest/api/3/issue/${k}`)`)
        read = flow.values.strings(named[0], Where(path), Trace(open=True))
        paths = [shape for shape in map(_shape, read) if shape != "{}"]
        if paths and all(TRIVIAL.search(p) for p in paths):
            continue
        if flow.guarded(call, path, _authorization(flow, paths), within=entries) is not None:
            continue
        origins = [o for arg in named[:2] for o in flow.caller_origins(arg, path)]  # the path, the request body
        entry = min(entries, key=lambda e: e.id)
        missing = flow.location(entry.node, entry.file, "the entry: no authorization check before the call") \
            if entry.node is not None else None
        what = _paths_shown(paths)
        if origins:
            origin = origins[0]
            yield flow_finding(
                RULE, flow, call, path, origin,
                f"{shown(call)} acts with the app's permissions on a target the caller chose ({origin.what}) and no "
                f"authorization check guards it on every path: any user who can invoke {listed(entries)} reaches "
                f"{what} whether or not they may; check with authorize() or an asUser() request first, or use "
                "asUser()", entries, missing=missing, properties={"path": what})
        else:
            yield RULE.finding(
                f"{shown(call)} acts with the app's permissions ({what}) in code any user who can invoke "
                f"{listed(entries)} runs, and no authorization check guards it: make sure every user may see what it "
                "returns or does, or use asUser()",
                flow.location(call, path), level="warning", related=[missing] if missing else [],
                properties={"entryPoints": sorted(e.id for e in entries), "path": what})


def _paths_shown(paths: list[str], limit: int = 3) -> str:
    """The distinct paths a call may request, the first ``limit`` named."""
    distinct = sorted(set(paths))
    if not distinct:
        return "a path built at run time"
    more = len(distinct) - limit
    return ", ".join(distinct[:limit]) + (f" and {more} more" if more > 0 else "")


def _shape(parts: list) -> str:
    """A path for messages and comparisons: holes as `{}`, the query left out."""
    return "".join("{}" if part is HOLE else part for part in parts).split("?", 1)[0]


def _authorization(flow, sink_paths):
    """The check of a condition: what authorizes the call it gates, or None."""
    def is_check(node, path):
        return flow.derives(node, path, lambda n, p: _authorizing_call(flow, n, p, sink_paths))
    return is_check


def _authorizing_call(flow, node, path, sink_paths) -> str | None:
    if node.type != "call_expression":
        return None
    fn = unwrap(node.child_by_field_name("function"))
    chain = fn
    while chain is not None:  # authorize().onJiraIssue(id).canEdit(): authorize() is somewhere in the chain
        if chain.type == "call_expression":
            if callee_name(chain.child_by_field_name("function")) == "authorize":
                return "authorize()"
            chain = unwrap(chain.child_by_field_name("function"))
        elif chain.type == "member_expression":
            chain = unwrap(chain.child_by_field_name("object"))
        else:
            chain = None
    if callee_name(fn) == "authorize":
        return "authorize()"
    if callee_name(fn) not in REQUESTS or fn.type != "member_expression" or \
            "asUser" not in flow.values.clients(fn.child_by_field_name("object"), Where(path)):
        return None
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    checked = [_shape(parts) for parts in flow.values.strings(first, Where(path))] if first is not None else []
    for route in checked:
        if PERMISSION_ENDPOINTS.search(route):
            return f"asUser() {route}"
        if any(sink == route or sink.startswith(route.rstrip("/") + "/") for sink in sink_paths):
            return f"asUser() {route}"
    return None


RULE = Rule(
    id="authz/as-app-unchecked", name="UncheckedAsAppCall", level="error",
    summary="asApp() product call in user-invokable code with no authorization check",
    doc=__doc__, cwe=(862,), precision="medium", security_severity=8.1, check=check, invocations=True,
)


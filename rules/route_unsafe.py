"""Reports product API paths built from caller data with `assumeTrustedRoute` or `routeFromAbsolute`.

## What it does
Finds calls of `@forge/api`'s `assumeTrustedRoute(…)` and `routeFromAbsolute(…)`
whose argument derives from what the caller of an entry point chose: a
resolver's or UI/Rovo function's payload, a caller-described part of
`context`, or a web trigger's request (followed through variables, templates,
concatenations, helpers and files). The `route` tagged template is not
reported: it escapes every substituted value.

## Why is this bad?
Both functions take the path as it is. A caller who sends `10001/../../user`
or `PROJ-1?expand=…` instead of an issue key reaches a different endpoint
than the one the code was written for — with `asApp()`, under every
permission the app holds (path traversal, server-side request forgery inside
the product).

## Example
```js
resolver.define('getProperty', async ({ payload }) => {
  const res = await api.asApp().requestJira(
    assumeTrustedRoute(`/rest/api/3/issue/${payload.issueKey}/properties/${payload.name}`));
  return res.json();
});
```

## How to fix
Build the path with the `route` template
(``route`/rest/api/3/issue/${payload.issueKey}/properties/${payload.name}` ``),
which encodes each value; for a URL the caller hands over (a `self` link),
parse it, check host and path against what you expect, and rebuild it with
`route`.
"""

from __future__ import annotations

from auditor.facts.bindings import callee_name, unwrap
from auditor.facts.taint import arguments, receives_caller_data
from rules.base import Rule
from rules.invocation_data import flow_finding, listed, shown

UNSAFE = ("assumeTrustedRoute", "routeFromAbsolute")


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(receives_caller_data):
        return
    for call, path in flow.calls(UNSAFE):
        if not _from_forge_api(flow, call, path):
            continue
        named = arguments(call)
        origins = flow.caller_origins(named[0], path) if named else []
        if not origins:
            continue
        entries = flow.reaching(call, path)
        origin = origins[0]
        yield flow_finding(
            RULE, flow, call, path, origin,
            f"{callee_name(call.child_by_field_name('function'))}() builds a product API path from {origin.what} "
            f"(caller data) without escaping it: a caller of {listed(entries)} can add `../` segments or query "
            f"parameters and reach another endpoint; use the route`…` template ({shown(call)})",
            entries,
        )


def _from_forge_api(flow, call, path) -> bool:
    """Is the callee @forge/api's function (imported by name, a member of the package, or bundled)?"""
    callee = unwrap(call.child_by_field_name("function"))
    bindings = flow.values.bindings(path)
    if callee.type == "identifier":
        return bindings.imported_from_forge(callee.text.decode()) is not None
    receiver = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    return receiver is not None and bindings.forge_module(receiver) == "api"


RULE = Rule(
    id="route/unsafe", name="CallerChosenRoute", level="error",
    summary="Product API path built from caller data with assumeTrustedRoute/routeFromAbsolute",
    doc=__doc__, cwe=(22, 918), precision="high", security_severity=8.1, check=check, invocations=True,
)

"""Reports an API call, product event or storage use whose scopes the manifest does not declare.

## What it does
Resolves each `requestJira` / `requestConfluence` / `requestBitbucket` call
(from `@forge/api` `asApp()`/`asUser()` or `@forge/bridge`) to a method and an
endpoint of the bundled catalog, then checks that `permissions.scopes` holds
all classic scopes or all granular scopes of that operation (or one of its
further alternatives). Trigger events, Forge storage, remote tokens and the SDK
helpers that call product APIs for the app (property hooks, the Properties API,
`privacy`, `realtime.subscribeGlobal`, `requestTeamworkGraph`, `authorize()`,
`@atlassian/forge-graphql` Compass methods) are checked the same way. Scopes
the catalog's sources only infer (most DevOps operations, rows marked
unverified) never raise this finding on their own.

## Why is this bad?
The call fails with 401/403 at run time, in the customer's site, and often only
on the code path nobody tested.

## Example
```js
// manifest declares only read:jira-work
await api.asApp().requestJira(route`/rest/api/3/issue/${key}/comment`, { method: 'POST' });
```

## How to fix
Add the scopes the message names to `permissions.scopes`: the classic scope, or
the rest of the granular set when the manifest already declares part of it.
Admins must re-consent after a scope is added.
"""

from __future__ import annotations

from rules.base import Rule


def check(facts):
    if facts.manifest is None:
        return
    declared = facts.declared_scopes
    related = [facts.manifest.scopes_location.with_message("declared scopes")] if facts.manifest.scopes_location else []
    for need in facts.needs:
        if not need.verified or need.satisfied_by(declared):
            continue
        first = next(r for r in need.requirements if not r.unverified)
        # the set the app already declares part of (it is moving to granular scopes), else the classic set
        closest = next((a for a in first.alternatives if a & declared), first.alternatives[0])
        wanted = sorted(closest - declared)
        options = " | ".join(dict.fromkeys(r.describe() for r in need.requirements))
        yield RULE.finding(
            f"{need.what} needs {options}; manifest.yml does not declare {', '.join(wanted)}",
            need.location, related=related,
            properties={"needs": need.what, "missingScopes": wanted,
                        "acceptedScopeSets": [sorted(a) for r in need.requirements for a in r.alternatives]},
        )


RULE = Rule(
    id="scope/missing", name="MissingScope", level="error",
    summary="Code or a trigger needs a scope the manifest does not declare",
    doc=__doc__, cwe=(16,), precision="high",
    security_severity=3.0, check=check,
)

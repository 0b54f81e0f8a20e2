"""Reports Forge storage keys that the caller of a user-invokable entry chooses whole.

## What it does
In code a user can invoke (resolvers of UI modules, macros, custom fields,
Rovo actions…), finds Forge storage calls — `get`, `set`, `delete`,
`getSecret`, `setSecret`, `deleteSecret` on `kvs` / `storage` of `@forge/kvs`,
`@forge/storage` or `@forge/api`, and on entity stores (`kvs.entity('x')`) —
whose key is caller data from start to end: the payload, or a
caller-described part of `context`. A key with a constant prefix or suffix
(`settings:${payload.id}`, `${projectKey}-metrics`: the caller reaches only
keys of that namespace), a key from `context.accountId` or another identity
field, and a constant key are not reported; a separator between two caller
parts (`scope + ':' + name`) namespaces nothing.

## Why is this bad?
Forge storage is one key space per installation. When the caller picks the
whole key, any user of the site can read, overwrite or delete any entry: the
app's settings, other users' data, and the secrets the app keeps with
`setSecret` (API tokens of third-party services).

## Example
```js
resolver.define('getSetting', ({ payload }) => kvs.get(payload.key));
```

## How to fix
Put the caller's part after a constant namespace the caller cannot leave
(`kvs.get(`user-settings:${context.accountId}:${name}`)`), allow-list the
names a caller may ask for, and never let a caller name a secret.
"""

from __future__ import annotations

from auditor.facts.bindings import callee_name, unwrap
from auditor.facts.taint import arguments, user_invoked
from rules.base import Rule
from rules.invocation_data import flow_finding, listed, shown

KEYED = ("get", "set", "delete", "getSecret", "setSecret", "deleteSecret")


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(user_invoked):
        return
    for call, path in flow.calls(KEYED):
        fn = unwrap(call.child_by_field_name("function"))
        if fn.type != "member_expression" or not flow.is_storage(fn.child_by_field_name("object"), path):
            continue
        named = arguments(call)
        if not named:
            continue
        entries = {e for e in flow.reaching(call, path) if user_invoked(e)}
        origins = flow.caller_origins(named[0], path, whole=True) if entries else []
        if not origins:
            continue
        origin, name = origins[0], callee_name(fn)
        yield flow_finding(
            RULE, flow, call, path, origin,
            f"{shown(call)} {_verb(name)} the storage key the caller chose ({origin.what}): any user of "
            f"{listed(entries)} can {_verb(name, reach=True)} any key of the installation, the app's settings "
            "and secrets included; start the key with a constant namespace",
            entries, properties={"method": name},
        )


def _verb(name: str, reach: bool = False) -> str:
    if name.startswith("set"):
        return "overwrite" if reach else "writes"
    if name.startswith("delete"):
        return "delete" if reach else "deletes"
    return "read" if reach else "reads"


RULE = Rule(
    id="storage/client-key", name="CallerChosenStorageKey", level="error",
    summary="Forge storage key chosen whole by the caller of a user-invokable entry",
    doc=__doc__, cwe=(639,), precision="high", security_severity=7.5, check=check, invocations=True,
)

"""Reports web triggers that act on a request without verifying it against a secret.

## What it does
In code a web trigger runs, finds `asApp()` product calls, Forge storage
writes (`set`, `delete`, `setSecret`, `deleteSecret`, entity writes) and
Compass changes through `@atlassian/forge-graphql` made `asApp()`
(`createEvent`, `configAsCode.syncComponentWithFile`: the methods needing a
write or delete scope) whose path, key, body, value or input derive from the
request (not its `context`, which the platform sets), when no verification
guards them on every path. Verification is a comparison of a request value
(a header, a query parameter, the body) with a secret from `process.env` or
secret storage (`storage.getSecret`, `kvs.getSecret`), or of a request header
with a token the app keeps in storage (`x-gitlab-token` against the value
stored when the webhook was made) — `===`/`!==`, or
`crypto.timingSafeEqual` over an HMAC made with `crypto.createHmac` (a
hard-coded HMAC key is `secret/hardcoded`'s finding) — in an `if` that returns
or throws when it fails, before the call (or an `if` whose branch holds it),
or a call that throws unless a token from the request is signed with the
secret: jsonwebtoken's `jwt.verify(token, secret)`, jose's `jwtVerify`,
atlassian-jwt's `decodeSymmetric(token, secret, alg)`. A helper that throws
when its check fails (also from a `catch` that throws again) counts where it
is called, and a callback (`servers.forEach((s) => …)`) is guarded where it is
handed over. A request value that finds a record the app stored under a random token
(`oauth-state:${randomUUID()}`: an OAuth callback's `state`), with the
handler stopping when it finds none, verifies the request too. Reading a
secret without comparing it with the request is not verification.
Only the paths from web triggers count. A check that runs only when some
condition holds (`if (secret) { … }`, so a missing secret lets every request
through) is reported as a warning that names the check and the condition.

## Why is this bad?
A web trigger URL is public and Forge does not authenticate its callers.
Whoever learns the URL (from a log, a browser history, a shared webhook
configuration) can send requests that the app acts on with its own
identity: comments and transitions in any project the app can reach,
writes into the installation's storage (CWE-306).

## Example
```js
export async function onBuild(request) {
  const build = JSON.parse(request.body);
  await api.asApp().requestJira(route`/rest/api/3/issue/${build.issueKey}/comment`, {
    method: 'POST', body: JSON.stringify(comment(build)) });
  return { statusCode: 204 };
}
```

## How to fix
Have the sender sign each request with a shared secret kept in an
environment variable (`forge variables set --encrypt`) or secret storage,
and reject requests whose signature does not match before doing anything:
`if (!timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) return { statusCode: 401 };`.
"""

from __future__ import annotations

import functools

from auditor.facts.bindings import callee_name, string_value, unwrap
from auditor.facts.sdk_calls import compass_client
from auditor.facts.taint import Throwing, arguments, web_triggered
from auditor.facts.values import Where
from auditor.parsing import text
from rules import catalog
from rules.base import Rule
from rules.invocation_data import flow_finding, listed, shown

REQUESTS = ("requestJira", "requestConfluence", "requestBitbucket")
STORAGE_WRITES = ("set", "delete", "setSecret", "deleteSecret")
EQUALITY = ("===", "!==", "==", "!=")
SECRETS = ("env", "secret")


@functools.cache  # read when a web trigger is scanned, not at every start-up
def _compass_writes() -> tuple[str, ...]:
    """@atlassian/forge-graphql Compass methods that change data (a write or delete scope): createEvent, ..."""
    return tuple(sorted({method.rsplit(".", 1)[-1] for method, entry in catalog.compass_methods().items()
                         if any(scope.startswith(("write:", "delete:")) for scope in entry["scopes"])}))


def check(facts):
    flow = facts.flow
    if flow is None or not flow.invoked(web_triggered):
        return
    verification = None  # built at the first sink that needs it, once
    for call, path in flow.calls(REQUESTS + STORAGE_WRITES + _compass_writes()):
        what = _sink(flow, call, path)
        if what is None:
            continue
        entries = {e for e in flow.reaching(call, path) if web_triggered(e)}
        if not entries:
            continue
        named = arguments(call)
        origins = [o for arg in named[:2] for o in flow.origins(arg, path) if o.kind == "request"]
        if not origins:
            continue
        verification = verification or _verification(flow)
        if flow.guarded(call, path, verification, within=entries) is not None:
            continue
        partial = flow.guarded_when(call, path, verification, within=entries)
        if partial is not None:  # `if (secret) { verify }`: fails open when no secret is set
            guard, condition = partial
            yield flow_finding(
                RULE, flow, call, path, origins[0],
                f"{shown(call)} {what} from the web trigger's request ({origins[0].what}), verified against a "
                f"secret ({guard.what}, line {guard.location.region.start_line}) only when `{shown(unwrap(condition))}` "
                f"holds: without it, anyone who knows the URL of {listed(entries)} can make the app do it; "
                "reject the request when the secret is missing", entries,
                missing=flow.location(condition, path, "the check is skipped when this is false"), level="warning")
            continue
        entry = min(entries, key=lambda e: e.id)
        missing = flow.location(entry.node, entry.file, "the web trigger: no check of the request against a secret") \
            if entry.node is not None else None
        yield flow_finding(
            RULE, flow, call, path, origins[0],
            f"{shown(call)} {what} from the web trigger's request ({origins[0].what}), and nothing verifies the "
            f"request against a secret first: anyone who knows the URL of {listed(entries)} can make the app do it; "
            "compare a signature or token from the request with a secret from process.env or secret storage and "
            "return early when it does not match", entries, missing=missing)


def _sink(flow, call, path) -> str | None:
    """What the call does for the app, when it is a sink: an asApp() request or a storage write."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn.type != "member_expression":
        return None
    name, receiver = callee_name(fn), fn.child_by_field_name("object")
    if name in REQUESTS and "asApp" in flow.values.clients(receiver, Where(path)):
        return "acts with the app's identity on a target"
    if name in STORAGE_WRITES and flow.is_storage(receiver, path):
        return "writes storage with data"
    if name in _compass_writes() and any(
            value is not None and compass_client(value, flow.values.bindings(at.path)) == "asApp"
            for value, at in flow.values.sources(receiver, Where(path))):
        return "changes Compass with the app's identity, with data"
    return None


def _verification(flow) -> Throwing:
    issued = _issued_namespaces(flow)

    def is_check(condition, path):
        return flow.derives(condition, path, lambda node, at: _verifies(flow, node, at, issued))
    return Throwing(is_check, lambda call, path: _token_verified(flow, call, path))


def _verifies(flow, node, path, issued: frozenset[str] = frozenset()) -> str | None:
    """A comparison of request data with a secret, timingSafeEqual over a secret's HMAC, or the look-up of
    a token the app issued (see _issued_namespaces) by the value the request brings."""
    if node.type == "call_expression" and issued and callee_name(node.child_by_field_name("function")) == "get":
        fn, named = unwrap(node.child_by_field_name("function")), arguments(node)
        prefix = _key_prefix(named[0]) if named and fn.type == "member_expression" else None
        if prefix in issued and flow.is_storage(fn.child_by_field_name("object"), path) and \
                any(o.kind == "request" for o in flow.origins(named[0], path)):
            return f"the look-up of a token the app issued ({prefix}…)"
    if node.type == "binary_expression" and node.child_by_field_name("operator").type in EQUALITY:
        sides = [flow.origins(node.child_by_field_name(side), path) for side in ("left", "right")]
        for request, other in (sides, sides[::-1]):
            if any(o.kind == "request" for o in request) and any(o.kind in SECRETS for o in other):
                return "comparison with a secret"
            # a token header matched against one the app stored when it set the webhook up (`x-gitlab-token`)
            if any(o.kind == "request" and o.what.startswith("request.headers") for o in request) and \
                    any(o.kind == "storage" for o in other):
                return "comparison of a request header with a value from storage"
    if node.type == "call_expression" and callee_name(node.child_by_field_name("function")) == "timingSafeEqual":
        args = node.child_by_field_name("arguments")
        if any(o.kind in SECRETS for arg in args.named_children for o in flow.origins(arg, path)):
            return "timingSafeEqual() with a secret"
        if any(flow.derives(arg, path, _hmac) for arg in args.named_children):
            return "timingSafeEqual() with an HMAC"  # where its key comes from is secret/hardcoded's question
    return None


# Library calls that throw unless a token verifies with the key they are given: jsonwebtoken's
# `jwt.verify(token, key)`, jose's `jwtVerify(token, key)`, atlassian-jwt's `decodeSymmetric(token, secret, alg)`
# (unless its fourth argument, noVerify, is true).
TOKEN_VERIFIERS = ("verify", "jwtVerify", "decodeSymmetric")


def _token_verified(flow, call, path) -> str | None:
    """A call that throws unless a token from the request verifies with a secret."""
    name = callee_name(call.child_by_field_name("function"))
    named = arguments(call)
    if name not in TOKEN_VERIFIERS or len(named) < 2 or \
            name == "decodeSymmetric" and len(named) > 3 and unwrap(named[3]).type != "false":
        return None
    if any(o.kind == "request" for o in flow.origins(named[0], path)) and \
            any(o.kind in SECRETS for o in flow.origins(named[1], path)):
        return f"{name}() of a token from the request with a secret"
    return None


# Calls (by own name) whose result is random: crypto's randomUUID/randomBytes/getRandomValues, Math.random, uuid's v4.
RANDOM = ("randomUUID", "randomBytes", "getRandomValues", "random", "v4", "uuidv4", "nanoid")


def _issued_namespaces(flow) -> frozenset[str]:
    """The constant prefixes of storage keys the app writes with a random part (`oauth-state:${randomUUID()}`,
    a nonce in an OAuth `state`): a record under one exists only for whoever the app handed the token to, so a
    request whose value finds one brings that token (the OAuth callback checking its `state`)."""
    found = set()
    for call, path in flow.calls(("set",)):
        fn, named = unwrap(call.child_by_field_name("function")), arguments(call)
        if fn.type != "member_expression" or not named or not flow.is_storage(fn.child_by_field_name("object"), path):
            continue
        key = unwrap(named[0])
        prefix = _key_prefix(key)
        rest = key.named_children[1:] if key.type == "template_string" else [key.child_by_field_name("right")]
        if prefix and any(part is not None and flow.derives(part, path, _random) for part in rest):
            found.add(prefix)
    return frozenset(found)


def _key_prefix(key) -> str | None:
    """The constant start of a `prefix:${x}` template or a `'prefix:' + x` concatenation."""
    key = unwrap(key)
    if key.type == "template_string":
        first = next((c for c in key.named_children if c.type != "comment"), None)
        return text(first) if first is not None and first.type == "string_fragment" else None
    if key.type == "binary_expression" and text(key.child_by_field_name("operator")) == "+":
        left = unwrap(key.child_by_field_name("left"))
        return string_value(left) if left.type == "string" else None
    return None


def _random(node, path) -> str | None:
    return "random" if node.type == "call_expression" and \
        callee_name(node.child_by_field_name("function")) in RANDOM else None


def _hmac(node, path) -> str | None:
    return "createHmac()" if node.type == "call_expression" and \
        callee_name(node.child_by_field_name("function")) == "createHmac" else None


RULE = Rule(
    id="webtrigger/unauthenticated", name="UnauthenticatedWebTrigger", level="error",
    summary="Web trigger acts on a request it does not verify against a secret",
    doc=__doc__, cwe=(306,), precision="high", security_severity=8.6, check=check, invocations=True,
)

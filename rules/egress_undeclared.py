"""Reports a `fetch` of a literal URL whose host `permissions.external.fetch` does not declare.

## What it does
Finds `fetch(...)` calls (from `@forge/api`, or the global `fetch`) whose URL
is known statically (string literals, templates without holes in the host,
constants) and checks the host against `fetch.backend` (backend code) or
`fetch.client` (Custom UI code), honouring `*.domain` wildcards (which do not
include the parent domain) and `*`. Client entries become the Custom UI's CSP
`connect-src`, so a path in a client entry limits the URLs it allows (a path
ending in `/` is a prefix). For a URL with a run-time part, only what is literal
is judged: the host, and the path when the hole comes after it. Hosts of declared `remotes` count as
declared for backend code.

## Why is this bad?
Forge blocks the request at run time: the feature fails in production. A fetch
to an unexpected host is also worth a look as a possible data exfiltration path.

## Example
```js
await fetch('https://api.example.com/v1/items'); // manifest declares nothing
```

## How to fix
Declare the host under `permissions.external.fetch.backend` (or `client` for
Custom UI code), or remove the call.
"""

from __future__ import annotations

from rules.base import Rule
from rules.egress import allows, host_of, scheme_of


def check(facts):
    if facts.manifest is None:
        return
    declared = {"backend": [], "client": []}
    for entry in facts.manifest.egress:
        if entry.kind.startswith("fetch."):
            declared[entry.kind.split(".", 1)[1]].append(entry.address)
    declared["backend"] += facts.manifest.remote_urls
    for call in facts.fetch_calls:
        url = _static_origin(call.parts)
        if url is None or scheme_of(url) not in ("https", "http", "wss", "ws"):
            continue
        host = host_of(url)
        side = "client" if call.frontend else "backend"
        partial = len(call.parts) > 1
        if not host or any(allows(address, url, match_path=call.frontend, partial=partial)
                           for address in declared[side]):
            continue
        yield RULE.finding(
            f"fetch to '{host}' is not declared in permissions.external.fetch.{side}; Forge will block it",
            call.location, properties={"host": host, "url": url, "side": side},
        )


def _static_origin(parts: list) -> str | None:
    """The URL up to its first hole, when scheme and host are both literal."""
    head = parts[0] if parts and isinstance(parts[0], str) else ""
    if "://" not in head:
        return None
    rest = head.split("://", 1)[1]
    if len(parts) > 1 and not any(c in rest for c in "/?#"):
        return None  # the host itself continues into a hole
    return head


RULE = Rule(
    id="egress/undeclared", name="UndeclaredEgress", level="error",
    summary="fetch to a host the manifest does not declare",
    doc=__doc__, cwe=(16,), precision="high",
    security_severity=3.0, check=check,
)

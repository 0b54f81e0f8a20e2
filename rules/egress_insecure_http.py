"""Reports `ws://` (and `http://`) addresses in `permissions.external`.

## What it does
Flags egress and content addresses declared with a cleartext scheme. Forge
rejects `http://` addresses outright, so those are reported once, by
`manifest/invalid` (this rule reports them only when that rule is turned off);
`ws://` passes Forge's check.

## Why is this bad?
Data sent over a cleartext socket can be read and altered on the way; in a
Custom UI it also loads content over cleartext.

## Example
```yaml
permissions:
  external:
    fetch:
      client:
        - 'ws://live.example.com'
```

## How to fix
Use `https://` (or `wss://`) and make sure the service serves TLS.
"""

from __future__ import annotations

from rules.base import Rule
from rules.egress import scheme_of

INSECURE = {"http": "https", "ws": "wss"}


def check(facts):
    if facts.manifest is None:
        return
    for entry in facts.manifest.egress:
        scheme = scheme_of(entry.address)
        if scheme in INSECURE:
            yield RULE.finding(
                f"egress address '{entry.address}' in permissions.external.{entry.kind} uses cleartext "
                f"{scheme}://; use {INSECURE[scheme]}://",
                entry.location, properties={"address": entry.address, "kind": entry.kind},
            )


RULE = Rule(
    id="egress/insecure-http", name="InsecureHttpEgress", level="warning",
    summary="Egress permission over a cleartext scheme (ws://, http://)",
    doc=__doc__, cwe=(319,), precision="very-high",
    security_severity=6.5, check=check,
)

"""Reports `http://` (and `ws://`) addresses in `permissions.external`.

## What it does
Flags egress and content addresses declared with a cleartext scheme.

## Why is this bad?
Data sent over plain HTTP can be read and altered on the way. Forge's runtime
only allows HTTPS for backend fetches, so a backend entry like this is also a
call that cannot work; in a Custom UI it loads content over cleartext.

## Example
```yaml
permissions:
  external:
    fetch:
      backend:
        - 'http://api.example.com'
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
    summary="Egress permission over cleartext HTTP",
    doc=__doc__, cwe=(319,), precision="very-high",
    security_severity=6.5, check=check,
)

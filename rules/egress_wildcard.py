"""Reports `*` and over-broad wildcards in `permissions.external`.

## What it does
Flags egress addresses that are `*`, a wildcard over a whole top-level domain
or public suffix (`*.com`, `*.co.uk`), or a wildcard over a shared hosting zone
where anyone can get a subdomain (`*.herokuapp.com`, `*.amazonaws.com`,
`*.vercel.app`, `*.atlassian.net`: any free Atlassian site, ...). A wildcard
over the app's own domain (`*.example.com`) or over `.localhost` (reserved for
loopback, it never leaves the machine) is not reported.

## Why is this bad?
Egress permissions are the boundary that keeps customer data inside declared
services. A broad wildcard lets compromised or buggy code send data to any
server an attacker can stand up, and tells admins nothing at consent time.

## Example
```yaml
permissions:
  external:
    fetch:
      backend:
        - '*.herokuapp.com'
```

## How to fix
List the exact hosts the app talks to (`my-app.herokuapp.com`), or a wildcard
over a domain you own.
"""

from __future__ import annotations

from rules.base import Rule
from rules.egress import wildcard_breadth


def check(facts):
    if facts.manifest is None:
        return
    for entry in facts.manifest.egress:
        why = wildcard_breadth(entry.address)
        if why:
            yield RULE.finding(f"egress address '{entry.address}' in permissions.external.{entry.kind} {why}",
                               entry.location, properties={"address": entry.address, "kind": entry.kind})


RULE = Rule(
    id="egress/wildcard", name="WildcardEgress", level="warning",
    summary="Egress permission with an over-broad wildcard",
    doc=__doc__, cwe=(183,), precision="high",
    security_severity=6.5, check=check,
)

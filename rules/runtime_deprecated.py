"""Reports an app runtime that is missing, deprecated or past end of life.

## What it does
Checks `app.runtime.name`: missing (warning: state the runtime explicitly),
`sandbox` (the legacy runtime, which stopped running apps on 2025-02-28),
`nodejs18.x` (no longer offered by Forge) and `nodejs20.x` (Node.js 20
reached end of life on 2026-04-30).

## Why is this bad?
An end-of-life runtime receives no security fixes, and Forge eventually stops
running apps on it.

## Example
```yaml
app:
  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000
  runtime:
    name: nodejs20.x
```

## How to fix
Set `app.runtime.name` to `nodejs24.x` (recommended) or `nodejs22.x` and test the app on it.
"""

from __future__ import annotations

from rules.base import Rule

DEPRECATED = {
    "sandbox": "is the legacy sandbox runtime; Forge stopped running apps on it on 2025-02-28",
    "nodejs18.x": "is no longer offered by Forge (Node.js 18 is past end of life)",
    "nodejs20.x": "uses Node.js 20, which reached end of life on 2026-04-30",
}
FIX = "; use nodejs24.x (recommended) or nodejs22.x"


def check(facts):
    manifest = facts.manifest
    if manifest is None or manifest.app_location is None:
        return
    if manifest.runtime_name is None:
        yield RULE.finding("app.runtime.name is not set" + FIX, manifest.app_location, properties={"runtime": None})
    elif manifest.runtime_name in DEPRECATED:
        yield RULE.finding(f"runtime '{manifest.runtime_name}' {DEPRECATED[manifest.runtime_name]}{FIX}",
                           manifest.runtime_location, properties={"runtime": manifest.runtime_name})


RULE = Rule(
    id="runtime/deprecated", name="DeprecatedRuntime", level="warning",
    summary="Runtime missing, deprecated or end of life",
    doc=__doc__, cwe=(1104,), precision="very-high",
    security_severity=5.3, check=check,
)

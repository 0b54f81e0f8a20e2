"""Points out declared scopes with manage, delete or admin-level power, and `allowImpersonation`.

## What it does
Flags scopes classified as `manage:*`, `delete:*`/`redact:*`, admin-level
(`admin:*`, `*:admin`, writes to configuration or permissions, app tokens, the
legacy `project-admin:connect-jira` and `act-as-user:connect-jira`) and any
scope granted with `allowImpersonation: true`.

## Why is this bad?
These scopes let the app change site configuration, delete customer data or act
as any user. They are sometimes needed, but each deserves a deliberate review.

## Example
```yaml
permissions:
  scopes:
    - manage:jira-configuration
```

## How to fix
Confirm the scope is needed and prefer a narrower one (for example a granular
`write:*` scope instead of `manage:jira-configuration`). Suppress with a reason
once reviewed.
"""

from __future__ import annotations

from rules import catalog
from rules.base import Rule

PRIVILEGES = {
    "manage": "can change product configuration",
    "delete": "can delete customer data",
    "admin-or-impersonation": "grants admin-level or impersonation power",
}


def check(facts):
    if facts.manifest is None:
        return
    known = catalog.scopes()
    for scope in facts.manifest.scopes:
        privilege = known.get(scope.name, {}).get("privilege")
        if privilege in PRIVILEGES:
            yield RULE.finding(f"scope '{scope.name}' {PRIVILEGES[privilege]}: review that the app needs it",
                               scope.location, properties={"scope": scope.name, "privilege": privilege})
        if scope.allow_impersonation:
            yield RULE.finding(
                f"scope '{scope.name}' allows impersonation: the app can act as any user without them present",
                scope.impersonation_location or scope.location,
                properties={"scope": scope.name, "privilege": "impersonation"},
            )


RULE = Rule(
    id="scope/privileged", name="PrivilegedScope", level="note",
    summary="Scope with manage, delete, admin or impersonation power",
    doc=__doc__, cwe=(250,), precision="very-high",
    security_severity=3.0, check=check,
)

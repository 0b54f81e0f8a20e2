"""Reports a declared scope that no detected API call, event, storage use or remote needs.

## What it does
Collects every scope the app's code and manifest need (resolved API calls,
product-event triggers, Forge storage, remote tokens) and reports each
declared scope outside that set. Only scopes whose use forge-audit can see are
judged: scopes some catalogued API operation, product event, SDK helper
(property hooks and the Properties API, privacy, realtime, Teamwork Graph,
`authorize()`, Compass GraphQL methods) names, `storage:app` and the remote
token scopes. Legacy `*:connect-jira` scopes and other names only the Forge
CLI list knows, with no catalogued use, are not judged.
When some calls to the same product could not be resolved (a path built at
run time, an endpoint missing from the catalog) the finding is still
reported, at level `note`, with the count of unresolved calls.

## Why is this bad?
Least privilege: every scope is a permission an attacker inherits if the app is
compromised, admins see it on the consent screen, and each one added later
forces a re-consent.

## Example
```yaml
permissions:
  scopes:
    - read:jira-work
    - write:jira-work   # nothing writes
```

## How to fix
Remove the scope from `permissions.scopes`. If it is needed by code
forge-audit cannot follow, suppress with a reason:
`# forge-audit-ignore scope/unused: used by the dynamic export path`.
"""

from __future__ import annotations

from rules import catalog
from rules.base import Rule

JUDGED_PLATFORM = {"storage:app", "read:app-system-token", "read:app-user-token"}


def _judged(scope: str) -> tuple[str, ...]:
    """The request products whose calls may need a scope; empty if its use is not visible to us
    (no detectable call, event or helper can need it, e.g. a legacy `*:connect-jira` scope)."""
    if scope in JUDGED_PLATFORM:
        return ("platform",)
    info = catalog.scopes().get(scope)
    if info is None or scope not in catalog.visible_scopes():
        return ()
    return tuple(product for product, scope_products in catalog.REQUEST_PRODUCTS.items()
                 if info["product"] in scope_products)


def check(facts):
    if facts.manifest is None:
        return
    used = frozenset().union(*(need.scopes for need in facts.needs)) if facts.needs else frozenset()
    by_product: dict[str, list] = {}  # grouped once: not unresolved calls x declared scopes
    for call in facts.unresolved:
        by_product.setdefault(call.product, []).append(call)
    for scope in facts.manifest.scopes:
        products = _judged(scope.name)
        if not products or scope.name in used:
            continue
        unresolved = [call for product in products for call in by_product.get(product, [])]
        message = f"scope '{scope.name}' is declared but no detected call, event or storage use needs it"
        level = None
        if unresolved:
            level = "note"
            reached = "/".join(dict.fromkeys(call.product for call in unresolved))
            message += (f"; {len(unresolved)} {reached} call(s) could not be resolved statically and "
                        f"might need it (first: {unresolved[0].reason})")
        yield RULE.finding(
            message, scope.location, level=level,
            related=[u.location.with_message(u.reason) for u in unresolved[:5]],
            properties={"scope": scope.name, "unresolvedCalls": len(unresolved)},
        )


RULE = Rule(
    id="scope/unused", name="UnusedScope", level="warning",
    summary="Declared scope is not used",
    doc=__doc__, cwe=(250,), precision="high",
    security_severity=4.0, check=check,
)

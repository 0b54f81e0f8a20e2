"""Reports a declared scope that no detected API call, event, storage use or remote needs.

## What it does
Collects what the app's code and manifest need (resolved API calls,
product-event triggers, Forge storage, remote tokens, and the SDK helpers that
call product APIs for the app: property hooks and the Properties API,
`privacy`, `realtime`, Teamwork Graph, `authorize()`, Compass GraphQL methods).
Most operations accept their classic scopes or their granular set; for each
need, the set the declared scopes satisfy is the one used (the classic set
when both are declared). Each declared scope outside every used set is
reported; when the scope belongs to a set some call accepts but does not need,
the message names that call and the set that satisfies it. A need the
declared scopes do not satisfy uses all its scopes (`scope/missing` reports
it). Only scopes whose use forge-audit can see are judged: scopes some
catalogued operation, event or helper names, `storage:app` and the remote
token scopes; legacy `*:connect-jira` scopes and other names only the Forge
CLI list knows are not judged. When some calls to the same product could not
be resolved (a path built at run time, an endpoint missing from the catalog,
a `route` from `@forge/api` passed to an npm HTTP wrapper or SDK method
forge-audit cannot follow) the finding is still reported, at level `note`,
with the count of unresolved calls and the first one's reason. A scope listed
twice is judged once, at its first entry; the second is a `note` asking to
remove the duplicate.

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
    - read:issue:jira   # part of a granular set; read:jira-work already satisfies the calls
```

## How to fix
Remove the scope from `permissions.scopes` (keep one set per call: the
classic scopes or the granular set). If it is needed by code
forge-audit cannot follow, suppress with a reason:
`# forge-audit-ignore scope/unused: used by the dynamic export path`.
"""

from __future__ import annotations

from auditor.facts.scope_needs import Bypass, describe_set, is_classic, scope_use
from auditor.model import Location
from auditor.report.paths import relative_path
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


MAX_NAMED = 2    # needs named in a message
MAX_RELATED = 5  # needs (and unresolved calls) given as related locations


def check(facts):
    if facts.manifest is None:
        return
    use = scope_use(facts.needs, facts.declared_scopes)
    by_product: dict[str, list] = {}  # grouped once: not unresolved calls x declared scopes
    for call in facts.unresolved:
        by_product.setdefault(call.product, []).append(call)
    first: dict[str, Location] = {}
    for scope in facts.manifest.scopes:
        if scope.name in first:  # a second entry grants nothing the first does not
            declared = first[scope.name]
            yield RULE.finding(
                f"scope '{scope.name}' is declared again (first at line {declared.region.start_line}): "
                "remove the duplicate", scope.location, level="note",
                related=[declared.with_message("the first declaration")],
                properties={"scope": scope.name, "duplicate": True})
            continue
        first[scope.name] = scope.location
        products = _judged(scope.name)
        if not products or scope.name in use.used:
            continue
        bypasses = use.bypassed.get(scope.name, [])
        if bypasses:
            message = f"scope '{scope.name}' is declared but not needed: {_satisfied_elsewhere(facts, bypasses)}"
        else:
            message = f"scope '{scope.name}' is declared but no detected call, event or storage use needs it"
        unresolved = [call for product in products for call in by_product.get(product, [])]
        level = None
        if unresolved:
            level = "note"
            reached = "/".join(dict.fromkeys(call.product for call in unresolved))
            message += (f"; {len(unresolved)} {reached} call(s) could not be resolved statically and "
                        f"might need it (first: {unresolved[0].reason})")
        yield RULE.finding(
            message, scope.location, level=level,
            related=[b.need.location.with_message(f"{b.need.what} is satisfied by {_set_phrase(b.chosen)}")
                     for b in bypasses[:MAX_RELATED]]
            + [u.location.with_message(u.reason) for u in unresolved[:MAX_RELATED]],
            properties={"scope": scope.name, "unresolvedCalls": len(unresolved),
                        "satisfiedOtherwise": sorted({b.need.what for b in bypasses})},
        )


def _satisfied_elsewhere(facts, bypasses) -> str:
    """"GET /x (src/a.ts:12) is satisfied by the classic read:jira-work", for the first distinct needs."""
    first: dict[str, Bypass] = {}  # the first call of each need, in order
    for bypass in bypasses:
        first.setdefault(bypass.need.what, bypass)
    named = []
    for bypass in list(first.values())[:MAX_NAMED]:
        where = bypass.need.location
        path = relative_path(where.path, facts.app.root) or where.path.name
        line = f":{where.region.start_line}" if where.region else ""
        named.append(f"{bypass.need.what} ({path}{line}) is satisfied by {_set_phrase(bypass.chosen)}")
    more = len(bypasses) - len(named)
    return "; ".join(named) + (f"; and {more} more call(s) or trigger(s)" if more > 0 else "")


def _set_phrase(scopes: frozenset[str]) -> str:
    return ("the classic " if is_classic(scopes) else "the declared ") + describe_set(scopes)


RULE = Rule(
    id="scope/unused", name="UnusedScope", level="warning",
    summary="Declared scope is not used",
    doc=__doc__, cwe=(250,), precision="high",
    security_severity=4.0, check=check,
)

"""Reports a scope in `permissions.scopes` that is not a real Forge or product scope.

## What it does
Checks every declared scope against the bundled scope names: the documented
scopes (Forge platform, Jira, Jira Software, Jira Service Management,
Confluence, Bitbucket, Compass and admin) together with every name the Forge
CLI accepts (legacy `*:connect-jira` scopes, `manage:jira-data-provider`,
Assets `*:cmdb-*` scopes, Teams ...), and suggests the closest real name (for
the first 50 unknown names; later ones are reported without a suggestion).
App-defined `action:resource:custom` scopes for `apiRoute` are accepted.

## Why is this bad?
`forge deploy` rejects unknown scopes, and a misspelt scope silently leaves the
app without the permission it meant to ask for.

## Example
```yaml
permissions:
  scopes:
    - read:jira-works
```

## How to fix
Use the exact scope name from the Forge scopes reference, e.g. `read:jira-work`.
"""

from __future__ import annotations

import re

from rules import catalog
from rules.base import Rule
from rules.suggest import Suggester

CUSTOM_SCOPE = re.compile(r"^[a-z-]+:[a-z0-9.-]+:custom$")


def check(facts):
    if facts.manifest is None:
        return
    known = catalog.scopes()
    suggest = Suggester(known)
    for scope in facts.manifest.scopes:
        if scope.name in known or CUSTOM_SCOPE.match(scope.name):
            continue
        yield RULE.finding(f"unknown scope '{scope.name}'{suggest.hint(scope.name)}", scope.location,
                           properties={"scope": scope.name, "suggestion": suggest.closest(scope.name)})


RULE = Rule(
    id="scope/unknown", name="UnknownScope", level="error",
    summary="Declared scope is not a real scope",
    doc=__doc__, cwe=(16,), precision="very-high",
    security_severity=4.0, check=check,
)

"""Reports `forge-audit-ignore` comments that suppress nothing or give no reason.

## What it does
After all rules have run, every inline suppression is checked: one without a
reason (`// forge-audit-ignore scope/missing` with no `: why`) is reported and
suppresses nothing; one that matched no finding is reported as stale. Both are
notes.

## Why is this bad?
A suppression without a reason cannot be reviewed, and a stale one hides the
next real finding that lands on that line.

## Example
```js
// forge-audit-ignore scope/missing
await api.asApp().requestJira(route`/rest/api/3/myself`);
```

## How to fix
Add the reason after a colon (`// forge-audit-ignore scope/missing: called only
when the admin opted in`), or delete the comment when the finding is gone.
"""

from __future__ import annotations

from rules.base import Rule

UNUSED = Rule(
    id="suppression/unused", name="UnusedSuppression", level="note",
    summary="Inline suppression matched no finding",
    doc=__doc__, cwe=(1164,), precision="very-high",
    security_severity=1.0, check=None,
)
INVALID = Rule(
    id="suppression/invalid", name="InvalidSuppression", level="note",
    summary="Inline suppression without a reason or a known rule",
    doc=__doc__, cwe=(1164,), precision="very-high",
    security_severity=1.0, check=None,
)

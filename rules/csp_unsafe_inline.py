"""Reports Custom UI content-security relaxations: `unsafe-inline`, `unsafe-eval`, `unsafe-hashes`.

## What it does
Checks `permissions.content.scripts` for `unsafe-inline`, `unsafe-eval` and
`unsafe-hashes` (warning) and `permissions.content.styles` for `unsafe-inline`
(note, since inline styles are a much smaller risk than inline scripts).

## Why is this bad?
These keywords switch off the Content Security Policy protections against
cross-site scripting in the app's Custom UI: injected markup can then run
script with the app's scopes through `@forge/bridge`.

## Example
```yaml
permissions:
  content:
    scripts:
      - 'unsafe-inline'
```

## How to fix
Move inline scripts into bundled files, avoid `eval`/`new Function`, and drop
the keyword.
"""

from __future__ import annotations

from rules.base import Rule

SCRIPT_KEYWORDS = {"unsafe-inline", "unsafe-eval", "unsafe-hashes"}


def check(facts):
    if facts.manifest is None:
        return
    for value, location in facts.manifest.content_scripts:
        keyword = value.strip().strip("'\"")
        if keyword in SCRIPT_KEYWORDS:
            yield RULE.finding(
                f"permissions.content.scripts allows '{keyword}': the Custom UI loses its script injection protection",
                location, properties={"keyword": keyword, "directive": "scripts"})
    for value, location in facts.manifest.content_styles:
        keyword = value.strip().strip("'\"")
        if keyword == "unsafe-inline":
            yield RULE.finding("permissions.content.styles allows 'unsafe-inline' (inline styles)",
                               location, level="note", properties={"keyword": keyword, "directive": "styles"})


RULE = Rule(
    id="csp/unsafe-inline", name="UnsafeContentSecurityPolicy", level="warning",
    summary="Custom UI content security policy relaxed",
    doc=__doc__, cwe=(79, 693), precision="very-high",
    security_severity=6.1, check=check,
)

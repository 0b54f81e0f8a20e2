"""Reports a change that adds permissions site admins must approve: scopes, egress, remotes, content permissions.

## What it does
With a baseline (`scan --diff-base REF`, or `--baseline` with a report that holds the manifest's permissions),
compares each app's permissions with the baseline's: OAuth scopes (`permissions.scopes`), egress and other
external addresses (`permissions.external`), content permissions (`permissions.content`) and remotes (their
`baseUrl`s, and the tokens they are sent). When the change adds any, one warning lists each addition with its
manifest line, and the removals, which need no approval. An app that did not exist in the baseline is not
reported: its first installation asks for consent anyway.

## Why is this bad?
A new version that asks for more permissions does not take effect on a site until a site admin approves it in
the admin console; until then the site keeps running the previous version. Each added scope or egress address
is a release that waits for every customer's admin, so teams plan them: this makes the added permission visible
in the pull request that adds it, rather than after `forge deploy`.

## Example
```yaml
permissions:
  scopes:
    - read:jira-work
    - write:jira-work        # added: every site admin must approve the new version
  external:
    fetch:
      backend:
        - https://api.example.com   # added
```

## How to fix
Nothing, when the permission is needed: plan the release and tell the admins. Otherwise remove the addition, or
ship it with other permission changes in one release that asks for consent once.
"""

from __future__ import annotations

from typing import NamedTuple

from auditor.facts.manifest import ManifestFacts
from auditor.model import Finding, Location
from auditor.yamldoc import YamlDoc
from rules.base import Rule

RULE = Rule(
    id="consent/scope-change", name="ConsentScopeChange", level="warning",
    summary="Change adds permissions that site admins must approve",
    doc=__doc__, cwe=(250,), precision="very-high",
    security_severity=3.0, check=None,
)


class Permission(NamedTuple):
    kind: str    # scope | egress fetch.backend | egress images | ... | content scripts | remote | remote token
    value: str
    location: Location | None = None  # None when read back from a report

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.value)

    def describe(self) -> str:
        line = f" (line {self.location.region.start_line})" if self.location and self.location.region else ""
        return f"{self.kind} '{self.value}'{line}"


def permissions(manifest: ManifestFacts, doc: YamlDoc) -> list[Permission]:
    """What of the manifest needs consent when added, each at its line."""
    out = [Permission("scope", s.name, s.location) for s in manifest.scopes]
    out += [Permission(f"egress {e.kind}", e.address, e.location) for e in manifest.egress]
    out += [Permission("content scripts", value, loc) for value, loc in manifest.content_scripts]
    out += [Permission("content styles", value, loc) for value, loc in manifest.content_styles]
    out += [Permission("remote token", token, loc) for token, loc in manifest.token_remotes.items()]
    remotes = doc.get(("remotes",))
    for i, remote in enumerate(remotes if isinstance(remotes, list) else []):
        base_url = remote.get("baseUrl") if isinstance(remote, dict) else None
        pairs = base_url.items() if isinstance(base_url, dict) else [(None, base_url)]
        for region_key, url in pairs:
            if isinstance(url, str):
                path = ("remotes", i, "baseUrl") + ((region_key,) if region_key is not None else ())
                out.append(Permission("remote", url, Location(manifest.path, doc.region(path))))
    return out


def change(before: list[Permission], after: list[Permission]) -> Finding | None:
    """The warning for what ``after`` adds to ``before`` (its removals noted), or None when it adds nothing."""
    had, has = {p.key for p in before}, {p.key for p in after}
    added = list({p.key: p for p in after if p.key not in had}.values())
    removed = sorted({p.key for p in before if p.key not in has})
    if not added:
        return None
    message = ("this change adds permissions site admins must approve before the new version takes effect on "
               "their site: " + "; ".join(p.describe() for p in added))
    if removed:
        message += ". Removed (no approval needed): " + "; ".join(f"{kind} '{value}'" for kind, value in removed)
    first = min(added, key=lambda p: (p.location.region.start_line, p.location.region.start_column))
    return RULE.finding(
        message, first.location,
        related=[p.location.with_message(f"added {p.kind} '{p.value}'") for p in added if p is not first],
        properties={"added": [{"kind": p.kind, "value": p.value, "line": p.location.region.start_line}
                              for p in added],
                    "removed": [{"kind": kind, "value": value} for kind, value in removed]},
    )

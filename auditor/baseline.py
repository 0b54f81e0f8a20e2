"""Findings compared with a baseline: which are new, which were there before, which are gone.

A finding's identity is its rule, its file (relative to the source root, so the app it belongs to) and the
``primaryLocationLineHash`` of its line: the hash covers the line's own text and the next ~100 characters
(whitespace dropped), not its line number, so lines moving and edits elsewhere in the file keep the identity,
as in GitHub code scanning. A finding whose hash changed (an edit on the next lines) is still the same when its
rule, file and message are. A finding without a position (none has one today) is identified by its message.
The baseline is an earlier forge-audit report, SARIF or JSON, or a scan of the app at a git revision
(auditor.revision writes that revision's files to a temporary folder).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote

from auditor.config import Config
from auditor.engine import NoAppsFound, ScanResult, scan
from auditor.model import ABSENT, NEW, UNCHANGED, Finding, Location, Region
from auditor.report.fingerprint import Fingerprints
from auditor.report.paths import relative_path
from rules import consent_scope_change as consent
from rules.consent_scope_change import Permission

# Where reports record each app's permissions, for consent/scope-change against them later
SNAPSHOT = "manifestPermissions"


class BaselineError(Exception):
    pass


class Known(NamedTuple):
    """A finding as a report records it; ``path`` is relative to the source root (POSIX), or absolute."""

    rule_id: str
    level: str
    message: str
    path: str
    region: Region | None
    line_hash: str | None

    @property
    def key(self) -> tuple:
        return (self.rule_id, self.path, self.line_hash if self.region else self.message)

    def location(self, root: Path) -> Location:
        return Location(root / self.path, self.region)


class Baseline(NamedTuple):
    findings: list[Known]
    # app folder (relative to the source root) -> its permissions needing consent; None: the report has none
    permissions: dict[str, list[Permission]] | None = None


def permission_snapshot(result: ScanResult) -> dict[str, list[dict]]:
    """Each app's permissions as reports record them (``manifestPermissions``)."""
    return {_app_key(app, result.source_root): [{"kind": p.kind, "value": p.value} for p in perms]
            for app, perms in result.permissions.items()}


def _app_key(app: Path, root: Path) -> str:
    return relative_path(app, root) or str(app)


def known_findings(result: ScanResult) -> list[tuple[Finding, Known]]:
    """The unsuppressed findings of ``result`` with their recorded form."""
    hashes = Fingerprints(result.contents)
    out = []
    for finding in result.reported():
        loc = finding.location
        path = relative_path(loc.path, result.source_root) or str(loc.path)
        out.append((finding, Known(finding.rule_id, finding.level, finding.message, path, loc.region,
                                   hashes.line_hash(loc))))
    return out


# How a finding is recognised in the baseline, most exact first: same line hash and message; same line hash (the
# message quotes something that changed); same message (an edit right after the line changed its hash).
_IDENTITIES = (
    lambda k: (k.key, k.message),
    lambda k: k.key,
    lambda k: (k.rule_id, k.path, k.message),
)


def compare(result: ScanResult, baseline: Baseline) -> None:
    """Mark each unsuppressed finding of ``result`` new or unchanged; the baseline's others become ``absent``.
    Then consent/scope-change reports each app whose permissions grew (a new finding)."""
    current = known_findings(result)
    # a consent finding of the baseline is relative to that report's own baseline: not compared
    remaining = [k for k in baseline.findings if k.rule_id != consent.RULE.id]
    for identity in _IDENTITIES:
        pool: dict[tuple, list[Known]] = defaultdict(list)
        for known in remaining:
            pool[identity(known)].append(known)
        taken: set[int] = set()
        for finding, known in current:
            candidates = pool.get(identity(known))
            if finding.baseline_state is None and candidates:
                taken.add(id(candidates.pop(0)))
                finding.baseline_state = UNCHANGED
        remaining = [k for k in remaining if id(k) not in taken]
    for finding, _ in current:
        finding.baseline_state = finding.baseline_state or NEW
    result.absent = remaining
    if baseline.permissions is not None and any(rule.id == consent.RULE.id for rule in result.rules):
        _permission_changes(result, baseline.permissions)


def _permission_changes(result: ScanResult, before: dict[str, list[Permission]]) -> None:
    """consent/scope-change for each app whose permissions grew; apps new since the baseline are left out."""
    for app, perms in result.permissions.items():
        earlier = before.get(_app_key(app, result.source_root))
        finding = consent.change(earlier, perms) if earlier is not None else None
        if finding is not None:
            finding.baseline_state = NEW
            result.findings.append(finding)
    result.findings.sort(key=Finding.sort_key)


def at_revision(ref: str, paths: list[Path], config: Config, root: Path) -> Baseline:
    """The findings of ``paths`` as they were at git revision ``ref``, scanned with the same config; none when
    the paths held no app then. ``root`` is the current scan's source root: the revision's files are scanned
    with the same folder of the copy as source root, so both scans name files alike."""
    import tempfile

    from auditor import revision  # git plumbing: loaded only for --diff-base

    top = revision.work_tree(paths[0])
    commit = revision.resolve_commit(top, ref)
    folders = []
    for path in paths:
        try:
            folders.append(PurePosixPath(path.resolve().relative_to(top).as_posix()))
        except ValueError:
            raise revision.RevisionError(f"{path} is not in the git work tree {top}") from None
    try:
        below = root.relative_to(top)
    except ValueError:
        below = Path()
    with tempfile.TemporaryDirectory(prefix="forge-audit-base-") as tmp:
        copy = Path(tmp).resolve()
        revision.materialise(top, commit, folders, copy, config.max_file_size)
        then = [copy / folder for folder in folders if (copy / folder).exists()]
        try:
            result = scan(then, config, copy / below) if then else None
        except NoAppsFound:
            result = None
        if result is None:
            return Baseline([], {})
        return Baseline([known for _, known in known_findings(result)],
                        {_app_key(app, result.source_root): perms for app, perms in result.permissions.items()})


def load_report(path: Path) -> Baseline:
    """The unsuppressed findings of an earlier forge-audit report, SARIF or JSON."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    try:
        if isinstance(doc, dict) and "runs" in doc:
            return _from_sarif(doc)
        if isinstance(doc, dict) and doc.get("tool") == "forge-audit":
            return _from_json(doc)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise BaselineError(f"baseline {path} is not a well-formed forge-audit report ({type(exc).__name__}: "
                            f"{exc})") from None
    raise BaselineError(f"baseline {path} is neither a SARIF nor a JSON report of forge-audit")


def _list(container: dict, key: str) -> list:
    value = container[key]
    if not isinstance(value, list):
        raise ValueError(f"'{key}' is not a list")
    return value


def _checked(known: Known) -> Known:
    if known.region is not None and not known.line_hash:
        raise ValueError(f"a {known.rule_id} finding in {known.path} has no primaryLocationLineHash")
    if not all(isinstance(v, str) for v in (known.rule_id, known.level, known.message, known.path)):
        raise ValueError("a finding's rule, level, message and path must be strings")
    return known


def _snapshot(holder: dict) -> dict[str, list[Permission]] | None:
    recorded = holder.get(SNAPSHOT)
    if recorded is None:
        return None
    if not isinstance(recorded, dict):
        raise ValueError(f"'{SNAPSHOT}' is not a map")
    return {str(app): [consent.Permission(str(p["kind"]), str(p["value"])) for p in perms]
            for app, perms in recorded.items()}


def _from_sarif(doc: dict) -> Baseline:
    out = []
    runs = _list(doc, "runs")
    for run in runs:
        if run["tool"]["driver"]["name"] != "forge-audit":
            raise ValueError(f"run of {run['tool']['driver']['name']!r}, not forge-audit")
        for res in _list(run, "results"):
            if res.get("suppressions") or res.get("baselineState") == ABSENT:
                continue
            physical = res["locations"][0]["physicalLocation"]
            artifact = physical["artifactLocation"]
            uri = unquote(artifact["uri"])
            if "uriBaseId" not in artifact and uri.startswith("file://"):
                uri = uri[len("file://"):]
            region = physical.get("region")
            out.append(_checked(Known(
                res["ruleId"], res.get("level", "warning"), res["message"]["text"], uri,
                Region(int(region["startLine"]), int(region.get("startColumn", 1))) if region else None,
                res.get("partialFingerprints", {}).get("primaryLocationLineHash"))))
    return Baseline(out, _snapshot(runs[0].get("properties", {})) if len(runs) == 1 else None)


def _from_json(doc: dict) -> Baseline:
    out = []
    for f in _list(doc, "findings"):
        if f.get("suppressed"):
            continue
        line = f.get("line")
        out.append(_checked(Known(f["rule"], f["level"], f["message"], f["path"],
                                  Region(int(line), int(f.get("column", 1))) if line is not None else None,
                                  f.get("fingerprint"))))
    return Baseline(out, _snapshot(doc))

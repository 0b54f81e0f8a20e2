"""SARIF 2.1.0 output, shaped for GitHub code scanning.

GitHub needs: repo-relative URIs under ``%SRCROOT%``, rules with short and
full descriptions, help text and markdown, tags, precision and a numeric
security-severity, and ``partialFingerprints`` so alerts survive code moving.

The log is built as plain JSON objects with the schema's property names (sarif-om's classes cost a
tenth of a second to import and as long again to serialize a large report); an unset (None) field is
left out.
"""

from __future__ import annotations

import json

from auditor import __version__
from auditor.baseline import SNAPSHOT, Known, permission_snapshot
from auditor.engine import ScanResult
from auditor.model import ABSENT, Finding, Location
from auditor.report.bounded import reported_properties
from auditor.report.fingerprint import Fingerprints
from auditor.report.paths import uri_for
from rules.base import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _object(**fields) -> dict:
    """A SARIF object of the fields that are set."""
    return {name: value for name, value in fields.items() if value is not None}


def _message(text: str | None) -> dict:
    return _object(text=text)


def _descriptor(rule: Rule) -> dict:
    return _object(
        id=rule.id,
        name=rule.name,
        shortDescription=_message(rule.summary),
        fullDescription=_message(rule.description),
        help=_object(text=rule.help_text, markdown=rule.help),
        defaultConfiguration={"level": rule.level},
        properties={
            "tags": rule.tags,
            "precision": rule.precision,
            "security-severity": f"{rule.security_severity:.1f}",
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[rule.level],
        },
    )


def _not_in_flows(finding: Finding) -> list[Location]:
    """The related locations that are not also a step of the finding's code flows: a SARIF result says
    each place once (at 1,000 service files, the repeated write and read were an eighth of the report)."""
    steps = {(step.path, step.region) for flow in finding.code_flows or () for step in flow}
    return [loc for loc in finding.related if (loc.path, loc.region) not in steps]


class _Builder:
    def __init__(self, result: ScanResult):
        self.result = result
        self.root = result.source_root
        self.fingerprints = Fingerprints(result.contents)
        self.uris: dict = {}  # path -> (uri, base): resolving folders per location cost seconds on big reports

    def location(self, loc: Location, index: int | None = None) -> dict:
        if loc.path not in self.uris:
            self.uris[loc.path] = uri_for(loc.path, self.root)
        uri, base = self.uris[loc.path]
        region = None
        if loc.region is not None:
            r = loc.region
            # an absent endLine means startLine (SARIF 2.1.0, region object): most regions are one line
            region = _object(startLine=r.start_line, startColumn=r.start_column,
                             endLine=r.end_line if r.end_line != r.start_line else None, endColumn=r.end_column)
        return _object(
            id=index,
            physicalLocation=_object(artifactLocation=_object(uri=uri, uriBaseId=base), region=region),
            message=_message(loc.message) if loc.message else None,
        )

    def fingerprint(self, loc: Location) -> dict[str, str] | None:
        value = self.fingerprints.line_hash(loc)
        return {"primaryLocationLineHash": value} if value else None

    def make_result(self, finding: Finding, rule_index: dict[str, int]) -> dict:
        flows = None
        if finding.code_flows:
            flows = [{"threadFlows": [{"locations": [{"location": self.location(step)} for step in flow]}]}
                     for flow in finding.code_flows]
        suppressions = None
        if finding.suppression is not None:
            suppressions = [_object(kind="inSource", justification=finding.suppression.reason)]
        return _object(
            ruleId=finding.rule_id,
            ruleIndex=rule_index[finding.rule_id],
            level=finding.level,
            message=_message(finding.message),
            locations=[self.location(finding.location)],
            relatedLocations=[self.location(loc, i + 1) for i, loc in enumerate(_not_in_flows(finding))] or None,
            partialFingerprints=self.fingerprint(finding.location),
            codeFlows=flows,
            suppressions=suppressions,
            properties=reported_properties(finding.properties) or None,
            baselineState=finding.baseline_state,
        )

    def absent_result(self, known: Known, rule_index: dict[str, int]) -> dict:
        """A baseline finding that is gone: where it was, with the fingerprint the baseline recorded."""
        return _object(
            ruleId=known.rule_id,
            ruleIndex=rule_index.get(known.rule_id),
            level=known.level,
            message=_message(known.message),
            locations=[self.location(known.location(self.root))],
            partialFingerprints={"primaryLocationLineHash": known.line_hash} if known.line_hash else None,
            baselineState=ABSENT,
        )

    def notification(self, note) -> dict:
        return _object(
            level=note.level,
            message=_message(note.message),
            locations=[self.location(Location(note.path, note.region))] if note.path else None,
        )

    def build(self, show_suppressed: bool) -> dict:
        rules = self.result.rules
        rule_index = {rule.id: i for i, rule in enumerate(rules)}
        results = [self.make_result(f, rule_index) for f in self.result.reported(show_suppressed)
                   if f.rule_id in rule_index]
        results += [self.absent_result(known, rule_index) for known in self.result.absent or []]
        run = _object(
            tool={"driver": _object(name="forge-audit", version=__version__, semanticVersion=__version__,
                                    rules=[_descriptor(rule) for rule in rules])},
            originalUriBaseIds={SRCROOT: {"uri": self.root.as_uri() + "/"}},
            invocations=[_object(
                executionSuccessful=self.result.successful,
                toolExecutionNotifications=[self.notification(n) for n in self.result.notifications] or None,
            )],
            results=results,
            columnKind="utf16CodeUnits",
            properties={SNAPSHOT: permission_snapshot(self.result)},
        )
        return {"version": "2.1.0", "$schema": SCHEMA_URI, "runs": [run]}


def render(result: ScanResult, show_suppressed: bool = False) -> str:
    """The SARIF log, compact: indenting tripled the size of large reports (GitHub caps uploads) and
    the time to write them."""
    return json.dumps(_Builder(result).build(show_suppressed), ensure_ascii=False, separators=(",", ":")) + "\n"

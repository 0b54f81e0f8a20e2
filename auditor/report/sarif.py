"""SARIF 2.1.0 output, built with sarif-om, shaped for GitHub code scanning.

GitHub needs: repo-relative URIs under ``%SRCROOT%``, rules with short and
full descriptions, help text and markdown, tags, precision and a numeric
security-severity, and ``partialFingerprints`` so alerts survive code moving.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import attr
import sarif_om as om

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
# Fields whose sarif-om default must still be written: a result without
# `level` would inherit the rule's default level, not mean "warning".
_ALWAYS = {"level"}


def to_dict(obj: Any) -> Any:
    """Serialize sarif-om objects to SARIF JSON names, leaving out unset fields."""
    fields = _fields(type(obj))
    if fields is not None:
        out = {}
        for name, json_name, default in fields:
            value = getattr(obj, name)
            if value is None:
                continue
            if default is not attr.NOTHING and value == default and name not in _ALWAYS:
                continue
            out[json_name] = to_dict(value)
        return out
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple | None:
    """(attribute, SARIF name, default) of each field of an attrs class; None for other types."""
    if not attr.has(cls):
        return None
    return tuple((f.name, f.metadata.get("schema_property_name", f.name),
                  f.default.factory() if isinstance(f.default, attr.Factory) else f.default)
                 for f in attr.fields(cls))


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=rule.description),
        help=om.MultiformatMessageString(text=rule.help_text, markdown=rule.help),
        default_configuration=om.ReportingConfiguration(level=rule.level),
        properties={
            "tags": rule.tags,
            "precision": rule.precision,
            "security-severity": f"{rule.security_severity:.1f}",
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[rule.level],
        },
    )


class _Builder:
    def __init__(self, result: ScanResult):
        self.result = result
        self.root = result.source_root
        self.fingerprints = Fingerprints(result.contents)
        self.uris: dict = {}  # path -> (uri, base): resolving folders per location cost seconds on big reports

    def location(self, loc: Location, index: int | None = None) -> om.Location:
        if loc.path not in self.uris:
            self.uris[loc.path] = uri_for(loc.path, self.root)
        uri, base = self.uris[loc.path]
        region = None
        if loc.region is not None:
            r = loc.region
            region = om.Region(start_line=r.start_line, start_column=r.start_column,
                               end_line=r.end_line, end_column=r.end_column)
        return om.Location(
            id=index,
            physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base), region=region),
            message=om.Message(text=loc.message) if loc.message else None,
        )

    def fingerprint(self, loc: Location) -> dict[str, str] | None:
        value = self.fingerprints.line_hash(loc)
        return {"primaryLocationLineHash": value} if value else None

    def make_result(self, finding: Finding, rule_index: dict[str, int]) -> om.Result:
        flows = None
        if finding.code_flows:
            flows = [om.CodeFlow(thread_flows=[om.ThreadFlow(locations=[
                om.ThreadFlowLocation(location=self.location(step)) for step in flow])]) for flow in finding.code_flows]
        suppressions = None
        if finding.suppression is not None:
            suppressions = [om.Suppression(kind="inSource",
                                           justification=finding.suppression.reason)]
        return om.Result(
            rule_id=finding.rule_id,
            rule_index=rule_index[finding.rule_id],
            level=finding.level,
            message=om.Message(text=finding.message),
            locations=[self.location(finding.location)],
            related_locations=[self.location(loc, i + 1) for i, loc in enumerate(finding.related)] or None,
            partial_fingerprints=self.fingerprint(finding.location),
            code_flows=flows,
            suppressions=suppressions,
            properties=reported_properties(finding.properties) or None,
            baseline_state=finding.baseline_state,
        )

    def absent_result(self, known: Known, rule_index: dict[str, int]) -> om.Result:
        """A baseline finding that is gone: where it was, with the fingerprint the baseline recorded."""
        return om.Result(
            rule_id=known.rule_id,
            rule_index=rule_index.get(known.rule_id),
            level=known.level,
            message=om.Message(text=known.message),
            locations=[self.location(known.location(self.root))],
            partial_fingerprints={"primaryLocationLineHash": known.line_hash} if known.line_hash else None,
            baseline_state=ABSENT,
        )

    def notification(self, note) -> om.Notification:
        return om.Notification(
            level=note.level,
            message=om.Message(text=note.message),
            locations=[self.location(Location(note.path, note.region))] if note.path else None,
        )

    def build(self, show_suppressed: bool) -> om.SarifLog:
        rules = self.result.rules
        rule_index = {rule.id: i for i, rule in enumerate(rules)}
        results = [self.make_result(f, rule_index) for f in self.result.reported(show_suppressed)
                   if f.rule_id in rule_index]
        results += [self.absent_result(known, rule_index) for known in self.result.absent or []]
        run = om.Run(
            tool=om.Tool(driver=om.ToolComponent(
                name="forge-audit", version=__version__, semantic_version=__version__,
                rules=[_descriptor(rule) for rule in rules])),
            original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=self.root.as_uri() + "/")},
            invocations=[om.Invocation(
                execution_successful=self.result.successful,
                tool_execution_notifications=[self.notification(n) for n in self.result.notifications] or None,
            )],
            results=results,
            column_kind="utf16CodeUnits",
            properties={SNAPSHOT: permission_snapshot(self.result)},
        )
        return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])



def render(result: ScanResult, show_suppressed: bool = False) -> str:
    """The SARIF log, compact: indenting tripled the size of large reports (GitHub caps uploads) and
    the time to write them."""
    log = to_dict(_Builder(result).build(show_suppressed))
    return json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"

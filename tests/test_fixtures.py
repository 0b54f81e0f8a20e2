"""One runner for every annotated fixture app under fixtures/.

Code files carry semgrep-style annotations on the line before the code:
``// ruleid: scope/missing`` (a finding of that rule starts on the next code
line) and ``// ok: scope/missing`` (no finding of that rule there). Manifest
findings are listed in the app's ``expected.yaml``:

    findings:
      - {rule: scope/unused, line: 12, level: note, contains: "could not be resolved"}
    ok:
      - {rule: scope/unused, line: 11}

A fixture passes when the scan reports exactly the annotated findings: none
missing, none extra.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import Config
from auditor.engine import scan
from rules.registry import ALL_RULES
from tests.annotations import FIXTURES, code_annotations, fixture_apps, manifest_expectations, relative


@pytest.mark.parametrize("app", fixture_apps(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(app: Path) -> None:
    result = scan([app], Config(), app)
    actual = {}
    for finding in result.reported():
        key = (relative(finding.location.path, app), finding.location.region.start_line, finding.rule_id)
        actual.setdefault(key, []).append(finding)
    code_expected, code_ok = code_annotations(app)
    yaml_expected, yaml_ok, details = manifest_expectations(app)
    expected = code_expected | yaml_expected
    assert expected, "a fixture must annotate at least one expected finding"

    def show(keys):
        return "\n".join(f"  {f}:{line} {rule}: {[x.message for x in actual.get((f, line, rule), [])]}"
                         for f, line, rule in sorted(keys))

    missing = expected - set(actual)
    extra = set(actual) - expected
    assert not missing and not extra, f"missing:\n{show(missing)}\nunexpected:\n{show(extra)}"
    assert not (set(actual) & (code_ok | yaml_ok)), "an `ok` annotation was reported"
    for detail in details:
        for finding in actual[(detail.get("file", "manifest.yml"), detail["line"], detail["rule"])]:
            if "level" in detail:
                assert finding.level == detail["level"], (detail, finding.message)
            if "contains" in detail:
                assert detail["contains"] in finding.message, (detail, finding.message)


def test_every_rule_has_a_fixture() -> None:
    """Adding a rule means adding a fixture that exercises it. consent/scope-change compares two versions of an
    app, which one fixture folder cannot hold: tests/test_consent.py exercises it on git repositories."""
    covered = {"consent/scope-change"}
    for app in fixture_apps():
        code, _ = code_annotations(app)
        manifest, _, _ = manifest_expectations(app)
        covered |= {rule for _, _, rule in code | manifest}
    assert {rule.id for rule in ALL_RULES} <= covered, {rule.id for rule in ALL_RULES} - covered



def _metrics():
    import importlib.util

    spec = importlib.util.spec_from_file_location("rule_metrics", FIXTURES.parent / "tools" / "rule_metrics.py")
    metrics = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metrics)
    return metrics


def test_tenant_rule_inventory() -> None:
    """The inventory promised by fixtures/tenant/README.md."""
    tp, fp, fn, tn, _ = _metrics().measure("tenant/global-state")
    assert tp + fn >= 25 and tn + fp >= 15, (tp, fn, tn, fp)


@pytest.mark.parametrize("rule", [r.id for r in ALL_RULES if r.check is not None])
def test_rule_precision_and_recall(rule: str) -> None:
    """Expected findings reported at error or warning, look-alikes never (tools/rule_metrics.py)."""
    tp, fp, fn, tn, _ = _metrics().measure(rule)
    assert fp == 0 and fn == 0, (rule, tp, fp, fn)

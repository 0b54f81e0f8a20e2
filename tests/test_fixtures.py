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

import re
from pathlib import Path

import pytest
import yaml

from auditor.config import Config
from auditor.engine import scan
from auditor.loader import CODE_SUFFIXES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ANNOTATION = re.compile(r"(?://|/\*|\{/\*)\s*(ruleid|ok):\s*([\w/,\s-]+?)\s*(?:\*/\}?)?\s*$")


def fixture_apps() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.rglob("manifest.yml") if "node_modules" not in p.parts)


def code_annotations(app: Path) -> tuple[set, set]:
    expected, ok = set(), set()
    for path in sorted(app.rglob("*")):
        if not path.is_file() or not path.name.endswith(CODE_SUFFIXES) or "node_modules" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        pending: list[tuple[str, str]] = []
        for number, line in enumerate(lines, start=1):
            match = ANNOTATION.search(line)
            if match and line.strip().startswith(("//", "/*", "{/*")):
                pending += [(match.group(1), rule) for rule in re.split(r"[,\s]+", match.group(2)) if rule]
                continue
            if pending and line.strip():
                for kind, rule in pending:
                    (expected if kind == "ruleid" else ok).add((path.relative_to(app).as_posix(), number, rule))
                pending = []
    return expected, ok


def manifest_expectations(app: Path) -> tuple[set, set, list[dict]]:
    file = app / "expected.yaml"
    if not file.exists():
        return set(), set(), []
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    details = data.get("findings") or []
    expected = {(e.get("file", "manifest.yml"), e["line"], e["rule"]) for e in details}
    ok = {(e.get("file", "manifest.yml"), e["line"], e["rule"]) for e in data.get("ok") or []}
    return expected, ok, details


@pytest.mark.parametrize("app", fixture_apps(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(app: Path) -> None:
    result = scan([app], Config(), app)
    actual = {}
    for finding in result.reported():
        key = (finding.location.path.relative_to(app).as_posix(), finding.location.region.start_line, finding.rule_id)
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
    """Adding a rule means adding a fixture that exercises it."""
    from rules import ALL_RULES

    covered = set()
    for app in fixture_apps():
        code, _ = code_annotations(app)
        manifest, _, _ = manifest_expectations(app)
        covered |= {rule for _, _, rule in code | manifest}
    assert {rule.id for rule in ALL_RULES} <= covered, {rule.id for rule in ALL_RULES} - covered


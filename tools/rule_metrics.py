"""Precision and recall of one rule over the annotated fixture apps.

    python tools/rule_metrics.py [RULE ...]    (default: every rule)

Expected positives are the fixtures' `ruleid:` annotations and expected.yaml
entries; expected negatives are `ok:` annotations and expected.yaml entries at
level `note` (state that may be pointed out, but is no leak). A positive is a
finding at level error or warning: a leak reported only as a note counts as
missed, a look-alike reported as error or warning as a false positive.
Exit status 1 when any measured rule's precision or recall is below 1.0.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.config import Config  # noqa: E402
from auditor.engine import scan  # noqa: E402
from tests.annotations import FIXTURES, code_annotations, fixture_apps, manifest_expectations, relative  # noqa: E402

TARGET = 1.0


def measure(rule: str, verbose: bool = False) -> tuple[int, int, int, int, list[tuple]]:
    """(TP, FP, FN, TN, per-app rows) of ``rule`` over every annotated fixture app."""
    tp = fp = fn = tn = 0
    rows = []
    for app in fixture_apps():
        code, code_ok = code_annotations(app)
        manifest, manifest_ok, details = manifest_expectations(app)
        notes = {(d.get("file", "manifest.yml"), d["line"]) for d in details
                 if d["rule"] == rule and d.get("level") == "note"}
        expected = {(f, line) for f, line, r in code | manifest if r == rule} - notes
        negatives = {(f, line) for f, line, r in code_ok | manifest_ok if r == rule} | notes
        if not expected and not negatives:
            continue
        result = scan([app], Config(), app)
        reported = {(relative(f.location.path, app), f.location.region.start_line)
                    for f in result.reported() if f.rule_id == rule and f.level in ("error", "warning")}
        a_tp, a_fp, a_fn = len(reported & expected), len(reported - expected), len(expected - reported)
        a_tn = len(negatives - reported)
        tp, fp, fn, tn = tp + a_tp, fp + a_fp, fn + a_fn, tn + a_tn
        rows.append((app.relative_to(FIXTURES).as_posix(), len(expected), len(negatives), a_tp, a_fp, a_fn))
        for f, line in sorted(reported - expected) if verbose else ():
            print(f"  false positive: {app.relative_to(FIXTURES)}/{f}:{line}")
        for f, line in sorted(expected - reported) if verbose else ():
            print(f"  false negative: {app.relative_to(FIXTURES)}/{f}:{line}")
    return tp, fp, fn, tn, rows


def report(rule: str) -> bool:
    """Print one rule's table and totals; True when it meets the target."""
    tp, fp, fn, tn, rows = measure(rule, verbose=True)
    print(f"{'fixture app':<44} {'found':>5} {'safe':>5} {'TP':>4} {'FP':>4} {'FN':>4}")
    for row in rows:
        print(f"{row[0]:<44} {row[1]:>5} {row[2]:>5} {row[3]:>4} {row[4]:>4} {row[5]:>4}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n{rule}: {tp + fn} expected findings, {tn + fp} safe look-alikes annotated")
    print(f"TP {tp}  FP {fp}  FN {fn}  TN {tn}   precision {precision:.3f}  recall {recall:.3f}\n")
    return precision >= TARGET and recall >= TARGET


def main() -> int:
    from rules.registry import ALL_RULES

    wanted = sys.argv[1:] or [rule.id for rule in ALL_RULES if rule.check is not None]
    failed = [rule for rule in wanted if not report(rule)]
    if failed:
        print(f"below precision/recall {TARGET}: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

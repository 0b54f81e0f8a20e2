"""Fixture annotations: what each fixture app says its scan must report.

Code files carry semgrep-style annotations on the line before the code:
``// ruleid: RULE`` (a finding of RULE starts on the next code line) and
``// ok: RULE`` (no finding of RULE there). Manifest (and other non-code)
findings are listed in the app's ``expected.yaml``.

A fixture folder (fixtures/<area>/<name>) is the app, or a small repository holding it
(``app/manifest.yml`` beside ``frontend/src``): annotations are read from the whole fixture folder and
files are named relative to the app folder (``../frontend/src/App.tsx``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from auditor.loader import CODE_SUFFIXES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ANNOTATION = re.compile(r"(?://|/\*|\{/\*)\s*(ruleid|ok):\s*([\w/,\s-]+?)\s*(?:\*/\}?)?\s*$")


def fixture_apps() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.rglob("manifest.yml") if "node_modules" not in p.parts)


def fixture_folder(app: Path) -> Path:
    """fixtures/<area>/<name>: the app folder, or the repository around it."""
    return FIXTURES.joinpath(*app.resolve().relative_to(FIXTURES).parts[:2])


def relative(path: Path, app: Path) -> str:
    """``path`` relative to the app folder, with `..` for files of the repository around it."""
    return Path(os.path.relpath(path, app)).as_posix()


def code_annotations(app: Path) -> tuple[set, set]:
    expected, ok = set(), set()
    for path in sorted(fixture_folder(app).rglob("*")):
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
                    (expected if kind == "ruleid" else ok).add((relative(path, app), number, rule))
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



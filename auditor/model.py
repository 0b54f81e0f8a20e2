"""The small value types every stage passes along: regions, locations, findings, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

# SARIF result levels, most severe first. "none" only appears as a --fail-on value.
LEVELS = ("error", "warning", "note")
LEVEL_RANK = {"error": 3, "warning": 2, "note": 1, "none": 0}
# Baseline states of a finding (SARIF baselineState): compared with an earlier report or revision.
NEW, UNCHANGED, ABSENT = "new", "unchanged", "absent"


class Region(NamedTuple):
    """1-based lines; 1-based columns counted in UTF-16 code units (SARIF's default)."""

    start_line: int
    start_column: int
    end_line: int | None = None
    end_column: int | None = None


class Location(NamedTuple):
    path: Path
    region: Region | None = None
    message: str | None = None

    def with_message(self, message: str) -> Location:
        return Location(self.path, self.region, message)


@dataclass
class Suppression:
    """An inline ``forge-audit-ignore`` comment."""

    rule_id: str
    reason: str
    path: Path
    line: int
    # A comment alone on its line also covers the next line; one trailing code covers only its own.
    covers_next: bool = True
    used: bool = False

    def covers(self, line: int) -> bool:
        return line == self.line or (self.covers_next and line == self.line + 1)


@dataclass
class Finding:
    rule_id: str
    level: str
    message: str
    location: Location
    related: list[Location] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    # Each flow is a list of locations, from source to sink.
    code_flows: list[list[Location]] = field(default_factory=list)
    suppression: Suppression | None = None
    # Against a baseline (scan --baseline/--diff-base): "new" or "unchanged"; None when not compared.
    baseline_state: str | None = None

    def sort_key(self) -> tuple:
        region = self.location.region or Region(0, 0)
        return (str(self.location.path), region.start_line, region.start_column, self.rule_id, self.message)


class Notification(NamedTuple):
    """Something the tool could not do: a skipped or partly parsed file, a failed check."""

    level: str  # "error" | "warning" | "note"
    message: str
    path: Path | None = None
    region: Region | None = None
    # True when this means findings may be missing (SARIF executionSuccessful=false).
    failure: bool = True
    # True when the gap is one a CI gate must not pass: an app's analysis failed, or a file an entry
    # point reaches was not (fully) analysed. Exit code 2 unless --allow-incomplete.
    blocking: bool = False

"""One scan: load -> facts -> rules -> suppressions, for every app under the given paths.

Nothing here prints. A rule that raises does not stop the scan: its failure
becomes a notification (and the run is marked unsuccessful), the other rules
and apps still report. Whether the scan is complete enough for a CI gate is
data too (``ScanResult.incomplete``); the command line maps it to an exit code.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import forked
from auditor.config import Config
from auditor.facts import AppFacts, build_facts
from auditor.facts.state import find_state
from auditor.loader import App, discover_apps, load_app, scanned_path
from auditor.model import UNCHANGED, Finding, Location, Notification, Region
from rules.registry import ALL_RULES, RULES_BY_ID
from rules import consent_scope_change as consent
from rules.base import Rule
from rules.manifest_invalid import RULE as INVALID_MANIFEST
from rules.suggest import Suggester
from rules.suppressions import INVALID, UNUSED

if TYPE_CHECKING:
    from auditor.baseline import Known
    from rules.consent_scope_change import Permission


class NoAppsFound(Exception):
    pass


@dataclass
class ScanResult:
    source_root: Path
    apps: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    # The bytes analysed, for each file a finding points into: reports quote and hash these instead of
    # reading the repository again (the file may have changed, or be a FIFO by now).
    contents: dict[Path, bytes] = field(default_factory=dict)
    # What -v prints: per app, the loaded code files nothing deployed runs, and each resource's frontend
    # code folder when it is not the resource path itself (key -> (folder, why)).
    not_deployed: dict[Path, list[Path]] = field(default_factory=dict)
    frontend_sources: dict[Path, dict[str, tuple[Path, str]]] = field(default_factory=dict)
    # The baseline's findings that are gone (auditor.baseline.compare); None when no baseline was given.
    absent: list[Known] | None = None
    # Each app's permissions that need site admins' consent (consent/scope-change compares them with a baseline's).
    permissions: dict[Path, list[Permission]] = field(default_factory=dict)

    @property
    def successful(self) -> bool:
        return not any(n.failure for n in self.notifications)

    @property
    def incomplete(self) -> list[Notification]:
        """The notifications that make this scan incomplete for a CI gate: an app's analysis failed, or a
        file an entry point reaches was skipped, excluded or partly parsed. Empty when complete."""
        return [n for n in self.notifications if n.blocking]

    def reported(self, show_suppressed: bool = False) -> list[Finding]:
        return [f for f in self.findings if show_suppressed or f.suppression is None]

    def gating(self) -> list[Finding]:
        """The unsuppressed findings that may fail a CI gate: all of them, or only the new ones against a baseline."""
        return [f for f in self.reported() if f.baseline_state != UNCHANGED]


# Fewer apps than this are analysed in the scanning process: starting workers would cost more than it saves.
MIN_APPS_PER_POOL = 4


def scan(paths: list[Path], config: Config, source_root: Path, confirm=None, jobs: int = 1) -> ScanResult:
    """``confirm``: replay limits (runtime_harness.replay.Limits) to confirm tenant findings, or None.
    ``jobs``: processes analysing apps at once when the paths hold many apps (tree-sitter holds the
    GIL: threads would not help); the result is the same as with one. A replay needs each app's facts
    in this process: with ``confirm`` the apps are analysed here, one after the other."""
    options = config.load_options()
    roots = discover_apps(paths, options)
    if not roots:
        raise NoAppsFound("no manifest.yml found under " + ", ".join(str(p) for p in paths))
    result = ScanResult(source_root=source_root, apps=roots, rules=_enabled_rules(config))
    if confirm is None and jobs > 1 and len(roots) >= MIN_APPS_PER_POOL:
        scans = _scan_in_workers(roots, paths, config, jobs)
    else:
        budget = None  # the replay budget (--replay-budget) is one for the whole scan
        scans = []
        for root in roots:
            app_scan, budget = _scan_app(root, roots, paths, config, confirm, budget, jobs)
            scans.append(app_scan)
    for root, app_scan in zip(roots, scans):
        result.notifications += app_scan.notifications
        result.findings += app_scan.findings
        result.contents.update(app_scan.contents)
        if app_scan.analysed:
            result.not_deployed[root] = app_scan.not_deployed
            result.frontend_sources[root] = app_scan.frontend_sources
        if app_scan.permissions is not None:
            result.permissions[root] = app_scan.permissions
    result.findings.sort(key=Finding.sort_key)
    return result


def _enabled_rules(config: Config) -> list[Rule]:
    return [rule for rule in ALL_RULES if config.rule_enabled(rule.id)]


@dataclass
class _AppScan:
    """One app's part of a scan result (what a worker process sends back)."""
    notifications: list[Notification] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    contents: dict[Path, bytes] = field(default_factory=dict)
    analysed: bool = False  # False when loading or building its facts failed
    not_deployed: list[Path] = field(default_factory=list)
    frontend_sources: dict[str, tuple[Path, str]] = field(default_factory=dict)
    permissions: list[Permission] | None = None


def _scan_app(root: Path, roots: list[Path], paths: list[Path], config: Config, confirm, budget, jobs: int = 1):
    """(the app's scan, what is left of the replay budget); ``jobs`` > 1: a large app's module-state
    analysis may use a second process."""
    _RETAINED.clear()  # the previous app's facts go before this app's are built: one app's at a time
    out = _AppScan()
    rules = _enabled_rules(config)
    split = _StateSplit(rules, jobs, replay=confirm is not None)
    try:
        app = load_app(root, config.load_options(), other_roots=set(roots) - {root},
                       scanned=scanned_path(root, paths))
        facts = build_facts(app, module_state=any(rule.invocations for rule in rules), defer_state=True,
                            flow_ready=split.start)
        rule_notes: list[Notification] = []  # a rule's failure (the others still report)
        findings = split.findings(facts, rule_notes)
    except Exception as exc:  # one app's surprise must not cost the other apps their findings
        out.notifications.append(_internal_error("internal error while analysing this app, its findings "
                                                 "are missing", exc, root))
        return out, budget
    finally:
        split.collect()  # a child is always waited for
    out.analysed = True
    out.notifications += facts.notifications + rule_notes
    out.not_deployed = facts.not_deployed
    out.frontend_sources = app.frontend_sources
    if facts.manifest is not None and app.manifest is not None:
        out.permissions = consent.permissions(facts.manifest, app.manifest)
    out.findings = _apply_suppressions(facts, findings, config)
    if confirm is not None:  # suppressed findings are not worth a replay
        budget = _confirm(facts, [f for f in out.findings if f.suppression is None], confirm, budget,
                          out.notifications)
    out.contents = _contents(app, out.findings)
    _RETAINED[:] = [facts]
    return out, budget


# The last app's facts, kept past its scan: freeing a large app's trees and facts object by object costs
# ~5 % of its scan (0.1 s of a 5 MB bundle's), and the command line ends the process right after
# the report. The next app's scan frees them first.
_RETAINED: list[AppFacts] = []


def _scan_in_workers(roots: list[Path], paths: list[Path], config: Config, jobs: int) -> list[_AppScan]:
    """Each app's scan, ``jobs`` apps at a time in worker processes, in the order of ``roots``. An app
    whose worker fails (its result cannot be sent back, the worker died) is scanned here."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # fork: the workers start with everything imported (spawn would import it all again per worker)
    context = get_context("fork") if sys.platform == "linux" else None
    with ProcessPoolExecutor(max_workers=min(jobs, len(roots)), mp_context=context) as pool:
        futures = [pool.submit(_scan_app_in_worker, root, roots, paths, config) for root in roots]
        scans = []
        for root, future in zip(roots, futures):
            try:
                scans.append(future.result())
            except Exception:
                scans.append(_scan_app(root, roots, paths, config, None, None)[0])
    return scans


def _scan_app_in_worker(root: Path, roots: list[Path], paths: list[Path], config: Config) -> _AppScan:
    return _scan_app(root, roots, paths, config, None, None)[0]


def _internal_error(what: str, exc: Exception, root: Path) -> Notification:
    """A blocking notification for an exception; paths under the app are shown relative to it."""
    detail = str(exc).replace(str(root) + os.sep, "").replace(str(root), ".")
    return Notification("error", f"{what}: {type(exc).__name__}: {detail}", root / "manifest.yml", blocking=True)


def _contents(app: App, findings: list[Finding]) -> dict[Path, bytes]:
    files = {source.path: source.data for source in app.sources}
    if app.manifest_data is not None:
        files[app.manifest_path] = app.manifest_data
    # the manifest always: consent/scope-change, found after the scan, points into it
    wanted = {app.manifest_path} | {loc.path for f in findings
                                    for loc in [f.location, *f.related, *(step for flow in f.code_flows for step in flow)]}
    return {path: files[path] for path in wanted if path in files}


def _confirm(facts: AppFacts, findings: list[Finding], limits, budget, notes: list[Notification]):
    """Replay the app's findings within what is left of the scan's budget; returns the budget."""
    from runtime_harness import replay  # V8 is loaded only when confirmation is asked for

    budget = budget or replay.Budget(limits.budget)
    try:
        replay.confirm(facts, findings, limits, budget)
    except Exception as exc:  # the static findings stand even when the replay machinery fails
        notes.append(Notification("error", f"replay failed: {type(exc).__name__}: {exc}", facts.app.manifest_path))
    return budget


# Backend code (bytes) from which an app's module-state analysis, up to half of its scan, is split
# between two processes by module (_StateSplit); below it, the fork and the pickled findings cost more
# than they save.
SPLIT_BYTES = 128 * 1024


class _StateSplit:
    """facts.state, found when a rule or the replay reads it, and the rules' findings. With ``jobs`` > 1
    and no replay (which needs all of the state here), a large app's state is found in two halves at
    once: as soon as the value flow exists, a forked child takes the state declared in the first two
    thirds of the modules (by size) and runs the rules that read it, while this process builds the rest
    of the facts, takes the other third and runs every rule."""

    def __init__(self, rules: list[Rule], jobs: int, replay: bool):
        self.rules = rules
        self.stateful = [rule for rule in rules if rule.module_state]
        self.needed = bool(self.stateful) or replay
        self.may_split = jobs > 1 and not replay and bool(self.stateful) and forked.AVAILABLE
        self.theirs: list[Path] = []
        self._result = None

    def start(self, facts: AppFacts) -> None:
        """The child's part, started when the app is large enough to pay for a process."""
        modules = sorted(facts.stateful)
        sizes = [len(facts.graph.modules[path].parsed.data) for path in modules]
        size = sum(sizes)
        if not self.may_split or len(modules) < 2 or size < SPLIT_BYTES:
            return
        # the first modules up to two thirds of the bytes (at least one, never all): this process also
        # extracts the code facts and runs the other rules meanwhile (measured: then both end together)
        count, total = 1, sizes[0]
        while count < len(modules) - 1 and 3 * (total + sizes[count]) <= 2 * size:
            total += sizes[count]
            count += 1
        self.theirs = modules[:count]
        self._result = forked.start(lambda: _state_findings(facts, self.theirs, self.stateful))

    def findings(self, facts: AppFacts, notes: list[Notification]) -> list[Finding]:
        if facts.flow is None or not self.needed:
            return _run_rules(facts, self.rules, notes)
        facts.state = _state(facts, sorted(set(facts.stateful) - set(self.theirs)))
        findings = _run_rules(facts, self.rules, notes)
        if not self.theirs:
            return findings
        found, their_notes = self.collect() or _state_findings(facts, self.theirs, self.stateful)  # failed: here
        notes += their_notes
        return findings + found

    def collect(self) -> tuple[list[Finding], list[Notification]] | None:
        """The child's findings and notes (None when there is no child, or it failed); waits for it."""
        result, self._result = self._result, None
        return result() if result is not None else None


def _state(facts: AppFacts, modules: list[Path]) -> list:
    return find_state(facts.graph, facts.stateful, facts.flow.values, facts.flow, analysed=modules)


def _state_findings(facts: AppFacts, modules: list[Path], rules: list[Rule]) -> tuple[list[Finding], list[Notification]]:
    """The findings of ``rules`` over the state declared in ``modules`` alone (with its own notes)."""
    notes: list[Notification] = []
    return _run_rules(replace(facts, state=_state(facts, modules)), rules, notes), notes


def _run_rules(facts: AppFacts, rules: list[Rule], notes: list[Notification]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple] = set()
    for rule in rules:
        if rule.check is None:
            continue
        try:
            produced = list(rule.check(facts))
        except Exception as exc:  # a broken rule must not hide the others' findings
            notes.append(_internal_error(f"rule {rule.id} failed", exc, facts.app.root))
            continue
        for finding in produced:
            key = (finding.rule_id, finding.location, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return _one_finding_per_entry(findings)


def _one_finding_per_entry(findings: list[Finding]) -> list[Finding]:
    """A manifest entry ``manifest/invalid`` reports gets no second finding: what another rule says about the
    entry (a wildcard in a malformed address, an unknown name that is two scopes on one line) rests on a
    reading of it Forge would not make. "On the entry": inside the reported node, starting on its first line."""
    invalid = [(f.location.path, f.location.region) for f in findings
               if f.rule_id == INVALID_MANIFEST.id and f.location.region is not None]
    if not invalid:
        return findings
    return [f for f in findings if f.rule_id == INVALID_MANIFEST.id or f.location.region is None
            or not any(path == f.location.path and _on_entry(f.location.region, node) for path, node in invalid)]


def _on_entry(region: Region, node: Region) -> bool:
    if region.start_line != node.start_line or region.start_column < node.start_column:
        return False
    if node.end_line is None or node.end_column is None:
        return region.start_column == node.start_column
    end = (region.end_line or region.start_line, region.end_column or region.start_column)
    return end <= (node.end_line, node.end_column)


def _apply_suppressions(facts: AppFacts, findings: list[Finding], config: Config) -> list[Finding]:
    extra: list[Finding] = []
    valid = []
    for sup in facts.suppressions:
        where = Location(sup.path, Region(sup.line, 1))
        if sup.rule_id not in RULES_BY_ID:
            what = f"unknown rule '{sup.rule_id}'" if sup.rule_id else "no rule id"
            extra.append(INVALID.finding(
                f"forge-audit-ignore names {what}" + (Suggester(RULES_BY_ID).hint(sup.rule_id) if sup.rule_id else ""),
                where, properties={"rule": sup.rule_id}))
        elif not sup.reason:
            extra.append(INVALID.finding(
                f"forge-audit-ignore {sup.rule_id} has no reason (write '{sup.rule_id}: why'); it suppresses nothing",
                where, properties={"rule": sup.rule_id}))
        else:
            valid.append(sup)
    for finding in findings:
        region = finding.location.region
        if region is None:
            continue
        for sup in valid:
            if sup.rule_id == finding.rule_id and sup.path == finding.location.path and sup.covers(region.start_line):
                finding.suppression = sup
                sup.used = True
                break
    for sup in valid:
        if not sup.used and config.rule_enabled(sup.rule_id):
            extra.append(UNUSED.finding(
                f"forge-audit-ignore {sup.rule_id} matched no finding on the line{'s' if sup.covers_next else ''} "
                "it covers; remove it",
                Location(sup.path, Region(sup.line, 1)), properties={"rule": sup.rule_id}))
    return findings + [f for f in extra if config.rule_enabled(f.rule_id)]

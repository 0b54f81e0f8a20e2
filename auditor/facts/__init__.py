"""Facts about one app, derived once and shared by every rule.

Flow: a loaded App (manifest + code bytes) -> parsed files -> facts. Rules
read only these facts; they never parse or print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from auditor.facts import sdk_calls
from auditor.facts.api_calls import ApiCall, FetchCall, StorageUse, extract
from auditor.facts.credentials import LiteralSecret, TokenHeader, literal_secrets, manifest_secrets, token_headers
from auditor.facts.completeness import deployed_files, mark_blocking, reached_files
from auditor.facts.entrypoints import Entries, find_entries
from auditor.facts.manifest import ManifestFacts, read_manifest
from auditor.facts.modules import ModuleGraph, build_module_graph
from auditor.facts.state import StateFact, find_state
from auditor.facts.scope_needs import Requirement, ScopeNeed, Unresolved, call_needs, lost_route_need
from auditor.facts.suppressions import js_suppressions, yaml_suppressions
from auditor.facts.taint import Flow
from auditor.facts.values import Values
from auditor.loader import App
from auditor.model import Notification, Suppression
from auditor.parsing import parse_source
from rules import catalog


@dataclass
class AppFacts:
    app: App
    manifest: ManifestFacts | None
    api_calls: list[ApiCall] = field(default_factory=list)
    fetch_calls: list[FetchCall] = field(default_factory=list)
    storage_uses: list[StorageUse] = field(default_factory=list)
    needs: list[ScopeNeed] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    graph: ModuleGraph | None = None
    # Loaded code files that nothing deployed runs (tests, scripts, tooling): their calls need no scope.
    not_deployed: list[Path] = field(default_factory=list)
    entries: Entries = field(default_factory=Entries)
    state: list[StateFact] = field(default_factory=list)
    stateful: set[Path] = field(default_factory=set)  # the backend modules whose state is looked at (entries reach)
    flow: Flow | None = None    # origins and guards over backend code, with the entry points (module_state)
    literal_secrets: list[LiteralSecret] = field(default_factory=list)  # in code and in the manifest
    token_headers: list[TokenHeader] = field(default_factory=list)

    @property
    def declared_scopes(self) -> set[str]:
        return {s.name for s in self.manifest.scopes} if self.manifest else set()


def build_facts(app: App, module_state: bool = True, defer_state: bool = False,
                flow_ready: Callable[[AppFacts], None] | None = None) -> AppFacts:
    """Facts about ``app``; ``module_state`` False skips entry points, state and flow (only the rules that
    follow invocation data, and the replay, use them). The module graph is always built: it decides which
    gaps block a CI gate. ``defer_state``: facts.state is left to the caller (find_state over
    facts.stateful), which may split it between processes; ``flow_ready`` is called as soon as the entries
    and the value flow exist, before the code facts (calls, needs, secrets), which the state needs none of."""
    manifest = read_manifest(app.manifest, app.manifest_path, app.root) if app.manifest else None
    facts = AppFacts(app=app, manifest=manifest, notifications=list(app.notifications))
    if app.manifest is not None:
        facts.suppressions += yaml_suppressions(app.manifest_path, "\n".join(app.manifest.lines))
    files = []
    resource_entries = []  # UI Kit resources name their entry file
    partial = set()
    for source in app.sources:
        parsed, notes = parse_source(source)
        facts.notifications += notes
        if parsed is None:
            continue
        if parsed.tree.root_node.has_error:
            partial.add(source.path)
        facts.suppressions += js_suppressions(parsed)
        files.append(parsed)
        if source.frontend and source.path in app.frontend_roots:
            resource_entries.append(parsed)
    # Custom UI code runs in one user's browser: no shared state, and a module graph of its own.
    backend = [f for f in files if not f.source.frontend]
    facts.graph = build_module_graph(backend)
    reached = reached_files(app, manifest, facts.graph, facts.notifications)
    facts.notifications = mark_blocking(app, reached, facts.notifications, partial)
    # Only code that runs once deployed needs scopes or egress; without a sound answer, all code may run.
    entry_modules = build_module_graph(resource_entries).modules if resource_entries else {}
    deployed = deployed_files(app, manifest, facts.graph, reached, entry_modules)
    skipped: set = set()
    if deployed is not None:
        facts.not_deployed = sorted(s.path for s in app.sources if s.path not in deployed)
        skipped = set(facts.not_deployed)
    values = {False: Values(backend, facts.graph), True: Values([f for f in files if f.source.frontend])}
    if module_state:
        facts.entries = find_entries(manifest, facts.graph)
        starts = [p for p in facts.entries.files.values() if p in facts.graph.modules]
        # Without a resolvable entry (broken manifest), every backend module may run.
        facts.stateful = facts.graph.reachable(starts) if starts else set(facts.graph.modules)
        facts.flow = Flow(values[False], facts.entries, facts.graph)
        if flow_ready is not None:
            flow_ready(facts)
    for parsed in files:
        if parsed.source.path in skipped:
            continue
        code = extract(parsed, values[parsed.source.frontend])
        facts.api_calls += code.api_calls
        facts.fetch_calls += code.fetch_calls
        facts.storage_uses += code.storage_uses
        facts.unresolved += [lost_route_need(lost) for lost in code.lost_routes]
        facts.literal_secrets += literal_secrets(parsed, values[parsed.source.frontend])
        helpers = sdk_calls.extract(parsed)
        facts.needs += helpers.needs
        facts.unresolved += helpers.unresolved
    facts.token_headers = token_headers(facts.api_calls, facts.fetch_calls, files,
                                        lambda parsed: values[parsed.source.frontend])
    if app.manifest is not None:
        facts.literal_secrets += manifest_secrets(app.manifest, app.manifest_path)
    seen = set()
    for call in facts.api_calls:
        for need in call_needs(call):
            # one need per endpoint and place: both identities of `(c ? asUser() : asApp())` need the same;
            # a wrapper's call site in code that is not deployed needs nothing
            key = (need.what if isinstance(need, ScopeNeed) else need.reason, need.location)
            if key not in seen and need.location.path not in skipped:
                seen.add(key)
                (facts.needs if isinstance(need, ScopeNeed) else facts.unresolved).append(need)
    if manifest is not None:
        facts.needs += _manifest_needs(manifest)
    if module_state and not defer_state:
        facts.state = find_state(facts.graph, facts.stateful, values[False], facts.flow)
    if facts.storage_uses:
        use = facts.storage_uses[0]
        facts.needs.append(ScopeNeed(f"Forge storage ({use.what})",
                                     [Requirement.of({"storage:app"})], use.location, "storage"))
    return facts


def _manifest_needs(manifest: ManifestFacts) -> list[ScopeNeed]:
    needs = []
    known_events = catalog.events()
    for trigger in manifest.events:
        event = known_events.get(trigger.event)
        if event is None:
            continue
        needs.append(ScopeNeed(
            f"product event {trigger.event} (trigger {trigger.module_key})",
            [Requirement.of(event["classic"], event["granular"])],
            trigger.location, "event",
        ))
    for token, location in manifest.token_remotes.items():
        scope = "read:app-system-token" if token == "appSystemToken" else "read:app-user-token"
        needs.append(ScopeNeed(f"remote auth.{token}", [Requirement.of({scope})],
                               location, "remote"))
    return needs

"""Replaying two tenants through V8 isolates: confirmations, never a false one, hostile code contained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor.config import Config
from auditor.engine import scan
from auditor.facts import build_facts
from auditor.loader import LoadOptions, load_app
from auditor.model import Finding, Location, Region
from runtime_harness import replay, session
from runtime_harness.replay import Limits
from tests.test_hostile_replay import MANIFEST as RESOLVER_MANIFEST

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TENANT_ONLY = Config(enable=frozenset({"tenant/global-state"}))


def confirmed_findings(path: Path, limits: Limits | None = Limits()):
    result = scan([path], TENANT_ONLY, path, confirm=limits)
    return {(f.location.path.relative_to(path).as_posix(), f.location.region.start_line): f
            for f in result.reported() if f.level in ("error", "warning")}


@pytest.fixture(scope="module")
def tenant_replays():
    return confirmed_findings(FIXTURES / "tenant")


def test_confirmable_leaks_are_confirmed(tenant_replays) -> None:
    inventory = yaml.safe_load((FIXTURES / "tenant" / "confirmable.yaml").read_text())
    expected = {(e["file"], e["line"]) for e in inventory["confirmed"]}
    confirmed = {key for key, f in tenant_replays.items() if f.properties.get("confirmed")}
    assert len(expected) >= 25
    assert confirmed == expected
    for key in confirmed:
        details = tenant_replays[key].properties["confirmation"]
        assert details["observed"] and details["canary"] in details["observed"]
        assert details["freshIsolatePerInvocationLeaks"] is False
        assert details["writer"] and details["reader"] and details["payloads"]["A"] is not None
        assert "confirmed by replay" in tenant_replays[key].message
        assert any(step.message.startswith("replay: tenant B") for flow in tenant_replays[key].code_flows
                   for step in flow)


def test_influence_without_a_canary_is_not_a_confirmation(tenant_replays) -> None:
    """A's state changes B's answer (a count, a flag, figures computed from A's issues) but no canary of
    A's reaches B: the outcome is "influenced", with both outputs, and the finding stays unconfirmed."""
    inventory = yaml.safe_load((FIXTURES / "tenant" / "confirmable.yaml").read_text())
    expected = {(e["file"], e["line"]) for e in inventory["influenced"]}
    influenced = {key for key, f in tenant_replays.items() if f.properties["confirmation"]["outcome"] == "influenced"}
    assert influenced == expected
    for key in influenced:
        finding = tenant_replays[key]
        details = finding.properties["confirmation"]
        assert finding.properties["confirmed"] is False and "confirmed by replay" not in finding.message
        assert details["canary"] not in json.dumps(details["outputs"])
        assert details["outputs"]["afterTenantA"] != details["outputs"]["freshIsolate"]
        assert "B's output was the fresh isolate's again" in details["reason"]
    outcomes = {f.properties["confirmation"]["outcome"] for f in tenant_replays.values()}
    assert outcomes <= set(replay.OUTCOMES) and {"confirmed", "influenced", "not-confirmed"} <= outcomes


def test_influenced_is_said_in_text_and_json(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from auditor.cli import main

    app = str(FIXTURES / "tenant" / "sprint-health-counters")
    text = CliRunner().invoke(main, ["scan", app, "--no-config", "--confirm"]).output
    assert text.count("replay influenced, not confirmed:") == 2 and "replay confirmed" not in text
    report = json.loads(CliRunner().invoke(main, ["scan", app, "--no-config", "--confirm", "--format", "json"]).output)
    replayed = [f["properties"] for f in report["findings"] if "confirmation" in f["properties"]]
    assert [(p["confirmed"], p["confirmation"]["outcome"]) for p in replayed] == [(False, "influenced")] * 2


def test_pairs_rank_direct_writers_and_entries_that_did_not_throw() -> None:
    finding = Finding("tenant/global-state", "error", "synthetic", None, properties={
        "writerEntryPoints": ["archive", "bulkMove", "getIssue"], "readerEntryPoints": ["archive", "bulkMove", "getIssue"]})
    threw: set[str] = set()
    plan = replay.pairs(finding, {"getIssue": 0, "archive": 2, "bulkMove": 1}, threw)
    assert next(plan) == ("getIssue", "getIssue")  # writes the state itself
    threw.add("getIssue")                          # ... but threw: its pairs go last
    assert list(plan) == [("bulkMove", "bulkMove"), ("bulkMove", "archive"), ("archive", "archive"),
                          ("archive", "bulkMove"), ("getIssue", "archive"), ("getIssue", "bulkMove"),
                          ("bulkMove", "getIssue"), ("archive", "getIssue")]


def test_the_writer_is_found_behind_entries_that_throw(make_app) -> None:
    """Five bulk resolvers (alphabetically first) reach the cache through helpers but reject the payload;
    getIssue writes the cache itself. The plan tries it first and confirms, and records what it tried."""
    bulk = "".join(f"""
resolver.define('{name}', async ({{ payload }}) => {{
  if (!BULK_ACTIONS.includes(payload.action)) throw new Error(`Unknown action: ${{payload.action}}`);
  return Promise.all(payload.issueKeys.map((key) => withIssue(key, (issue) => issue.fields.summary)));
}});
""" for name in ("archiveIssues", "bulkLabel", "bulkMove", "bulkTransition", "cloneIssues"))
    app = make_app({"manifest.yml": RESOLVER_MANIFEST, "src/index.js": f"""import Resolver from '@forge/resolver';
import api, {{ route }} from '@forge/api';

const resolver = new Resolver();
const BULK_ACTIONS = ['archive-v2', 'label-v2', 'move-v2'];
const issues = {{}};

async function fetchIssue(key) {{
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${{key}}`);
  return res.json();
}}

async function cachedIssue(key) {{
  if (!issues[key]) issues[key] = await fetchIssue(key);
  return issues[key];
}}

async function withIssue(key, use) {{
  return use(await cachedIssue(key));
}}
{bulk}
resolver.define('getIssue', async ({{ payload }}) => {{
  if (!issues[payload.issueKey]) issues[payload.issueKey] = await fetchIssue(payload.issueKey);
  return issues[payload.issueKey];
}});

export const handler = resolver.getDefinitions();
"""})
    found = confirmed_findings(app)
    (finding,) = found.values()
    details = finding.properties["confirmation"]
    assert finding.properties["confirmed"] is True and details["outcome"] == "confirmed"
    assert details["attempts"] == [{"writer": "resolver:getIssue", "reader": "resolver:getIssue", "confirmed": True,
                                    "outcome": "confirmed", "reason": ""}]


def test_entries_that_threw_go_last_for_the_next_findings(make_app) -> None:
    """importAll writes both caches itself but rejects every caller (no admin is configured in the
    sandbox): the first finding tries it first and learns it throws; the second finding then starts
    with the entry that does not."""
    app = make_app({"manifest.yml": RESOLVER_MANIFEST, "src/index.js": """\
import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';

const resolver = new Resolver();
const ADMINS = new Set((process.env.ADMIN_ACCOUNT_IDS ?? '').split(',').filter(Boolean));
const projects = {};
const boards = {};

async function jira(path) {
  const res = await api.asApp().requestJira(path);
  return res.json();
}

async function project(key) {
  projects[key] = projects[key] ?? (await jira(route`/rest/api/3/project/${key}`));
  return projects[key];
}

async function board(id) {
  boards[id] = boards[id] ?? (await jira(route`/rest/agile/1.0/board/${id}`));
  return boards[id];
}

resolver.define('importAll', async ({ payload, context }) => {
  if (!ADMINS.has(context.accountId)) throw new Error('Only app admins can import');
  projects[payload.projectKey] = await jira(route`/rest/api/3/project/${payload.projectKey}`);
  boards[payload.boardId] = await jira(route`/rest/agile/1.0/board/${payload.boardId}`);
  return { imported: 2 };
});

resolver.define('getProject', async ({ payload }) => project(payload.projectKey));
resolver.define('getBoard', async ({ payload }) => board(payload.boardId));

export const handler = resolver.getDefinitions();
"""})
    found = confirmed_findings(app)
    tried = {finding.properties["state"]: [(a["writer"], a["reader"], a["outcome"])
                                           for a in finding.properties["confirmation"]["attempts"]]
             for finding in found.values()}
    assert tried["projects"] == [("resolver:importAll", "resolver:getProject", "not-confirmed"),
                                 ("resolver:getProject", "resolver:getProject", "confirmed")]
    assert tried["boards"] == [("resolver:getBoard", "resolver:getBoard", "confirmed")]


def test_unconfirmed_leaks_keep_their_level_and_say_why(tenant_replays) -> None:
    static = confirmed_findings(FIXTURES / "tenant", None)
    unconfirmed = {key: f for key, f in tenant_replays.items() if not f.properties.get("confirmed")}
    assert unconfirmed
    assert {f.level for f in unconfirmed.values()} == {"error", "warning"}  # dead readers: warnings
    for key, finding in unconfirmed.items():
        assert finding.properties["confirmed"] is False
        assert finding.properties["confirmation"]["reason"]
        assert finding.level == static[key].level


def test_tenant_scoped_code_is_never_confirmed() -> None:
    """Replay every pair of entry points of an app whose caches are all tenant-scoped: a harness that
    shared storage, leaked canaries or behaved nondeterministically would confirm something here."""
    app = FIXTURES / "replay-safe" / "tenant-scoped"
    facts = build_facts(load_app(app.resolve(), LoadOptions()))
    entries = [e.id for e in facts.entries.entries]
    states = facts.state
    assert len(entries) >= 6 and len(states) >= 4
    findings = []
    for n, (writer, reader) in enumerate((w, r) for w in entries for r in entries):
        state = states[n % len(states)]  # every pair judged against one of the app's real states
        findings.append(Finding("tenant/global-state", "error", "synthetic", state.declaration,
                                properties={"writerEntryPoints": [writer], "readerEntryPoints": [reader],
                                            "state": state.name, "kind": state.kind}))
    replay.confirm(facts, findings, Limits())
    assert [f.properties["confirmation"].get("reason") for f in findings if f.properties["confirmed"]] == []
    assert [f.properties["confirmation"]["reason"] for f in findings
            if f.properties["confirmation"]["outcome"] != "not-confirmed"] == []
    ran = [f for f in findings if f.properties["confirmation"].get("writer")]
    assert len(ran) == len(findings), "every pair must actually run"


def test_hostile_code_fails_cleanly_and_other_replays_go_on(tmp_path: Path) -> None:
    sentinel = Path("/tmp/forge-audit-sandbox-escape")
    sentinel.unlink(missing_ok=True)
    found = confirmed_findings(FIXTURES / "hostile", Limits(call_timeout=2.0, memory_bytes=64 * 1024 * 1024))
    reasons = {key: f.properties["confirmation"].get("reason", "") for key, f in found.items()}
    confirmed = sorted(key for key, f in found.items() if f.properties["confirmed"])
    assert confirmed == [("sandbox-escape/src/index.js", 8), ("sandbox-escape/src/index.js", 20)], reasons
    assert "timed out" in reasons[("sandbox-escape/src/index.js", 10)]                 # endless loop
    assert any(word in reasons[("sandbox-escape/src/index.js", 12)]
               for word in ("memory limit", "timed out"))                                # memory bomb
    assert "module 'fs' is not available" in reasons[("sandbox-escape/src/index.js", 14)]
    assert "process.exit(1) is not allowed" in reasons[("sandbox-escape/src/index.js", 16)]
    assert "module 'http' is not available" in reasons[("sandbox-escape/src/index.js", 18)]
    assert "loading" in reasons[("load-loop/src/index.js", 6)] and "timed out" in reasons[("load-loop/src/index.js", 6)]
    assert not sentinel.exists(), "app code reached the host filesystem"


def test_replay_trace_for_a_developer() -> None:
    facts = build_facts(load_app((FIXTURES / "tenant" / "issue-panel-cache").resolve(), LoadOptions()))
    text = replay.trace(facts, "resolver:getProject", {"issueKey": "PROJ-1"}, Limits())
    shared, fresh = text.split("a fresh isolate per invocation:")
    assert "request   GET /rest/api/3/project/PROJ" in shared
    assert "tenant A's data reached tenant B" in shared and "tenant A's data reached tenant B" not in fresh


def test_sandbox_stubs_and_loader(tmp_path: Path) -> None:
    files = {
        "/app/src/index.js": "const util = require('./util');\nconst lib = require('./lib');\n"
                             "const { kvs } = require('@forge/kvs');\nconst api = require('@forge/api').default;\n"
                             "const { route } = require('@forge/api');\n"
                             "exports.run = async (payload, context) => {\n"
                             "  const before = await kvs.get('k');\n  await kvs.set('k', context.cloudId);\n"
                             "  const res = await api.asUser().requestJira(route`/rest/api/3/issue/${payload.issueKey}`, { method: 'GET' });\n"
                             "  const body = await res.json();\n"
                             "  let badRoute; try { route`/x/${'../etc'}`; } catch (e) { badRoute = e.message; }\n"
                             "  let fsError; try { require('fs'); } catch (e) { fsError = e.message; }\n"
                             "  const pad = require('left-pad');\n"
                             "  return { before: before ?? null, ok: res.ok, status: res.status, summary: body.fields.summary,\n"
                             "    badRoute, fsError, env: Object.keys(process.env).length, now: Date.now(), u: util.x, l: lib.y, pad: String(pad('a')) };\n"
                             "};\n",
        "/app/src/util.ts": "exports.x = 1;\n",
        "/app/src/lib/index.js": "exports.y = 2;\n",
    }
    a, b = replay.tenant("A"), replay.tenant("B")
    step = lambda t, i: {"tenant": t, "file": "/app/src/index.js", "export": "run", "resolverKey": None,  # noqa: E731
                         "payload": {"issueKey": "PROJ-1"}, "context": {"cloudId": t["cloudId"]}, "label": "run"}
    job = {"files": files, "packages": {}, "runs": [{"id": "r", "steps": [step(a, 0), step(b, 1), step(a, 2)]}],
           "limits": {"memory_bytes": 64 * 1024 * 1024, "call_timeout": 5}}
    run = replay.run_sandbox(job, 60)["runs"][0]
    results = [json.loads(s["result"]) for s in run["steps"]]
    assert all(s["ok"] for s in run["steps"]), run
    # storage is per installation, and a key a site never wrote reads as that site's seeded data
    assert [r["before"] for r in results] == [f"{a['canary']}:storage:k", f"{b['canary']}:storage:k", a["cloudId"]]
    assert results[0]["summary"].startswith(a["canary"]) and results[1]["summary"].startswith(b["canary"])
    assert results[0]["ok"] is True and results[0]["status"] == 200
    assert results[0]["badRoute"] == "Disallowing path manipulation attempt"
    assert "module 'fs' is not available" in results[0]["fsError"]
    assert results[0]["env"] == 0 and results[1]["now"] - results[0]["now"] == 1000
    assert (results[0]["u"], results[0]["l"]) == (1, 2)
    assert results[0]["pad"] == "[stub left-pad()]"
    assert "needs package left-pad: not in node_modules, used a recording stub" in run["steps"][0]["notes"]
    calls = run["steps"][0]["calls"]
    assert {"kind": "request", "product": "jira", "method": "GET", "path": "/rest/api/3/issue/PROJ-1"}.items() <= \
        next(c for c in calls if c["kind"] == "request").items()


def test_confirmed_sarif_is_schema_valid(tmp_path: Path) -> None:
    from tests.test_sarif import schema_errors
    from auditor.report import sarif

    app = FIXTURES / "tenant" / "issue-panel-cache"
    result = scan([app], TENANT_ONLY, app, confirm=Limits())
    log = json.loads(sarif.render(result))
    assert schema_errors(log) == []
    confirmed = [r for r in log["runs"][0]["results"] if r["properties"].get("confirmed")]
    assert confirmed and all("confirmed by replay" in r["message"]["text"] for r in confirmed)
    assert all(r["properties"]["confirmation"]["runtimeModel"].startswith("shared process") for r in confirmed)


def test_plain_js_packages_from_node_modules_are_loaded(make_app) -> None:
    app = make_app({
        "src/index.js": """\
import api, { route } from '@forge/api';
import { LRUCache } from 'lru-cache';
const issues = new LRUCache({ max: 10 });
export async function handler(payload) {
  if (!issues.has(payload.issueKey)) {
    const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`);
    issues.set(payload.issueKey, await res.json());
  }
  return issues.get(payload.issueKey);
}
""",
        "node_modules/lru-cache/package.json": '{"name": "lru-cache", "main": "dist/index.js"}',
        "node_modules/lru-cache/dist/index.js": """\
// A stand-in with the real package's shape; the replay must load this file, not its own stand-in.
class LRUCache {
  constructor(options) { this.max = options.max; this.entries = new Map(); globalThis.__realLru = true; }
  has(k) { return this.entries.has(k); }
  set(k, v) { this.entries.set(k, v); return this; }
  get(k) { return this.entries.get(k); }
}
module.exports = { LRUCache };
""",
    })
    finding = next(iter(confirmed_findings(app).values()))
    details = finding.properties["confirmation"]
    assert finding.properties["confirmed"] is True, details
    assert not any("lru-cache" in note for note in details["sandboxNotes"])
    facts = build_facts(load_app(app.resolve(), LoadOptions()))
    files, _, _, _ = replay.prepare_files(facts)
    packages = replay.prepare_packages(facts, files)
    assert packages == {"lru-cache": "/node_modules/lru-cache/dist/index.js"}  # app-relative: no host path
    assert "globalThis.__realLru = true" in files["/node_modules/lru-cache/dist/index.js"]


def test_a_sandbox_that_dies_is_reported_not_mistaken_for_a_timeout(monkeypatch) -> None:
    monkeypatch.setattr(session.sys, "executable", "/bin/false")  # a child that exits at once
    job = {"files": {}, "packages": {}, "limits": {"memory_bytes": 1 << 26, "call_timeout": 1},
           "runs": [{"id": "r", "steps": [{"tenant": replay.tenant("A"), "file": "/x.js"}]}]}
    run = replay.run_sandbox(job, 30)["runs"][0]
    assert run["steps"] == [] and "ended unexpectedly (exit code 1)" in run["problems"][0]


def test_each_handler_file_bundle_has_its_own_module_state() -> None:
    """Forge bundles webtrigger.ts and scheduler.ts separately: the queue the web trigger fills is not the
    one the scheduled flush drains. Replayed as one process, tenant A's submission would reach tenant B's
    flush (and be created as an issue in B's site); replayed as Forge runs it, it must not."""
    app = (FIXTURES / "tenant" / "bundle-inbox-split").resolve()
    facts = build_facts(load_app(app, LoadOptions()))
    queue = next(s for s in facts.state if s.name == "pending")
    finding = Finding("tenant/global-state", "error", "synthetic", queue.declaration,
                      properties={"writerEntryPoints": ["function:receive"], "readerEntryPoints": ["function:flush"],
                                  "state": "pending", "kind": queue.kind})
    replay.confirm(facts, [finding], Limits())
    details = finding.properties["confirmation"]
    assert details.get("writer") == "function:receive" and details.get("reader") == "function:flush", details
    assert finding.properties["confirmed"] is False and "did not receive tenant A's data" in details["reason"]


def test_pairs_stay_within_one_bundle() -> None:
    finding = Finding("tenant/global-state", "error", "synthetic", None, properties={
        "writerEntryPoints": ["function:receive", "resolver:save"], "readerEntryPoints": ["function:flush",
                                                                                          "resolver:load"],
        "sharedBy": {"src/a.ts": ["function:receive", "function:flush"], "src/b.ts": ["resolver:save", "resolver:load"]}})
    assert list(replay.pairs(finding)) == [("function:receive", "function:flush"), ("resolver:save", "resolver:load")]


def test_stub_vocabulary_is_read_from_the_syntax_tree(make_app) -> None:
    from runtime_harness import stub_data

    app = make_app({"src/index.js": (
        "import api, { route } from '@forge/api';\n"
        "const POINTS = 'Story Points';\n"
        "export async function handler(payload) {\n"
        "  const fields = await (await api.asApp().requestJira(route`/rest/api/3/field`)).json();\n"
        "  const f = fields.find((x) => x.name === POINTS || x['key'] == `sp`);\n"
        "  switch (payload.action) { case 'refresh': break; case \"reset\": break; default: throw new Error('no'); }\n"
        "  if ('Done' !== f?.status?.name) return f.id;\n"
        "  const { summary, labels } = f;\n"
        "  return { summary, labels, total: f.total, other: payload.action.trim() };\n"
        "}\n")})
    facts = build_facts(load_app(app, LoadOptions()))
    data = stub_data.sandbox_data(facts)
    assert data["literals"] == {"name": ["Story Points", "Done"], "key": ["sp"], "action": ["refresh", "reset"]}
    assert {"summary", "labels", "total", "status", "name"} <= set(data["names"])
    assert "trim" not in data["names"] and "find" not in data["names"]  # methods called, not fields read
    # only the operations the app's paths can be, and the schemas those use
    catalog = json.loads(data["catalog"])
    assert ["GET", "/rest/api/3/field", "^/rest/api/3/field$", ["[]", "#jira/FieldDetails"]] in catalog["operations"]["jira"]
    assert all(path.startswith("/rest/api/3/field") for _, path, _, _ in catalog["operations"]["jira"])
    assert catalog["schemas"]["jira/FieldDetails"]["name"] == "s" and "jira/IssueBean" not in catalog["schemas"]


LEAKY_HANDLER = """\
import api, { route } from '@forge/api';
import { Settings } from './settings';
const issues = new Map();
export async function handler(payload) {
  if (!issues.has(payload.issueKey)) {
    const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`);
    issues.set(payload.issueKey, await res.json());
  }
  return { issue: issues.get(payload.issueKey), limit: Settings.limit };
}
"""


def test_a_module_on_the_load_path_that_does_not_compile_is_named_with_its_line(make_app) -> None:
    app = make_app({"src/index.js": LEAKY_HANDLER, "src/settings.ts": """\
export class Settings {
  static readonly limit: number = 50;
  // a construct the grammar does not parse, nor V8 compile
  static accessor retries = 3;
}
"""})
    finding = next(iter(confirmed_findings(app).values()))
    reason = finding.properties["confirmation"]["reason"]
    assert finding.properties["confirmed"] is False
    assert "/src/settings.ts does not compile" in reason and "at line 4" in reason, reason
    assert "Cannot find module" not in reason


def test_a_module_the_transform_fails_on_is_named_not_missing(make_app, monkeypatch) -> None:
    real = replay.transform

    def failing(data: bytes, suffix: str):
        if b"class Settings" in data:
            raise ValueError("construct 'enum' at line 2")
        return real(data, suffix)

    monkeypatch.setattr(replay, "transform", failing)
    app = make_app({"src/index.js": LEAKY_HANDLER,
                    "src/settings.ts": "export class Settings {\n  static limit = 50;\n}\n"})
    reason = next(iter(confirmed_findings(app).values())).properties["confirmation"]["reason"]
    assert "/src/settings.ts could not be transformed: ValueError: construct 'enum' at line 2" in reason, reason
    assert "Cannot find module" not in reason


def test_json_files_the_app_imports_are_loaded(make_app) -> None:
    app = make_app({"src/index.js": LEAKY_HANDLER.replace("import { Settings } from './settings';",
                                                          "import Settings from './settings.json';"),
                    "src/settings.json": '{"limit": 50}'})
    finding = next(iter(confirmed_findings(app).values()))
    assert finding.properties["confirmed"] is True, finding.properties["confirmation"].get("reason")


def test_a_made_up_storage_value_used_as_a_list_keeps_what_is_pushed(make_app) -> None:
    """Seeded storage answers a never-written key with a made-up value; used as a list it is one, so a list
    read from storage, appended to and written back (then cached) carries what the invocation added."""
    from click.testing import CliRunner

    from auditor.cli import main

    app = make_app({"manifest.yml": RESOLVER_MANIFEST, "src/index.js": """\
import Resolver from '@forge/resolver';
import { storage } from '@forge/api';

const resolver = new Resolver();
resolver.define('addStage', async ({ payload }) => {
  const stages = (await storage.get('team-stages')) || [];
  stages.push({ name: payload.name });
  await storage.set('team-stages', stages);
  return { count: stages.length, first: stages[0], saved: JSON.stringify(stages) };
});
export const handler = resolver.getDefinitions();
"""})
    out = CliRunner().invoke(main, ["replay", str(app), "--function", "resolver", "--resolver", "addStage",
                                    "--payload", '{"name": "Review"}'])
    assert out.exit_code == 0, out.output
    assert '"count":1,"first":{"name":"Review"}' in out.output, out.output
    assert '\\"name\\":\\"Review\\"' in out.output, out.output  # what was written back holds it


def test_what_the_transform_left_out_is_said_on_the_finding(make_app) -> None:
    """A decorated anonymous class has no name to apply its decorators to: the replay runs it
    undecorated, and the finding says so."""
    app = make_app({"manifest.yml": RESOLVER_MANIFEST, "src/index.js": None, "src/index.ts": """\
import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';

const sealed = (target: any) => target;
const Audit = @sealed class {
  seen(key: string) { return key; }
};
const audit = new Audit();
const issues = new Map<string, unknown>();

const resolver = new Resolver();
resolver.define('getIssue', async ({ payload }) => {
  if (!issues.has(audit.seen(payload.issueKey))) {
    const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`);
    issues.set(payload.issueKey, await res.json());
  }
  return issues.get(payload.issueKey);
});

export const handler = resolver.getDefinitions();
"""})
    (finding,) = confirmed_findings(app).values()
    assert finding.properties["confirmation"]["transformNotes"] == [
        "/src/index.ts: decorators of the anonymous class at line 5 were ignored"]


POLLUTION_APPS = FIXTURES / "flow"


def test_prototype_pollution_is_confirmed_when_tenant_b_inherits_what_tenant_a_wrote() -> None:
    """A deep merge, a bundle's nested loop and `t[group][name] = v`: tenant A's `__proto__` input gives
    Object.prototype a property tenant B's next invocation still has. Each is confirmed in the form
    that reaches it."""
    forms = {}
    for app in ("board-settings-ts", "macro-calc-bundle", "formula-fields-ts"):
        result = scan([POLLUTION_APPS / app], Config(enable=frozenset({"code/prototype-pollution"})),
                      POLLUTION_APPS / app, confirm=Limits())
        (finding,) = result.reported()
        details = finding.properties["confirmation"]
        assert finding.properties["confirmed"] is True, details
        assert details["polluted"].startswith("pollutedBy") and "confirmed by replay" in finding.message
        forms[app] = details["form"]
    assert forms == {"board-settings-ts": "object", "macro-calc-bundle": "object", "formula-fields-ts": "name"}


def test_a_guarded_merge_is_never_confirmed() -> None:
    """The same replay pointed at the look-alikes (a merge that skips __proto__, a one-level write) changes
    nothing in Object.prototype."""
    app = POLLUTION_APPS / "board-settings-ts"
    facts = build_facts(load_app(app.resolve(), LoadOptions()))
    anywhere = Location(app / "src" / "merge.ts", Region(1, 1, 1, 1))
    findings = [Finding("code/prototype-pollution", "error", "synthetic", anywhere,
                        properties={"entryPoints": [entry], "sourceData": "req.payload.patch"})
                for entry in ("resolver:previewBoardConfig", "resolver:getBoardConfig")]
    replay.confirm(facts, findings, Limits())
    assert [f.properties["confirmed"] for f in findings] == [False, False]
    assert {a["reason"] for f in findings for a in f.properties["confirmation"]["attempts"]} == {
        "Object.prototype was not changed"}


def test_polluting_input_is_put_at_the_callers_path_and_nowhere_else() -> None:
    payload = {"options": {"mode": "full"}, "title": "x", "n": 1}
    assert replay._polluted(payload, ["options", "patch"], {"__proto__": {"m": 1}}, "resolver", []) == {
        "options": {"mode": "full", "patch": {"__proto__": {"m": 1}}}, "title": "x", "n": 1}
    assert replay._polluted(payload, ["title", "deep"], "v", "resolver", []) == payload  # a string on the way
    assert replay._polluted(payload, ["name"], "m", "resolver", ["title", "name"])["title"] == "__proto__"
    assert payload == {"options": {"mode": "full"}, "title": "x", "n": 1}  # the input is not changed
    body = json.loads(replay._polluted({"body": '{"a": 1}'}, [], {"__proto__": {"m": 1}}, "webtrigger", [])["body"])
    assert body == {"a": 1, "__proto__": {"m": 1}}

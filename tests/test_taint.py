"""The value-flow layer's taint half (auditor/facts/taint.py): sources per entry kind, propagation through
names, properties, calls and files, guards that dominate a place, and webpack bundles' imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import Config
from auditor.facts import build_facts
from auditor.loader import load_app
from rules.registry import RULES_BY_ID

PANEL = """\
app:
  id: ari:cloud:ecosystem::app/1c9e6b7a-2f4d-4c1e-9a51-0b6f2d3e4a10
  runtime:
    name: nodejs22.x
modules:
  jira:issuePanel:
    - key: panel
      resource: main
      resolver:
        function: resolver
      title: Panel
  webtrigger:
    - key: hook
      function: hook
  scheduledTrigger:
    - key: nightly
      function: nightly
      interval: day
  function:
    - key: resolver
      handler: index.handler
    - key: hook
      handler: hooks.hook
    - key: nightly
      handler: hooks.nightly
resources:
  - key: main
    path: static/main
"""
RESOLVER = "import Resolver from '@forge/resolver';\nconst resolver = new Resolver();\n"


def flow_of(make_app, **files: str):
    app = make_app({"manifest.yml": PANEL, "src/index.js": None, **files})
    facts = build_facts(load_app(app, Config().load_options()))
    return facts.flow


def sink_arguments(flow, name: str) -> dict[tuple[str, int], tuple]:
    """(file name, line) of each `name(...)` call -> (its first argument, file)."""
    found = {}
    for call, path in flow.calls((name,)):
        found[(path.name, call.start_point[0] + 1)] = (call.child_by_field_name("arguments").named_children[0], path)
    return found


def kinds(flow, arg) -> list[tuple[str, str]]:
    node, path = arg
    return [(o.kind, o.what) for o in flow.origins(node, path)]


def test_sources_depend_on_the_entry_kind(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
resolver.define('a', ({ payload, context }) => {
  sink(payload.key);
  sink(context.accountId);
  sink(context.extension.issue.key);
});
resolver.define('b', (req) => sink(req.payload.items[0]));
export const handler = resolver.getDefinitions();
""",
        "src/hooks.js": """\
export async function hook(request, context) {
  sink(request.queryParameters.key[0]);
  sink(process.env.HOOK_SECRET);
}
export async function nightly(event) {
  sink(event.context.cloudId);
}
"""})
    by_file = sink_arguments(flow, "sink")
    assert kinds(flow, by_file[("index.js", 4)]) == [("payload", "req.payload.key")]
    assert kinds(flow, by_file[("index.js", 5)]) == [("identity", "req.context.accountId")]
    assert kinds(flow, by_file[("index.js", 6)]) == [("context", "req.context.extension.issue.key")]
    assert kinds(flow, by_file[("index.js", 8)]) == [("payload", "req.payload.items.*")]
    assert kinds(flow, by_file[("hooks.js", 2)]) == [("request", "request.queryParameters.key.*")]
    assert kinds(flow, by_file[("hooks.js", 3)]) == [("env", "process.env.HOOK_SECRET")]
    assert kinds(flow, by_file[("hooks.js", 6)]) == [("event", "event.context.cloudId")]


def test_values_are_followed_through_names_templates_calls_and_helpers_in_other_files(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
import { storage } from '@forge/api';
import { run } from './helper';
const PREFIX = 'settings:';
resolver.define('a', async ({ payload }) => {
  const { path } = payload;
  let key = PREFIX;
  key = `${key}${path.trim()}`;
  run(key.toLowerCase());
  run(PREFIX + 'theme');
  run(await storage.get('theme'));
});
export const handler = resolver.getDefinitions();
""",
        "src/helper.js": "export function run(code) {\n  return sink(code);\n}\n"})
    (node, path), = sink_arguments(flow, "sink").values()
    found = kinds(flow, (node, path))
    assert ("payload", "req.payload.path") in found        # through destructuring, reassignment, a method, a file
    assert ("storage", "storage.get()") in found           # a storage read is a source of its own
    assert all(kind in ("payload", "storage") for kind, _ in found)  # the constant call passes nothing
    origin, = flow.caller_origins(node, path)
    assert origin.what == "req.payload.path"
    # the code flow passes through the helper's call: run(key.toLowerCase()) on line 10 of index.js
    assert [(v.path.name, v.region.start_line, v.message) for v in origin.via] == [("index.js", 10, "passed to run()")]


def test_load_time_constants_and_unreferenced_helpers_carry_nothing(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
const TEMPLATE = ['a', 'b'].join('/');
function unused(code) { sink(code); }
resolver.define('a', () => sink(TEMPLATE));
export const handler = resolver.getDefinitions();
"""})
    assert all(kinds(flow, arg) == [] for arg in sink_arguments(flow, "sink").values())


def test_a_function_exported_from_a_webpack_module_is_followed_to_its_bundled_callers(make_app) -> None:
    bundle = Path(__file__).resolve().parent.parent / "fixtures/flow/macro-calc-bundle/dist/index.js"
    flow = flow_of(make_app, **{"src/index.js": "module.exports = require('../dist/index.js');\n",
                                "dist/index.js": bundle.read_text(encoding="utf-8")})
    args = sink_arguments(flow, "eval")
    assert [kinds(flow, arg) for _, arg in sorted(args.items())] == [[("payload", "req.payload.expression")], []]


def test_a_guard_counts_only_when_it_stops_the_handler_on_every_path_to_the_place(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
import { mayEdit, assertMayEdit } from './checks';
resolver.define('early', async ({ payload }) => {
  if (!(await mayEdit(payload.key))) return { error: 'forbidden' };
  sink(payload.key);
});
resolver.define('branch', async ({ payload }) => {
  if (await mayEdit(payload.key)) {
    sink(payload.key);
  }
});
resolver.define('oneBranchOnly', async ({ payload }) => {
  if (payload.strict) {
    if (!(await mayEdit(payload.key))) throw new Error('forbidden');
  }
  sink(payload.key);
});
resolver.define('ignored', async ({ payload }) => {
  await mayEdit(payload.key);
  sink(payload.key);
});
resolver.define('wrongWay', async ({ payload }) => {
  if (await mayEdit(payload.key)) return;
  sink(payload.key);
});
resolver.define('throwingHelper', async ({ payload }) => {
  await assertMayEdit(payload.key);
  sink(payload.key);
});
resolver.define('afterTheSink', async ({ payload }) => {
  sink(payload.key);
  if (!(await mayEdit(payload.key))) return;
});
export const handler = resolver.getDefinitions();
""",
        "src/checks.js": """\
export const mayEdit = async (key) => lookup(key);
export async function assertMayEdit(key) {
  if (!(await mayEdit(key))) {
    throw new Error('forbidden');
  }
}
"""})

    def is_check(condition, path):  # a condition computed from mayEdit(), through app functions
        return flow.derives(condition, path, lambda n, p: "mayEdit" if n.type == "call_expression" and
                            n.child_by_field_name("function").text == b"mayEdit" else None)

    guarded = {}
    for call, path in flow.calls(("sink",)):
        entry = next(iter(flow.reaching(call, path))).id
        guarded[entry] = flow.guarded(call, path, is_check)
    assert {entry for entry, guard in guarded.items() if guard is not None} == \
        {"resolver:early", "resolver:branch", "resolver:throwingHelper"}
    assert guarded["resolver:throwingHelper"].what == "assertMayEdit() (mayEdit)"


def test_a_place_in_a_helper_is_guarded_when_every_call_of_the_helper_is(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
import { write } from './writer';
resolver.define('a', async ({ payload }) => {
  if (!payload.allowed) throw new Error('no');
  await write(payload.key);
});
resolver.define('b', async ({ payload }) => {
  if (!payload.allowed) return;
  await write(payload.key);
});
export const handler = resolver.getDefinitions();
""",
        "src/writer.js": "export async function write(key) {\n  sink(key);\n}\n"})
    (call, path), = flow.calls(("sink",))
    allowed = lambda condition, p: "allowed" if b"allowed" in condition.text else None  # noqa: E731
    assert flow.guarded(call, path, allowed) is not None
    index = path.parent / "index.js"
    index.write_text(index.read_text().replace("if (!payload.allowed) return;\n", ""))
    flow = flow_of(make_app)  # rebuilt from the changed files: the second caller no longer checks
    (call, path), = flow.calls(("sink",))
    assert flow.guarded(call, path, allowed) is None


def test_a_throwing_check_inside_try_guards_only_when_the_catch_stops_the_handler(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/hooks.js": """\
import { verify } from './verify';
export async function hook(request) {
  try {
    await verify(request);
  } catch (e) {
    return { statusCode: 401 };
  }
  sink(request.body);
}
export async function nightly(request) {
  try {
    await verify(request);
  } catch (e) {
    console.warn('unsigned', e);
  }
  sink(request.body);
}
""",
        "src/verify.js": """\
export async function verify(request) {
  if (request.headers['x-token'][0] !== process.env.TOKEN) {
    throw new Error('unsigned');
  }
}
"""})

    def compares_with_secret(condition, path):
        return "token" if b"process.env" in condition.text else None

    guarded = {call.start_point[0] + 1: flow.guarded(call, path, compares_with_secret)
               for call, path in flow.calls(("sink",))}
    assert guarded[8] is not None and guarded[8].what == "verify() (token)"
    assert guarded[16] is None


def test_an_object_carries_what_is_written_into_its_properties(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
resolver.define('a', ({ payload }) => {
  const query = { maxResults: 50 };
  query.jql = `project = ${payload.project}`;
  sink(query);
  const other = { maxResults: 50 };
  const unrelated = {};
  unrelated.jql = payload.project;
  sink(other);
});
export const handler = resolver.getDefinitions();
"""})
    args = sink_arguments(flow, "sink")
    assert kinds(flow, args[("index.js", 6)]) == [("payload", "req.payload.project")]
    assert kinds(flow, args[("index.js", 10)]) == []


FLOW_RULES = ("authz/as-app-unchecked", "webtrigger/unauthenticated", "route/unsafe", "storage/client-key",
              "code/eval", "code/prototype-pollution")


@pytest.mark.parametrize("rule_id", FLOW_RULES)
def test_each_flow_rule_is_explained_with_its_cwe(rule_id: str) -> None:
    rule = RULES_BY_ID[rule_id]
    shown = CliRunner().invoke(main, ["explain", rule_id])
    assert shown.exit_code == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## How to fix"):
        assert section in shown.output
    assert rule.cwe and f"cwe-{rule.cwe[0]}" in shown.output and rule.invocations


@pytest.mark.parametrize("fixture, expected", [
    ("flow/webhook-bundle", {"function:statuspage": "statuspage", "function:pagerduty": "pagerduty"}),  # webpack
    ("tenant/esbuild-bundle", {"function:status": "sprintStatus", "function:refresh": "refresh"}),       # esbuild
])
def test_function_handlers_exported_by_a_prebuilt_bundle_are_found(fixture: str, expected: dict) -> None:
    """`module.exports = require('../dist/index.js')`, then the bundle's export table names each function."""
    app = Path(__file__).resolve().parent.parent / "fixtures" / fixture
    facts = build_facts(load_app(app, Config().load_options()))
    found = {}
    for entry in facts.entries.entries:
        node = entry.node
        name = node.child_by_field_name("name") if node is not None and node.type == "function_declaration" \
            else node.parent.child_by_field_name("name") if node is not None else None
        found[entry.id] = name.text.decode() if name is not None else None
        assert entry.file.name == "index.js" and entry.file.parent.name == "dist"
    assert found == expected


def test_a_callback_handed_to_a_library_method_receives_its_receivers_data(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
resolver.define('a', async ({ payload }) => {
  payload.items.forEach((item) => sink(item.key));
  ['a', 'b'].map((letter) => sink(letter));
  setTimeout((late) => sink(late), 10);
});
export const handler = resolver.getDefinitions();
"""})
    args = sink_arguments(flow, "sink")
    assert kinds(flow, args[("index.js", 4)]) == [("payload", "req.payload.items")]
    assert kinds(flow, args[("index.js", 5)]) == []
    assert kinds(flow, args[("index.js", 6)]) == []


def test_whole_values_pass_on_only_the_leading_piece_of_templates_and_concatenations(make_app) -> None:
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
const keyOf = (id) => `job:${id}`;
const statsOf = (id) => `${id}-stats`;
resolver.define('a', ({ payload }) => {
  sink(`job:${payload.id}`);
  sink(payload.id + ':draft');
  sink(keyOf(payload.id));
  sink([`job:${payload.id}`].map((key) => key)[0]);
  sink(`${payload.space}:${payload.id}`);
  sink(statsOf(payload.id));
  sink(payload.scope + ':' + payload.name);
  sink(`${payload.id}\\n`);
});
export const handler = resolver.getDefinitions();
"""})
    by_line = sink_arguments(flow, "sink")

    def whole(line: int) -> list[str]:
        node, path = by_line[("index.js", line)]
        return [o.what for o in flow.caller_origins(node, path, whole=True)]

    assert [whole(line) for line in (6, 8, 9)] == [[], [], []]  # a constant namespace starts each
    assert [whole(line) for line in (7, 11, 13)] == [[], [], []]  # or ends each
    assert whole(10) == ["req.payload.space"]                    # only the leading piece
    assert whole(12) == ["req.payload.scope"]                    # a separator inside is no namespace
    node, path = by_line[("index.js", 6)]
    assert [o.what for o in flow.caller_origins(node, path)] == ["req.payload.id"]  # the part still carries data


def test_a_verification_that_runs_only_when_a_secret_is_set_is_a_warning_that_names_it() -> None:
    """fixtures/flow/vuln-feed-webhook: `if (secret) { if (!timingSafeEqual(…)) return 403; }` guards the call
    only when the feed has a secret (it fails open without one): a warning naming the check and the condition,
    not "nothing verifies"; the same check after `if (!secret) return` guards it fully."""
    app = Path(__file__).resolve().parent.parent / "fixtures" / "flow" / "vuln-feed-webhook"
    result = CliRunner().invoke(main, ["scan", str(app), "--no-config", "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert not [n for n in report["notifications"] if n["level"] == "error"]  # no rule failed on `s = s.slice()`
    [webhook] = [f for f in report["findings"] if f["rule"] == "webtrigger/unauthenticated"]
    assert webhook["level"] == "warning" and webhook["line"] == 29
    assert "verified against a secret (timingSafeEqual() with a secret, line 24) only when `secret` holds" \
        in webhook["message"]
    assert {"line": 22, "message": "the check is skipped when this is false"}.items() <= \
        next(r for r in webhook["related"] if r["line"] == 22).items()
    # two modules' functions export one resolver's definitions: the message names the key once
    authz = [f for f in report["findings"] if f["rule"] == "authz/as-app-unchecked"]
    assert authz and all(f["message"].count("resolver:fileAlert") == 1 for f in authz)


def test_a_property_read_takes_the_sources_of_that_property_only(make_app) -> None:
    """NFR-for-Jira's shape: `storage.set(catalog.id, catalog)` where the id is `catalog-${Date.now()}` and the
    caller's data sits in other fields, written by a factory, a spread, or an assignment."""
    flow = flow_of(make_app, **{
        "src/index.js": RESOLVER + """\
const make = (title, prefix) => ({ id: `catalog-${Date.now()}`, title, prefix, items: [] });
resolver.define('a', ({ payload }) => {
  const catalog = make(payload.title, payload.prefix);
  catalog.items = payload.items;
  sink(catalog.id);
  sink(catalog.prefix);
  const copy = { ...make(payload.title, payload.prefix), owner: payload.owner };
  sink(copy.id);
  sink(copy.title);
  sink(copy[payload.field]);
  catalog.id = payload.id;
  sink(catalog.items);
});
export const handler = resolver.getDefinitions();
"""})
    by_line = sink_arguments(flow, "sink")

    def whole(line: int) -> list[str]:
        node, path = by_line[("index.js", line)]
        return sorted(o.what for o in flow.caller_origins(node, path, whole=True))

    assert whole(7) == ["req.payload.id"]                      # the later `catalog.id = payload.id` only
    assert whole(8) == ["req.payload.prefix"]
    assert whole(10) == []                                      # `catalog-…` through the spread factory
    assert whole(11) == ["req.payload.title"]
    assert whole(12) == ["req.payload.owner", "req.payload.prefix", "req.payload.title"]  # any property
    assert whole(14) == ["req.payload.items"]

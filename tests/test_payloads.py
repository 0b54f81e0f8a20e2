"""Replay inputs derived from an entry's syntax tree, and stub answers shaped like the real API."""

from __future__ import annotations

import json

from runtime_harness import payloads, replay

A, B = replay.tenant("A"), replay.tenant("B")

RESOLVER = """async ({ payload, context }) => {
  const { action: kind, options: { mode = 'quick' }, issueKey } = payload;
  const p = payload;
  const jql = p?.filter?.['jql'];
  switch (kind) { case 'sync': break; case 'status': break; default: throw new Error(`Unknown action: ${kind}`); }
  if (mode === 'full') return p.extra.summary;
  return [jql, issueKey];
}"""


def test_fields_read_through_destructuring_aliases_and_optional_chains() -> None:
    built = payloads.payload_for("resolver", RESOLVER, ["payload"], A)
    assert built["issueKey"] == "PROJ-1"
    assert built["filter"] == {"jql": payloads.shared_value("filter.jql")}
    assert "summary" not in built["extra"]  # a free text field: made up in the sandbox, with the canary
    assert built == payloads.payload_for("resolver", RESOLVER, ["payload"], B), "both tenants ask alike"


def test_a_field_compared_with_literals_gets_one_per_variant() -> None:
    assert payloads.variants(RESOLVER, ["payload"]) == [0, 1, None]
    first, second = (payloads.payload_for("resolver", RESOLVER, ["payload"], A, v) for v in (0, 1))
    assert (first["action"], second["action"]) == ("sync", "status")  # through the `action: kind` rename
    assert first["options"] == second["options"] == {"mode": "full"}
    assert payloads.variants("async (event) => event.issue.key", ["event"]) == [None]
    # variant None sets no compared field: the code past `if (mode === 'full') return` is reached too
    unset = payloads.payload_for("resolver", RESOLVER, ["payload"], A, None)
    assert unset["options"]["mode"] != "full" and unset["action"] not in ("sync", "status")


def test_a_resolver_reading_req_payload_and_req_context() -> None:
    source = """async (req) => {
      const { issueKey } = req.payload;
      const ctx = req.context;
      const board = ctx.extension.gadgetConfiguration?.boardId;
      if (req.context.cloudId === 'cloud-of-the-demo') return null;
      switch (ctx.extension.type) { case 'jira:dashboardGadget': return board; case 'jira:issuePanel': return issueKey; }
    }"""
    assert payloads.payload_for("resolver", source, ["req.payload"], A) == {"issueKey": "PROJ-1"}
    assert payloads.variants(source, ["req.payload"], ["req.context"]) == [0, 1, None]
    first, second = (payloads.context(A, source, ["req.context"], v) for v in (0, 1))
    assert (first["extension"]["type"], second["extension"]["type"]) == ("jira:dashboardGadget", "jira:issuePanel")
    assert first["extension"]["gadgetConfiguration"] == {"boardId": "42"}
    assert first["extension"]["issue"]["key"] == "PROJ-1"  # what the base context has stays
    # A tenant's own ids are never replaced, not even by a literal the code compares them with: a cache
    # keyed by the cloud id must not look shared.
    assert first["cloudId"] == A["cloudId"] and payloads.context(B, source, ["req.context"])["cloudId"] == B["cloudId"]


def test_web_trigger_query_parameters_headers_and_json_body() -> None:
    source = """async function run(request) {
      const project = request.queryParameters?.project?.[0];
      const signature = request.headers['x-hub-signature'][0];
      const body = JSON.parse(request.body);
      const { issue: { key }, comment } = body;
      if (body.webhookEvent === 'comment_created') return null;
      return { statusCode: 200 };
    }"""
    made = payloads.payload_for("webtrigger", source, ["request"], A)
    assert made["queryParameters"] == {"project": ["PROJ"]}
    assert made["headers"]["x-hub-signature"] == [f"{A['canary']}:x-hub-signature"]
    body = json.loads(made["body"])
    assert body["issue"] == {"key": "PROJ-1"} and body["webhookEvent"] == "comment_created"
    assert body["comment"] == f"{A['canary']}:comment"
    other = payloads.payload_for("webtrigger", source, ["request"], B)
    assert other["queryParameters"] == made["queryParameters"]


def test_schema_shaped_responses_seeded_literals_and_seeded_storage() -> None:
    files = {"/app/src/index.js": (
        "const api = require('@forge/api').default;\nconst { route } = require('@forge/api');\n"
        "const { kvs } = require('@forge/kvs');\n"
        "exports.run = async () => {\n"
        "  const fields = await (await api.asApp().requestJira(route`/rest/api/3/field`)).json();\n"
        "  const search = await (await api.asApp().requestJira(route`/rest/api/3/search/jql`, { method: 'POST' })).json();\n"
        "  const config = { colour: 'red', ...(await kvs.get('config')) };\n"
        "  const { results } = await kvs.query().getMany();\n"
        "  const board = await kvs.get('board:PROJ'), tracked = await kvs.get('tracked-boards');\n"
        "  const summary = await kvs.get('issue-summary:PROJ-1');\n"
        "  return { points: fields.find((f) => f.name === 'Story Points'), count: fields.length,\n"
        "    summary: search.issues[1].fields.summary, isLast: search.isLast, colour: String(config.colour),\n"
        "    theme: String(config.theme), listed: results.length, board, tracked, stored: String(summary) };\n"
        "};\n")}
    from runtime_harness import stub_data

    shapes = dict(stub_data.response_shapes(), literals={"name": ["Story Points", "Sprint", "Epic Link"]},
                  names=["colour", "theme"])
    step = {"tenant": A, "file": "/app/src/index.js", "export": "run", "resolverKey": None, "payload": {},
            "context": {"cloudId": A["cloudId"]}, "label": "run"}
    job = {"files": files, "packages": {}, "shapes": shapes, "runs": [{"id": "r", "steps": [step]}],
           "limits": {"memory_bytes": 64 * 1024 * 1024, "call_timeout": 5}}
    run = replay.run_sandbox(job, 60)["runs"][0]
    assert run["steps"][0]["ok"], run
    out = json.loads(run["steps"][0]["result"])
    points = out["points"]
    assert points["name"] == "Story Points" and points["custom"] is True
    assert points["clauseNames"][0].startswith(A["canary"])
    assert out["count"] == 3  # one element per compared literal
    assert out["summary"].startswith(A["canary"]) and out["isLast"] is True
    assert out["colour"].startswith(A["canary"]) and out["theme"].startswith(A["canary"])  # storage seeded
    assert out["listed"] == 1
    # keys naming product objects hold their ids, alike for every site; other keys hold the site's data
    assert (out["board"], out["tracked"]) == ("42", ["42"]) and out["stored"].startswith(A["canary"])


def test_a_field_a_helper_compares_is_made_up_as_that_literal(make_app) -> None:
    """The entry only passes the payload on; the helper refuses any action but 'load'."""
    from auditor.config import Config
    from auditor.engine import scan

    app = make_app({
        "manifest.yml": MANIFEST,
        "src/handle.js": (
            "import api, { route } from '@forge/api';\n"
            "const cache = {};\n"
            "export async function handle(payload) {\n"
            "  if (payload.action !== 'load') throw new Error('Unknown action: ' + payload.action);\n"
            "  if (!cache[payload.issueKey]) {\n"
            "    cache[payload.issueKey] = await (await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`)).json();\n"
            "  }\n"
            "  return cache[payload.issueKey].fields.summary;\n"
            "}\n"),
        "src/index.js": (
            "import Resolver from '@forge/resolver';\nimport { handle } from './handle';\n"
            "const resolver = new Resolver();\nresolver.define('act', ({ payload }) => handle(payload));\n"
            "export const handler = resolver.getDefinitions();\n")})
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app, confirm=replay.Limits())
    [finding] = [f for f in result.reported() if f.level == "error"]
    assert finding.properties["confirmed"] is True, finding.properties["confirmation"]


MANIFEST = """\
app:
  id: ari:cloud:ecosystem::app/1c9e6b7a-2f4d-4c1e-9a51-0b6f2d3e4a10
  runtime:
    name: nodejs24.x
modules:
  jira:issuePanel:
    - key: panel
      title: Panel
      resource: main
      render: native
      resolver:
        function: resolver
  function:
    - key: resolver
      handler: index.handler
resources:
  - key: main
    path: static/panel
permissions:
  scopes:
    - read:jira-work
"""


def test_a_method_called_on_a_field_is_not_a_field_and_events_carry_a_changelog() -> None:
    source = """async (event) => {
      const change = event.changelog?.items.find((item) => item.field === 'status');
      return [event.issue.key.trim(), change?.toString];
    }"""
    made = payloads.payload_for("trigger", source, ["event"], A)
    assert made["issue"]["key"] == "PROJ-1"  # `.trim()` is called on the key, it is not a field of it
    (item,) = made["changelog"]["items"]     # the event's list, not an object with a `find` field
    assert item["field"] == "status" and isinstance(item["toString"], str)

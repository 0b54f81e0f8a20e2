"""Unit tests of path/method resolution and catalog matching on real parsed code."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.facts.api_calls import extract
from auditor.facts.bindings import HOLE
from auditor.facts.endpoints import match, split_path
from auditor.facts.scope_needs import MAX_SITE_CALLS, ScopeNeed, Unresolved, call_needs
from auditor.facts.values import Trace, Values, Where
from auditor.loader import SourceFile
from auditor.parsing import parse_source, text


def parse_app(files: dict[str, str]):
    """The parsed files of a small app (file name -> code) and the value flow over them."""
    parsed = []
    for name, code in files.items():
        one, notes = parse_source(SourceFile(Path("/app") / name, code.encode()))
        assert not notes, notes
        parsed.append(one)
    return parsed, Values(parsed)


def app_calls(files: dict[str, str]):
    """The API calls of every file of a small app, read over their module graph."""
    parsed, values = parse_app(files)
    return [call for one in parsed for call in extract(one, values).api_calls]


def calls(code: str, name: str = "index.js"):
    return app_calls({name: code})


def test_constants_templates_and_concatenation_resolve() -> None:
    found = calls("""
        import api, { route, assumeTrustedRoute } from '@forge/api';
        const V3 = '/rest/api/3';
        const ISSUE = V3 + '/issue';
        export const a = (k) => api.asApp().requestJira(assumeTrustedRoute(`${ISSUE}/${k}/comment?x=1`));
        export const b = () => api.asUser().requestJira(route`/rest/api/2/myself#frag`);
        export const c = (k) => api.asApp().requestJira('/rest/api/3/issue/' + k, { method: 'DELETE' });
    """)
    assert [(c.method, c.parts) for c in found] == [
        ("GET", ["/rest/api/3/issue/", HOLE, "/comment?x=1"]),
        ("GET", ["/rest/api/2/myself#frag"]),
        ("DELETE", ["/rest/api/3/issue/", HOLE]),
    ]
    assert [split_path(c.parts)[1] for c in found] == [
        "/rest/api/3/issue/{…}/comment", "/rest/api/2/myself", "/rest/api/3/issue/{…}"]


def test_reassigned_names_give_every_value_and_shadowed_names_their_own() -> None:
    found = calls("""
        import api from '@forge/api';
        let base = '/rest/api/3/myself';
        base = '/rest/api/3/project';
        let page = '/rest/api/3/search/jql?startAt=0';
        page += '&maxResults=50';
        const p = '/rest/api/3/a'; function f() { const p = '/rest/api/3/b'; return p; }
        export const a = () => api.asApp().requestJira(base);
        export const b = () => api.asApp().requestJira(p);
        export const c = () => api.asApp().requestJira(page);
    """)
    assert [c.parts for c in found] == [
        ["/rest/api/3/myself"], ["/rest/api/3/project"], ["/rest/api/3/a"],
        ["/rest/api/3/search/jql?startAt=0"], [HOLE]]


def test_method_from_constant_options_and_spreads() -> None:
    found = calls("""
        import api, { route } from '@forge/api';
        const POST = { method: 'post' };
        const WITH_BODY = { ...POST, body: '{}' };
        const OVERRIDDEN = { ...POST, method: 'PUT' };
        export const a = () => api.asApp().requestJira(route`/rest/api/3/issue`, WITH_BODY);
        export const b = () => api.asApp().requestJira(route`/rest/api/3/issue`, OVERRIDDEN);
        export const c = (opts) => api.asApp().requestJira(route`/rest/api/3/issue`, { ...opts });
    """)
    assert [c.method for c in found] == ["POST", "PUT", None]


def test_only_forge_receivers_count() -> None:
    found = calls("""
        import { requestJira as rj } from '@forge/bridge';
        const client = makeClient();
        client.requestJira('/rest/api/3/myself');
        function requestConfluence(p) { return p; }
        requestConfluence('/wiki/api/v2/pages');
        rj('/rest/api/3/myself');
        const bridge = require('@forge/bridge');
        bridge.requestJira('/rest/api/3/project');
    """, name="App.jsx")
    assert [(c.via, c.parts) for c in found] == [
        ("bridge", ["/rest/api/3/myself"]), ("bridge", ["/rest/api/3/project"])]


@pytest.mark.parametrize("path,method,expected", [
    ("/rest/api/3/issue/PROJ-1", "GET", "/rest/api/3/issue/{issueIdOrKey}"),
    ("/rest/api/2/issue/PROJ-1", "GET", "/rest/api/2/issue/{issueIdOrKey}"),
    ("/rest/api/3/issue/createmeta", "GET", "/rest/api/3/issue/createmeta"),
    ("/wiki/api/v2/pages/123", "GET", "/wiki/api/v2/pages/{id}"),
    ("/rest/agile/1.0/board", "GET", "/rest/agile/1.0/board"),
])
def test_catalog_matching_is_exact_and_prefers_literals(path: str, method: str, expected: str) -> None:
    product = "confluence" if path.startswith("/wiki") else "jira"
    segments, _ = split_path([path])
    assert [op.template for op in match(product, method, segments)] == [expected]


def test_matching_is_anchored() -> None:
    segments, _ = split_path(["/proxy/rest/api/3/issue/1"])
    assert match("jira", "GET", segments) == []
    segments, _ = split_path(["/rest/api/3/issue/1/extra/deep/path/x"])
    assert match("jira", "GET", segments) == []


def test_unresolvable_calls_are_kept_with_a_reason() -> None:
    found = calls("""
        import api, { route } from '@forge/api';
        export const a = (p) => api.asApp().requestJira(p);
        export const b = () => api.asApp().requestJira(route`/rest/api/3/no-such-endpoint`);
        export const c = (k) => api.asApp().requestJira(route`/rest/api/3/${k}/comment`);
        export const d = () => api.asApp().requestJira(route`/rest/api/3/myself`);
    """)
    needs = [need for c in found for need in call_needs(c)]
    assert [type(n) for n in needs] == [Unresolved, Unresolved, Unresolved, ScopeNeed]
    assert "built at run time" in needs[0].reason
    assert "not in the bundled endpoint catalog" in needs[1].reason
    assert "fits" in needs[2].reason and "endpoints" in needs[2].reason
    assert needs[3].what == "GET /rest/api/3/myself"
    assert needs[3].satisfied_by({"read:jira-user"}) and not needs[3].satisfied_by({"read:jira-work"})


def test_clients_through_helpers_ternaries_fields_objects_and_files() -> None:
    found = app_calls({
        "clients.ts": """
            import api from '@forge/api';
            export function getClient(req: { accountId?: string }) {
              return req.accountId ? api.asUser() : api.asApp();
            }
            export const appClient = () => api.asApp();
        """,
        "service.ts": """
            import api, { route } from '@forge/api';
            export class IssueService {
              private client = api.asApp();
              constructor(private readonly viewer = api.asUser()) {}
              read(key: string) { return this.client.requestJira(route`/rest/api/3/issue/${key}`); }
              mine() { return this.viewer.requestJira(route`/rest/api/3/myself`); }
            }
        """,
        "index.ts": """
            import api, { route } from '@forge/api';
            import { getClient, appClient } from './clients';
            const clients = { app: api.asApp(), user: api.asUser() };
            export async function run(req, asUser: boolean) {
              const c = getClient(req);
              await c.requestJira(route`/rest/api/3/project/search`);
              await (asUser ? api.asUser() : api.asApp()).requestJira(route`/rest/api/3/myself`);
              await clients.user.requestConfluence(route`/wiki/api/v2/spaces`);
              await appClient().requestBitbucket(route`/2.0/user`);
            }
        """,
    })
    assert [(c.location.path.name, c.via, c.parts) for c in found] == [
        ("service.ts", "asApp", ["/rest/api/3/issue/", HOLE]),
        ("service.ts", "asUser", ["/rest/api/3/myself"]),
        ("index.ts", "asApp", ["/rest/api/3/project/search"]),
        ("index.ts", "asUser", ["/rest/api/3/project/search"]),
        ("index.ts", "asApp", ["/rest/api/3/myself"]),
        ("index.ts", "asUser", ["/rest/api/3/myself"]),
        ("index.ts", "asUser", ["/wiki/api/v2/spaces"]),
        ("index.ts", "asApp", ["/2.0/user"]),
    ]


def test_clients_passed_to_a_constructor_or_function_are_followed() -> None:
    found = calls("""
        import api, { route } from '@forge/api';
        class Pages {
          constructor(client) { this.client = client; }
          get(id) { return this.client.requestConfluence(route`/wiki/api/v2/pages/${id}`); }
        }
        async function labels(client, id) { return client.requestConfluence(route`/wiki/api/v2/pages/${id}/labels`); }
        export const run = (id) => Promise.all([new Pages(api.asUser()).get(id), labels(api.asApp(), id)]);
    """)
    assert [(c.via, c.parts[0]) for c in found] == [("asUser", "/wiki/api/v2/pages/"), ("asApp", "/wiki/api/v2/pages/")]


def test_unknown_receivers_stay_silent() -> None:
    found = calls("""
        import { route } from '@forge/api';
        import { createClient } from './test-utils/mock-jira';
        class Fake { requestJira(p) { return p; } }
        const fake = new Fake();
        export async function run(client) {
          await client.requestJira(route`/rest/api/3/myself`);
          await createClient().requestJira(route`/rest/api/3/myself`);
          await fake.requestJira(route`/rest/api/3/myself`);
        }
    """)
    assert found == []


def test_every_branch_of_a_path_is_a_candidate() -> None:
    found = calls("""
        import api, { route } from '@forge/api';
        export async function run(key, close) {
          let path;
          if (close) {
            path = route`/rest/api/3/issue/${key}/transitions`;
          } else {
            path = route`/rest/api/3/issue/${key}/comment`;
          }
          const target = close ? route`/rest/api/3/issue/${key}` : route`/rest/api/3/myself`;
          await api.asApp().requestJira(path, { method: 'POST' });
          await api.asApp().requestJira(target);
        }
    """)
    needs = [need for c in found for need in call_needs(c)]
    assert [n.what for n in needs] == [
        "POST /rest/api/3/issue/{issueIdOrKey}/transitions", "POST /rest/api/3/issue/{issueIdOrKey}/comment",
        "GET /rest/api/3/issue/{issueIdOrKey}", "GET /rest/api/3/myself"]


def test_wrapper_parameters_are_read_at_each_call_site_across_files() -> None:
    files = {
        "jira.ts": """
            import api, { route, Route } from '@forge/api';
            export async function jiraGet(path: Route) {
              const res = await api.asApp().requestJira(path);
              return res.json();
            }
            export async function jiraSend(method: string, path: Route, body?: unknown) {
              return api.asApp().requestJira(path, { method, body: JSON.stringify(body) });
            }
            export const issue = (key: string) => jiraGet(route`/rest/api/3/issue/${key}`);
        """,
        "index.ts": """
            import { route } from '@forge/api';
            import * as jira from './jira';
            import { jiraGet } from './jira';
            export async function run(key: string, payload: { path: string }) {
              await jiraGet(route`/rest/api/3/myself`);
              await jira.jiraSend('DELETE', route`/rest/api/3/issue/${key}`);
              await jiraGet(payload.path);
            }
        """,
    }
    needs = [(n.location.path.name, n.location.region.start_line, getattr(n, "what", None) or n.reason)
             for c in app_calls(files) for n in call_needs(c)]
    assert needs == [
        ("jira.ts", 10, "GET /rest/api/3/issue/{issueIdOrKey} (requestJira in jiraGet() at jira.ts:4)"),
        ("index.ts", 6, "GET /rest/api/3/myself (requestJira in jiraGet() at jira.ts:4)"),
        ("index.ts", 8, "requestJira in jiraGet() at jira.ts:4: the path is built at run time"),
        ("index.ts", 7, "DELETE /rest/api/3/issue/{issueIdOrKey} (requestJira in jiraSend() at jira.ts:8)"),
    ]


def test_a_wrapper_never_called_keeps_its_call_unresolved() -> None:
    found = calls("""
        import api from '@forge/api';
        export async function jiraGet(path) { return api.asApp().requestJira(path); }
    """)
    needs = [n for c in found for n in call_needs(c)]
    assert [type(n) for n in needs] == [Unresolved] and "built at run time" in needs[0].reason


@pytest.mark.parametrize("code,via,function", [
    ("import api, { route } from '@forge/api';\n"
     "export const f = (c) => api.asApp().__requestAtlassian(route`/jira/builds/0.1/cloud/${c}/bulk`,"
     " { method: 'POST' });", "asApp", "__requestAtlassian"),
    ("import { __requestAtlassianAsApp as req } from '@forge/api';\n"
     "export const f = (c) => req(`/jira/builds/0.1/cloud/${c}/bulk`, { method: 'POST' });",
     "asApp", "__requestAtlassianAsApp"),
    ("const { __requestAtlassianAsUser } = require('@forge/api');\n"
     "exports.f = (c) => __requestAtlassianAsUser(`/jira/builds/0.1/cloud/${c}/bulk`, { method: 'POST' });",
     "asUser", "__requestAtlassianAsUser"),
    ("import { asApp, route } from '@forge/api';\n"
     "export const f = (c) => asApp().requestAtlassian(route`/jira/builds/0.1/cloud/${c}/bulk`, { method: 'POST' });",
     "asApp", "requestAtlassian"),
    ("exports.f = (c) => global.api.asApp().__requestAtlassian(`/jira/builds/0.1/cloud/${c}/bulk`,"
     " { method: 'POST' });", "asApp", "__requestAtlassian"),
])
def test_gateway_requests_are_stargate_calls(code: str, via: str, function: str) -> None:
    found = calls(code)
    assert [(c.product, c.function, c.via, c.method, c.parts) for c in found] == [
        ("stargate", function, via, "POST", ["/jira/builds/0.1/cloud/", HOLE, "/bulk"])]
    # Whether or not the bundled catalog has the gateway's endpoints yet, the call is never dropped.
    needs = call_needs(found[0])
    assert len(needs) == 1
    assert isinstance(needs[0], ScopeNeed) or "not in the bundled endpoint catalog" in needs[0].reason


def test_connected_data_requests_are_their_own_product() -> None:
    found = calls("""
        import api, { route } from '@forge/api';
        export const send = (cloudId, builds) => api.asUser().requestConnectedData(
          route`/builds/0.1/cloud/${cloudId}/bulk`, { method: 'POST', body: JSON.stringify({ builds }) });
    """)
    assert [(c.product, c.via, c.method, c.parts) for c in found] == [
        ("connected-data", "asUser", "POST", ["/builds/0.1/cloud/", HOLE, "/bulk"])]
    need = call_needs(found[0])
    assert len(need) == 1 and (isinstance(need[0], ScopeNeed) or "not in the bundled" in need[0].reason)


def test_forge_apis_own_gateway_calls_in_a_bundle_are_not_the_apps() -> None:
    found = calls("""
        const fetch_1 = require_fetch();
        const proxy = async () => (0, fetch_1.__requestAtlassianAsApp)('/graphql', { method: 'POST' });
    """, name="bundle.js")
    assert found == []


def test_wrappers_of_wrappers_stay_bounded() -> None:
    """Each level multiplies the call sites; the expansion stops at a budget and the rest stays visible."""
    levels = ["import api from '@forge/api';", "export const w0 = (p) => api.asApp().requestJira(p);"]
    for level in range(1, 5):
        calls_below = " ".join(f"w{level - 1}(p + '/{i}');" for i in range(8))
        levels.append(f"export const w{level} = (p) => {{ {calls_below} }};")
    levels.append("export const run = (k) => w4('/rest/api/3/issue/' + k);")
    found = calls("\n".join(levels))
    needs = [n for c in found for n in call_needs(c)]
    # the outermost call site was reached, with the path all four wrappers built...
    assert any(n.location.region.start_line == 7 and "/rest/api/3/issue/{…}/0/0/0/0" in n.reason for n in needs)
    # ...but not all 8**4 of them, and whatever was not expanded is still there, unresolved
    assert len(needs) <= MAX_SITE_CALLS
    assert any(n.location.region.start_line < 7 for n in needs)


def test_wrapper_call_sites_are_found_through_a_barrel_module() -> None:
    files = {
        "api/jira.ts": """
            import api, { Route } from '@forge/api';
            export async function jiraGet(path: Route) { return api.asApp().requestJira(path); }
        """,
        "api/index.ts": "export { jiraGet } from './jira';\nexport * from './confluence';\n",
        "api/confluence.ts": "export const SPACE = 'x';\n",
        "index.ts": """
            import { route } from '@forge/api';
            import { jiraGet } from './api';
            export const run = () => jiraGet(route`/rest/api/3/myself`);
        """,
    }
    needs = [n for c in app_calls(files) for n in call_needs(c)]
    assert [(n.location.path.name, n.what) for n in needs] == [
        ("index.ts", "GET /rest/api/3/myself (requestJira in jiraGet() at jira.ts:3)")]


def test_enum_members_and_methods_of_injected_instances_resolve_across_files() -> None:
    parsed, values = parse_app({
        "types.ts": "export enum Action { Refresh = 'refresh', Forget = 'forget' }\nexport enum Level { Low, High }\n",
        "client.ts": "export class Client {\n  async issue(key: string) { return key; }\n}\n",
        "service.ts": """
            import { Client } from './client';
            export class Service {
              constructor(private readonly client: Client) {}
              load(key: string) { return this.client.issue(key); }
            }
            export const service = new Service(new Client());
        """,
        "index.ts": """
            import { Action, Level } from './types';
            export const check = (a) => a === Action.Refresh || a === Level.High || a === Action.Missing;
        """,
    })
    by_name = {p.path.name: p for p in parsed}
    index = by_name["index.ts"]
    members = [n.parent for n in index.occurrences("Action|Level") if n.parent.type == "member_expression"]
    assert {text(m): values.string(m, Where(index.path)) for m in members} == {
        "Action.Refresh": "refresh", "Level.High": None, "Action.Missing": None}  # auto-numbered: unknown
    service = by_name["service.ts"]
    callee = next(n.parent for n in service.occurrences("issue") if n.parent.type == "member_expression")
    found = values.functions(callee, Where(service.path), Trace(open=True))
    # the method of the injected instance, read in the class's own file
    assert [(at.path.name, fn.start_point[0]) for fn, at in found] == [("client.ts", 1)]

"""Routes handed to calls forge-audit cannot follow become Unresolved records; routes that reach a
recognised request (directly, through a variable, through an app wrapper) do not."""

from __future__ import annotations

from auditor.facts.api_calls import extract
from auditor.facts.scope_needs import lost_route_need
from tests.test_resolution import parse_app


def lost(files: dict[str, str]):
    parsed, values = parse_app(files)
    return [lost_route_need(route) for one in parsed for route in extract(one, values).lost_routes]


def test_routes_passed_to_an_unknown_wrapper_are_unresolved_for_the_product_their_path_names() -> None:
    found = lost({"index.js": """
        import { route, assumeTrustedRoute } from '@forge/api';
        import wrap from 'forge-http-wrapper';
        const jira = wrap({ product: 'jira' });
        const wiki = wrap({ product: 'confluence' });
        export const me = async () => (await jira.get(route`/rest/api/3/myself`)).data;
        export const comment = (key) => jira.post(route`/rest/api/3/issue/${key}/comment`, { body: {} });
        export const page = (id) => wiki.get(assumeTrustedRoute(`/wiki/api/v2/pages/${id}`));
        export const repo = (ws) => wiki.get(route`/2.0/repositories/${ws}`);
        export const other = () => jira.get(route`/gateway/api/graphql`);
    """})
    assert [(u.product, u.location.region.start_line) for u in found] == [
        ("jira", 6), ("jira", 7), ("confluence", 8), ("bitbucket", 9)]
    assert found[0].reason == ("route`/rest/api/3/myself` is passed to jira.get(), which forge-audit cannot follow "
                               "(it may be GET /rest/api/3/myself)")
    assert found[1].reason.startswith("route`/rest/api/3/issue/{…}/comment` is passed to jira.post()")
    assert found[2].reason.startswith("assumeTrustedRoute('/wiki/api/v2/pages/{…}') is passed to wiki.get()")


def test_routes_held_in_a_variable_or_an_options_object_reach_the_sdk_method() -> None:
    found = lost({"index.ts": """
        import { route } from '@forge/api';
        import { JiraClient } from 'some-jira-sdk';
        const sdk = new JiraClient();
        export async function search(jql: string) {
          const path = route`/rest/api/3/search/jql?jql=${jql}`;
          return sdk.send({ route: path as unknown as string, method: 'GET' });
        }
        export const board = (id: number) => sdk.agile.request({ route: route`/rest/agile/1.0/board/${id}` });
    """})
    assert [(u.product, u.location.region.start_line) for u in found] == [("jira", 7), ("jira", 9)]
    assert "sdk.send()" in found[0].reason and "sdk.agile.request()" in found[1].reason


def test_routes_that_reach_a_recognised_request_add_nothing() -> None:
    found = lost({
        "jira.js": """
            import api from '@forge/api';
            export const requestJiraJson = async (path, init) => (await api.asApp().requestJira(path, init)).json();
        """,
        "index.js": """
            import api, { route } from '@forge/api';
            import { requestJiraJson } from './jira';
            class Issues {
              constructor(client) { this.client = client; }
              get(key) { return this.client.requestJira(route`/rest/api/3/issue/${key}`); }
            }
            const issues = new Issues(api.asUser());
            const local = (path) => api.asApp().requestJira(path);
            export const me = () => { const p = route`/rest/api/3/myself`; return requestJiraJson(p); };
            export const direct = () => api.asApp().requestJira(route`/rest/api/3/project/search`);
            export const viaLocal = (k) => local(route`/rest/api/3/issue/${k}/votes`);
            export const held = () => { const p = route`/rest/api/3/serverInfo`; return api.asUser().requestJira(p); };
            export const method = (k) => issues.get(k);
        """,
    })
    assert found == []


def test_only_routes_of_forge_api_count() -> None:
    found = lost({"index.js": """
        import { route } from './router';
        import wrap from 'forge-http-wrapper';
        const jira = wrap();
        export const me = () => jira.get(route`/rest/api/3/myself`);
        const assumeTrustedRoute = (p) => p;
        export const you = () => jira.get(assumeTrustedRoute('/rest/api/3/myself'));
    """})
    assert found == []


def test_app_helpers_around_an_unknown_call_are_looked_into_across_files() -> None:
    found = lost({
        "http.ts": """
            import client from 'forge-http-wrapper';
            const jira = client({ product: 'jira' });
            export async function getJson<T>(path: unknown, retries = 2): Promise<T> {
              return (await jira.get(path, { retries })).data as T;
            }
            export const send = (method: string, path: unknown) => inner(path, method);
            const inner = (target: unknown, method: string) => jira.request({ method, url: target });
        """,
        "index.ts": """
            import { route } from '@forge/api';
            import { getJson, send } from './http';
            export const me = () => getJson(route`/rest/api/3/myself`);
            export const vote = (k: string) => send('POST', route`/rest/api/3/issue/${k}/votes`);
        """,
    })
    # reported where the route is written, naming the helper it is passed to and the call it ends in
    assert [(u.product, u.location.path.name, u.location.region.start_line) for u in found] == [
        ("jira", "index.ts", 4), ("jira", "index.ts", 5)]
    assert found[0].reason.startswith("route`/rest/api/3/myself` is passed to getJson() and on to jira.get(), ")
    assert found[1].reason.startswith("route`/rest/api/3/issue/{…}/votes` is passed to send() and on to jira.request(), ")


def test_a_helper_that_uses_the_route_otherwise_adds_nothing() -> None:
    """Returned, stored, logged or converted: not an unfollowed request (no note from a guess)."""
    found = lost({"index.js": """
        import api, { route } from '@forge/api';
        const seen = new Map();
        export const c = () => {
          const p = route`/rest/api/3/project/search`;
          console.log('GET', p);
          seen.set('projects', p);
          return api.asApp().requestJira(p);
        };
        const paths = [];
        const remember = (path) => { paths.push(String(path)); return path; };
        const label = (path) => `${path}`;
        export const a = () => remember(route`/rest/api/3/myself`);
        export const b = () => label(route`/rest/api/3/serverInfo`);
    """})
    assert found == []

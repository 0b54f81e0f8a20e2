"""Unit tests of path/method resolution and catalog matching on real parsed code."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.facts.api_calls import extract
from auditor.facts.bindings import HOLE
from auditor.facts.endpoints import match, split_path
from auditor.facts.modules import build_module_graph
from auditor.facts.scope_needs import ScopeNeed, Unresolved, call_needs
from auditor.facts.values import Values
from auditor.loader import SourceFile
from auditor.parsing import parse_source


def app_calls(files: dict[str, str]):
    """The API calls of every file of a small app (file name -> code), read over their module graph."""
    parsed = []
    for name, code in files.items():
        one, notes = parse_source(SourceFile(Path("/app") / name, code.encode()))
        assert not notes, notes
        parsed.append(one)
    values = Values(build_module_graph(parsed))
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

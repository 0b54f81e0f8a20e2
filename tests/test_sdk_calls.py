"""Unit tests of SDK helper recognition (auditor/facts/sdk_calls.py) on real parsed code."""

from __future__ import annotations

from pathlib import Path

from auditor.facts.sdk_calls import extract
from auditor.loader import SourceFile
from auditor.parsing import parse_source


def helpers(code: str, name: str = "index.js"):
    parsed, notes = parse_source(SourceFile(Path(name), code.encode()))
    assert not notes, notes
    return extract(parsed)


def summary(found) -> list[tuple[str, int, bool]]:
    return [(need.what, need.location.region.start_line, need.verified) for need in found.needs]


def test_a_hook_from_any_import_needs_forge_lints_scopes() -> None:
    found = helpers("""
        import { useIssueProperty } from './hooks/entity-properties';
        export const Flag = () => {
          const [flag] = useIssueProperty('flag', false);
          return flag;
        };
    """)
    assert summary(found) == [("useIssueProperty (imported from ./hooks/entity-properties)", 4, True)]
    (need,) = found.needs
    assert need.satisfied_by({"read:jira-work", "write:jira-work"})
    assert need.satisfied_by({"read:issue.property:jira"})
    assert not need.satisfied_by({"read:jira-work"})


def test_forge_react_hook_also_counts_the_packages_rest_calls() -> None:
    found = helpers("""
        import { useIssueProperty as useProp } from '@forge/react';
        export const A = () => useProp('a', 1);
        export const B = () => useProp('b', 2);
    """)
    assert [(what, line, verified) for what, line, verified in summary(found)] == [
        ("useIssueProperty (imported from @forge/react)", 3, True),
        ("useIssueProperty (imported from @forge/react): its REST calls", 3, False),
        ("useIssueProperty (imported from @forge/react)", 4, True),
        ("useIssueProperty (imported from @forge/react): its REST calls", 4, False),
    ]
    # the setter writes: the granular write scope counts as use, although forge lint asks only for the read one
    assert "write:issue.property:jira" in found.needs[1].scopes


def test_properties_through_the_store_alias_and_a_constant() -> None:
    found = helpers("""
        const { store } = require('@forge/api');
        async function save(key, value) {
          const props = store.onJiraProject(key);
          await props.delete('old');
          return props.set('new', value);
        }
    """)
    assert [what.split(" (")[0] for what, _, _ in summary(found)] == [
        "properties.onJiraProject(…).delete", "properties.onJiraProject(…).set"]
    assert [need.location.region.start_line for need in found.needs] == [5, 6]


def test_a_property_handle_passed_on_counts_every_operation_as_use_only() -> None:
    found = helpers("""
        import { properties } from '@forge/api';
        export const handle = (issueKey) => wrap(properties.onJiraIssue(issueKey));
    """)
    (need,) = found.needs
    assert need.what == "properties.onJiraIssue(…) (get, set or delete)" and not need.verified
    assert {"read:jira-work", "write:jira-work", "delete:issue.property:jira"} <= need.scopes


def test_namespace_helpers_in_a_webpack_bundle() -> None:
    found = helpers("""
        var _forge_bridge__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(12);
        _forge_bridge__WEBPACK_IMPORTED_MODULE_0__.realtime.subscribeGlobal('news', render);
        const realtime = { subscribeGlobal() {} };
        realtime.subscribeGlobal('not forge');
    """)
    assert summary(found) == [("realtime.subscribeGlobal", 3, True)]
    assert found.needs[0].scopes == {"read:app-global-channel:realtime"}


def test_authorize_checks_and_privacy() -> None:
    found = helpers("""
        import api from '@forge/api';
        export async function run(id, accounts) {
          if (await api.authorize().onConfluenceContent(id).canUpdate()) {
            await api.privacy.reportPersonalData(accounts);
          }
        }
    """)
    assert [what for what, _, _ in summary(found)] == [
        "authorize().onConfluenceContent (POST /wiki/rest/api/content/{id}/permission/check)",
        "privacy.reportPersonalData (POST /app/report-accounts)"]
    check = found.needs[0]
    assert check.satisfied_by({"read:confluence-content.permission"})
    assert check.satisfied_by({"read:content.permission:confluence"})
    assert not check.satisfied_by({"read:confluence-content.summary"})


def test_compass_methods_and_what_cannot_be_followed() -> None:
    found = helpers("""
        import graphqlGateway from '@atlassian/forge-graphql';
        const client = graphqlGateway.compass.asUser();
        export const get = (id) => client.getComponent({ componentId: id });
        export const metrics = () => graphqlGateway.compass.asApp().getMetricSources({});
        export const handOff = () => register(graphqlGateway.compass.asApp());
    """)
    assert summary(found) == [("forge-graphql compass.getComponent", 4, True),
                              ("forge-graphql compass.getMetricSources", 5, False)]
    assert [u.product for u in found.unresolved] == ["compass"]
    assert found.unresolved[0].location.region.start_line == 6


def test_files_without_helper_words_are_skipped() -> None:
    found = helpers("import api from '@forge/api';\nexport const x = () => api.asApp();\n")
    assert found.needs == [] and found.unresolved == []


def test_teamwork_graph_scopes_of_both_products_count_as_use() -> None:
    found = helpers("""
        import { requestTeamworkGraph } from '@forge/bridge';
        export const related = (query) => requestTeamworkGraph({ query });
    """)
    required, per_product = found.needs
    assert required.verified and not per_product.verified
    assert required.satisfied_by({"read:graph:confluence"}) and not required.satisfied_by(set())
    # the docs ask for read:graph:jira and, installed in Confluence, read:graph:confluence as well
    assert per_product.scopes == {"read:graph:jira", "read:graph:confluence"}

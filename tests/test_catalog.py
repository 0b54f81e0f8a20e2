"""Tests for the generated Atlassian catalog in rules/data/ (tools/build_catalog.py).

test_catalog_up_to_date needs ../shared (skipped when absent); the other tests
read only the committed data files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DATA = REPO / "rules" / "data"
GENERATOR = REPO / "tools" / "build_catalog.py"
PRODUCTS = ("bitbucket", "confluence", "connected-data", "jira", "stargate")
DATA_FILES = ("endpoints.json", "scopes.json", "events.json", "responses.json", "sdk-helpers.json",
              "compass-graphql.json")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def endpoint_rows() -> dict[tuple[str, str, str], list]:
    return {(product, row[0], row[1]): row for product, rows in load("endpoints.json")["products"].items()
            for row in rows}


@lru_cache(maxsize=None)
def endpoint_index() -> dict[tuple[str, str, str], tuple[list[str], list[str]]]:
    return {key: (row[2], row[3]) for key, row in endpoint_rows().items()}


def op(product: str, method: str, path: str) -> tuple[list[str], list[str]]:
    key = (product, method, path)
    assert key in endpoint_index(), f"{method} {path} missing from {product}"
    return endpoint_index()[key]


def options(product: str, method: str, path: str) -> dict:
    """The optional 5th element of a row ({} when the row has the plain 4-element shape)."""
    row = endpoint_rows()[(product, method, path)]
    return row[4] if len(row) == 5 else {}


def all_pairs() -> list[tuple[tuple, list[str], list[str]]]:
    """Every (classic, granular) pair of every row, the row's own columns and its alternatives."""
    return [(key, c, g) for key, row in endpoint_rows().items()
            for c, g in [(row[2], row[3])] + [tuple(p) for p in options(*key).get("alternatives", [])]]


# --------------------------------------------------------------------------- generator


def test_catalog_up_to_date():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--shared", str(SHARED), "--out", str(DATA)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, (
        "rules/data is out of date with ../shared; run python tools/build_catalog.py\n"
        + proc.stdout + proc.stderr
    )


def test_check_detects_stale_file(tmp_path):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    for name in DATA_FILES:
        (tmp_path / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "events.json").write_text("{}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--shared", str(SHARED), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert "events.json" in proc.stderr
    assert "endpoints.json" not in proc.stderr


# --------------------------------------------------------------------------- endpoints.json


def test_endpoints_shape_and_order():
    data = load("endpoints.json")
    assert data["generator"] == "tools/build_catalog.py"
    assert set(data["products"]) == set(PRODUCTS)
    assert "jira-platform.2026-03.json" in data["sources"]
    assert "confluence-v1-endpoint-scopes.tsv" in data["sources"]
    for product, rows in data["products"].items():
        assert rows == sorted(rows, key=lambda r: (r[1], r[0])), product
        keys = [(r[0], r[1]) for r in rows]
        assert len(keys) == len(set(keys)), f"duplicate operations in {product}"
        for method, path, classic, granular, *extra in rows:
            assert method == method.upper() and method.isalpha()
            assert path.startswith("/")
            assert classic == sorted(set(classic)) and granular == sorted(set(granular))
            if extra:  # the 5th element appears only when it says something
                (opts,) = extra
                assert opts and set(opts) <= {"alternatives", "unverified", "optional"}, (method, path)
                assert opts.get("unverified", True) is True and opts.get("optional", True) is True
                for c, g in opts.get("alternatives", []):
                    assert bool(c) != bool(g), (method, path)


def test_product_routing():
    products = load("endpoints.json")["products"]
    assert all(r[1].startswith(("/rest/", )) for r in products["jira"])
    assert all(r[1].startswith("/wiki/") for r in products["confluence"])
    assert all(r[1].startswith("/2.0/") for r in products["bitbucket"])
    assert len(products["bitbucket"]) > 0
    assert any(r[1].startswith("/wiki/rest/api/") for r in products["confluence"])
    assert any(r[1].startswith("/wiki/api/v2/") for r in products["confluence"])
    assert any(r[1].startswith("/rest/servicedeskapi/") for r in products["jira"])
    assert all(r[1].startswith(("/jira/", "/forge/", "/app/", "/graphql/", "/webhook/")) for r in products["stargate"])
    assert all(r[1].startswith(("/builds/", "/deployments/")) for r in products["connected-data"])


def test_jira_get_issue():
    classic, granular = op("jira", "GET", "/rest/api/3/issue/{issueIdOrKey}")
    assert classic == ["read:jira-work"]
    assert granular == [
        "read:avatar:jira", "read:field-configuration:jira", "read:issue-meta:jira",
        "read:issue-security-level:jira", "read:issue.changelog:jira", "read:issue.vote:jira",
        "read:issue:jira", "read:status:jira", "read:user:jira",
    ]


def test_jira_rest_api_2_twins_match_3():
    idx = endpoint_index()
    assert op("jira", "GET", "/rest/api/2/issue/{issueIdOrKey}") == op(
        "jira", "GET", "/rest/api/3/issue/{issueIdOrKey}")
    v3 = {(m, p[len("/rest/api/3"):]): s for (prod, m, p), s in idx.items()
          if prod == "jira" and p.startswith("/rest/api/3/")}
    v2 = {(m, p[len("/rest/api/2"):]): s for (prod, m, p), s in idx.items()
          if prod == "jira" and p.startswith("/rest/api/2/")}
    assert v2 == v3
    assert len(v3) > 500


def test_jira_search_operations():
    # The newer and the older search endpoints both stay in the catalog.
    for path in ("/rest/api/3/search", "/rest/api/3/search/jql", "/rest/api/2/search"):
        for method in ("GET", "POST"):
            assert op("jira", method, path)[0] == ["read:jira-work"]


def test_jira_operation_only_in_older_spec():
    # Absent from the 2026-03 spec; taken from 2025-12.
    assert op("jira", "GET", "/rest/forge/1/app/properties") == ([], ["read:app-data:jira"])
    assert op("jira", "GET", "/rest/api/3/config/fieldschemes") == (
        ["manage:jira-configuration"], ["read:field-configuration-scheme:jira"])


def test_jira_security_fallback():
    # No x-atlassian-oauth2-scopes; the OpenAPI security requirement names the scope.
    assert op("jira", "PUT", "/rest/api/3/priority/{id}") == (["manage:jira-configuration"], [])
    assert op("jira", "GET", "/rest/api/2/announcementBanner") == (["manage:jira-configuration"], [])


def test_jira_operations_without_scope():
    assert op("jira", "GET", "/rest/api/3/serverInfo") == ([], [])
    assert op("jira", "POST", "/rest/api/3/user") == ([], [])
    assert op("jira", "GET", "/rest/atlassian-connect/1/app/module/dynamic") == ([], [])


def test_jira_mixed_granular_entry_kept_whole():
    # The spec's granular (Beta) entry for this operation includes read:jira-work.
    assert op("jira", "GET", "/rest/api/3/uiModifications") == (
        ["read:jira-work"], ["read:app-data:jira", "read:jira-work"])


def test_confluence_v2_page():
    assert op("confluence", "GET", "/wiki/api/v2/pages/{id}") == ([], ["read:page:confluence"])


def test_confluence_v1_content():
    assert op("confluence", "GET", "/wiki/rest/api/content/{id}") == (
        ["read:confluence-content.summary"], ["read:content-details:confluence"])
    assert op("confluence", "GET", "/wiki/rest/api/audit") == ([], ["read:audit-log:confluence"])


def test_agile_board_has_no_classic_scope():
    assert op("jira", "GET", "/rest/agile/1.0/board") == (
        [], ["read:board-scope:jira-software", "read:project:jira"])
    for (product, _m, path), (classic, _g) in endpoint_index().items():
        if path.startswith("/rest/agile/"):
            assert classic == [], path


def test_bitbucket_rows_are_granular_only():
    assert op("bitbucket", "GET", "/2.0/repositories/{workspace}/{repo_slug}") == (
        [], ["read:repository:bitbucket"])
    for (product, _m, path), (classic, granular) in endpoint_index().items():
        if product == "bitbucket":
            assert classic == [] and granular, path


def test_bitbucket_table_merged_with_the_old_rows():
    # Only in bitbucket-endpoint-scopes.tsv; the old table had no /2.0/workspaces rows.
    assert op("bitbucket", "GET", "/2.0/workspaces/{workspace}/members") == (
        [], ["read:user:bitbucket", "read:workspace:bitbucket"])
    assert op("bitbucket", "GET", "/2.0/repositories/{workspace}/{repo_slug}/effective-default-reviewers") == (
        [], ["read:pullrequest:bitbucket"])
    # Operations without a Forge scope (OAuth-consumer scopes only) stay out: a call to one is unresolved.
    assert ("bitbucket", "GET", "/2.0/user") not in endpoint_index()
    assert len(load("endpoints.json")["products"]["bitbucket"]) == 162


def _shared_copy(tmp_path: Path) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    import shutil

    copy = tmp_path / "shared"
    shutil.copytree(SHARED, copy)
    return copy


def _build(shared: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GENERATOR), "--quiet", "--shared", str(shared), "--out", str(out)],
                          capture_output=True, text=True, check=False)


def test_conflicting_bitbucket_rows_are_an_error(tmp_path):
    shared = _shared_copy(tmp_path)
    table = shared / "facts" / "bitbucket-endpoint-scopes.tsv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    row = "GET\t/2.0/repositories/{workspace}/{repo_slug}\t\tread:repository:bitbucket\t"
    (index,) = [i for i, line in enumerate(lines) if line.startswith(row)]
    lines[index] = lines[index].replace("read:repository:bitbucket", "admin:repository:bitbucket", 1)
    table.write_text("".join(lines), encoding="utf-8")
    proc = _build(shared, tmp_path / "out")
    assert proc.returncode == 2
    assert "conflicting scopes for GET /2.0/repositories/{workspace}/{repo_slug}" in proc.stderr


def test_devops_operations_in_three_path_forms():
    alternatives = [[["manage:jira-data-provider"], []], [[], ["write:build:jira-software"]]]
    for product, path in (("jira", "/rest/builds/0.1/bulk"),
                          ("stargate", "/jira/builds/0.1/cloud/{cloudId}/bulk"),
                          ("connected-data", "/builds/0.1/cloud/{cloudId}/bulk")):
        assert op(product, "POST", path) == ([], ["write:build-info:jira"])
        assert options(product, "POST", path) == {"alternatives": alternatives}  # verified: on the REST page
    # Devinfo's stargate form has version 0.1 while its REST path has 0.10.
    assert op("stargate", "POST", "/jira/devinfo/0.1/cloud/{cloudId}/bulk") == ([], ["write:dev-info:jira"])
    assert options("jira", "POST", "/rest/devinfo/0.10/bulk")["unverified"] is True


def test_devops_unverified_rows():
    assert options("jira", "GET", "/rest/builds/0.1/pipelines/{pipelineId}/builds/{buildNumber}") == {
        "alternatives": [[["manage:jira-data-provider"], []], [[], ["read:build:jira-software"]]], "unverified": True}
    # Security information has no *:jira-software counterpart.
    assert op("jira", "POST", "/rest/security/1.0/bulk") == ([], ["write:security:jira"])
    assert options("jira", "POST", "/rest/security/1.0/bulk")["alternatives"] == [[["manage:jira-data-provider"], []]]
    unverified = {key for key, row in endpoint_rows().items() if len(row) == 5 and row[4].get("unverified")}
    devops_jira = {key for key in endpoint_rows() if key[0] == "jira" and key[2].split("/")[2] in (
        "builds", "deployments", "devinfo", "featureflags", "remotelinks", "security", "operations",
        "devopscomponents")}
    assert len(devops_jira) == 44
    # The builds/deployments bulk writes and deletes and the gating status rest on a primary source.
    assert sorted(path for _p, _m, path in devops_jira - unverified) == [
        "/rest/builds/0.1/bulk", "/rest/builds/0.1/bulkByProperties", "/rest/deployments/0.1/bulk",
        "/rest/deployments/0.1/bulkByProperties",
        "/rest/deployments/0.1/pipelines/{pipelineId}/environments/{environmentId}/deployments/"
        "{deploymentSequenceNumber}/gating-status"]


def test_stargate_platform_operations_from_the_sdk_table():
    assert op("stargate", "POST", "/app/report-accounts") == (["report:personal-data"], [])
    assert op("stargate", "GET", "/forge/app/v1/license") == ([], [])
    assert op("stargate", "POST", "/forge/installation/v2/dynamic/module") == ([], [])
    assert op("stargate", "POST", "/graphql/twg") == ([], ["read:graph:jira"])
    assert options("stargate", "POST", "/graphql/twg") == {"alternatives": [[[], ["read:graph:confluence"]]]}
    assert options("stargate", "POST", "/forge/events/v1/app-events") == {"unverified": True}
    assert ("stargate", "POST", "/graphql") not in endpoint_index()  # scopes depend on the fields selected


def test_every_operation_scope_is_known():
    known = load("scopes.json")["scopes"]
    unknown = {s for _key, classic, granular in all_pairs() for s in classic + granular if s not in known}
    assert unknown == set()


def test_scope_lists_match_scope_kinds():
    scopes = load("scopes.json")["scopes"]
    for (product, method, path), classic, granular in all_pairs():
        # Two-part platform scopes (report:personal-data, storage:app) fill the classic column.
        assert all(scopes[s]["kind"] in ("classic", "platform") for s in classic), (method, path)
        # The one exception: read:jira-work appears inside three Jira granular entries.
        odd = {s for s in granular if scopes[s]["kind"] != "granular"}
        if odd:
            assert odd == {"read:jira-work"}, (method, path, odd)
            assert path.endswith(("/uiModifications", "/uiModifications/{uiModificationId}"))


# --------------------------------------------------------------------------- scopes, events


def test_scopes():
    data = load("scopes.json")
    assert data["sources"] == ["scopes.tsv", "forge-cli-scopes.tsv"]
    scopes = data["scopes"]
    assert scopes["storage:app"]["kind"] == "platform"
    assert scopes["read:jira-work"] == {"product": "jira", "kind": "classic", "privilege": "read",
                                        "source": "scopes.tsv"}
    assert scopes["readonly:content.attachment:confluence"]["kind"] == "classic"
    assert scopes["manage:jira-configuration"]["privilege"] == "manage"
    for name, entry in scopes.items():
        assert set(entry) == {"product", "kind", "privilege", "source"}, name
        assert entry["kind"] in {"classic", "granular", "platform"}, name
        assert entry["source"] in data["sources"], name


def test_scopes_the_cli_accepts():
    scopes = load("scopes.json")["scopes"]
    cli = "forge-cli-scopes.tsv"
    assert scopes["read:connect-jira"] == {"product": "jira", "kind": "classic", "privilege": "read", "source": cli}
    assert scopes["act-as-user:connect-jira"]["privilege"] == "admin-or-impersonation"
    assert scopes["project-admin:connect-jira"]["privilege"] == "admin-or-impersonation"
    assert scopes["delete:connect-confluence"]["product"] == "confluence"
    # NOTES.md: the scopes.tsv rules give these privileges to names only the CLI list has.
    assert scopes["manage:jira-data-provider"] == {"product": "jira", "kind": "classic", "privilege": "manage",
                                                   "source": cli}
    assert scopes["write:security:jira"]["privilege"] == "write"
    assert scopes["import:import-configuration:cmdb"] == {"product": "cmdb", "kind": "granular",
                                                          "privilege": "write", "source": cli}
    for name in ("read:cmdb-object:jira", "write:cmdb-object:jira", "view:team:teams"):
        assert scopes[name]["source"] == cli and scopes[name]["kind"] == "granular"
    # Every name either list holds, and scopes.tsv wins for names in both.
    if SHARED.is_dir():
        for table in ("scopes.tsv", cli):
            names = {line.split("\t")[0] for line in
                     (SHARED / "facts" / table).read_text(encoding="utf-8").splitlines()[1:] if line.strip()}
            assert names <= set(scopes), table
            if table == "scopes.tsv":
                assert {n for n, e in scopes.items() if e["source"] == table} == names


def test_derived_privileges_agree_with_scopes_tsv():
    """The rules applied to CLI-only names reproduce every privilege scopes.tsv states."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_catalog", GENERATOR)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    stated = {n: e for n, e in load("scopes.json")["scopes"].items() if e["source"] == "scopes.tsv"}
    assert len(stated) > 400
    for name, entry in stated.items():
        if entry["kind"] != "platform":
            assert build.derived_privilege(name) == entry["privilege"], name


# --------------------------------------------------------------------------- sdk helpers, compass


def test_sdk_helpers():
    helpers = load("sdk-helpers.json")["helpers"]
    # A classic set followed by a granular set is one [classic, granular] pair, as in an endpoint row.
    assert helpers["forge lint (any import)"]["useIssueProperty"][0]["requirements"] == [
        [["read:jira-work", "write:jira-work"], ["read:issue.property:jira"]]]
    assert helpers["forge lint (any import)"]["useSpaceProperty"][0]["requirements"] == [
        [[], ["read:space:confluence", "write:space:confluence"]]]
    assert [r["method"] for r in helpers["@forge/react"]["useIssueProperty"]] == ["GET", "POST", "PUT", "DELETE"]
    assert helpers["@forge/api (<4.0.0)"]["properties.onJiraProject().set"][0]["requirements"] == [
        [["manage:jira-project"], ["write:project.property:jira"]]]
    # `none` is a pair that needs nothing; other sets are pairs of their own.
    assert helpers["@forge/api"]["authorize().onJiraIssue"][0]["requirements"] == [
        [[], []], [[], ["read:permission:jira"]]]
    assert helpers["@forge/bridge"]["requestTeamworkGraph"][0]["requirements"] == [
        [[], ["read:graph:jira"]], [[], ["read:graph:confluence"]]]
    assert helpers["@forge/api"]["privacy.reportPersonalData"][0]["requirements"] == [[["report:personal-data"], []]]
    assert helpers["@forge/api"]["requestJira"][0]["lookup"] == "per-endpoint"
    # `|` forms: a bare name replaces the last name of the form before it; `, ` starts a new form.
    assert set(helpers["@forge/kvs"]) >= {"kvs.batchGet", "kvs.batchSet", "kvs.entity().query"}
    assert {"rovo.open", "rovo.isEnabled", "i18n", "cookieConsent"} <= set(helpers["@forge/bridge"])
    assert helpers["@forge/bridge"]["realtime.publishGlobal"][0]["verified"] is False
    known = load("scopes.json")["scopes"]
    for package, forms in helpers.items():
        for form, rows in forms.items():
            for row in rows:
                assert set(row) - {"requirements", "lookup"} == {"method", "path", "remote", "principal", "verified"}
                assert ("requirements" in row) != ("lookup" in row), form
                for classic, granular in row.get("requirements", []):
                    assert all(name in known for name in classic + granular), form


def test_every_recognised_helper_form_is_in_the_data():
    from rules import catalog

    for package, form in catalog.SDK_HELPER_FORMS:
        rows = catalog.sdk_helper(package, form)
        assert rows and all("requirements" in r for r in rows), (package, form)
    with pytest.raises(KeyError):
        catalog.sdk_helper("@forge/api", "requestJira")  # per-endpoint: not a helper need


def test_compass_methods():
    methods = load("compass-graphql.json")["methods"]
    assert len(methods) == 47
    assert methods["createComponent"] == {"scopes": ["write:component:compass"], "verified": True,
                                          "also": ["read:component:compass"]}
    assert methods["getMetricSources"] == {"scopes": ["read:metric:compass"], "verified": False, "also": []}
    assert "configAsCode.syncComponentWithFile" in methods


def test_visible_scopes():
    from rules import catalog

    visible = catalog.visible_scopes()
    assert {"read:jira-work", "write:build-info:jira", "manage:jira-data-provider", "write:build:jira-software",
            "read:app-global-channel:realtime", "report:personal-data", "read:graph:jira",
            "read:metric:compass", "write:issue.property:jira"} <= visible
    # Named by no catalogued call: whether an app uses them cannot be seen.
    assert not {"read:connect-jira", "read:cmdb-object:jira", "view:team:teams", "send:app-notification:jira"} & visible


def test_events():
    data = load("events.json")
    events = data["events"]
    assert events["avi:jira:created:issue"] == {
        "product": "jira", "classic": ["read:jira-work"], "granular": []}
    known = load("scopes.json")["scopes"]
    for name, entry in events.items():
        assert set(entry) == {"product", "classic", "granular"}, name
        for s in entry["classic"] + entry["granular"]:
            assert s in known, (name, s)



def test_response_shapes_for_the_replay_stubs():
    data = load("responses.json")
    shapes = {(m, p): shape for m, p, shape in data["operations"]["jira"]}
    assert shapes[("GET", "/rest/api/3/project/{projectIdOrKey}/versions")] == ["[]", "#jira/Version"]
    assert shapes[("GET", "/rest/api/2/project/{projectIdOrKey}/versions")] == ["[]", "#jira/Version"]
    assert shapes[("GET", "/rest/api/3/project/{projectIdOrKey}/role")] == ["{}", "s"]
    assert shapes[("GET", "/rest/api/3/field")] == ["[]", "#jira/FieldDetails"]
    field = data["schemas"]["jira/FieldDetails"]
    assert (field["name"], field["custom"], field["clauseNames"]) == ("s", "b", ["[]", "s"])
    search = data["schemas"][shapes[("POST", "/rest/api/3/search/jql")][1:]]
    assert search["issues"] == ["[]", "#jira/IssueBean"] and "nextPageToken" not in search  # no endless paging
    assert data["schemas"]["jira/IssueBean"]["key"] == "s"
    pages = {(m, p): shape for m, p, shape in data["operations"]["confluence"]}
    assert pages[("GET", "/wiki/api/v2/pages/{id}")] == "#confluence/PageSingle"
    # every reference resolves, and every object keeps at most 24 properties
    def refs(shape):
        if isinstance(shape, str):
            return [shape[1:]] if shape.startswith("#") else []
        if isinstance(shape, dict):
            assert len(shape) <= 24
            return [r for v in shape.values() for r in refs(v)]
        return [r for v in shape[1:] for r in refs(v)] if shape[0] != "=" else []
    everything = [s for rows in data["operations"].values() for _, _, s in rows] + list(data["schemas"].values())
    assert all(r in data["schemas"] for shape in everything for r in refs(shape))


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared")
def test_no_unknown_scope_finding_for_any_listed_name(tmp_path):
    """Every name of scopes.tsv and forge-cli-scopes.tsv, declared in one manifest: no scope/unknown."""
    from auditor.config import Config
    from auditor.engine import scan

    names = sorted({line.split("\t")[0] for table in ("scopes.tsv", "forge-cli-scopes.tsv")
                    for line in (SHARED / "facts" / table).read_text(encoding="utf-8").splitlines()[1:]
                    if line.strip()})
    assert len(names) > 600
    (tmp_path / "manifest.yml").write_text(
        "app:\n  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000\n"
        "  runtime:\n    name: nodejs22.x\npermissions:\n  scopes:\n"
        + "".join(f"    - '{name}'\n" for name in names), encoding="utf-8")
    result = scan([tmp_path], Config(enable=frozenset({"scope/unknown"})), tmp_path)
    assert [f.message for f in result.reported() if f.rule_id == "scope/unknown"] == []
    assert result.apps, "the app was scanned"


def test_operations_the_spec_says_work_without_a_scope():
    """An explicit empty scope entry beside the others ("the new write:app-data:jira OAuth scope is 100%
    optional now"): the operation needs no scope; declaring its scope is recommended."""
    jira = {(r[0], r[1]): r for r in load("endpoints.json")["products"]["jira"]}
    assert jira[("PUT", "/rest/api/3/app/field/{fieldIdOrKey}/value")] == [
        "PUT", "/rest/api/3/app/field/{fieldIdOrKey}/value", [], ["write:app-data:jira"], {"optional": True}]
    assert jira[("POST", "/rest/api/2/app/field/value")][4] == {"optional": True}  # the /2 twin too
    assert len(jira[("GET", "/rest/api/3/issue/{issueIdOrKey}")]) == 4

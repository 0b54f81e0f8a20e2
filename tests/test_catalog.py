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
PRODUCTS = ("bitbucket", "confluence", "jira")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def endpoint_index() -> dict[tuple[str, str, str], tuple[list[str], list[str]]]:
    return {
        (product, method, path): (classic, granular)
        for product, rows in load("endpoints.json")["products"].items()
        for method, path, classic, granular in rows
    }


def op(product: str, method: str, path: str) -> tuple[list[str], list[str]]:
    key = (product, method, path)
    assert key in endpoint_index(), f"{method} {path} missing from {product}"
    return endpoint_index()[key]


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
    for name in ("endpoints.json", "scopes.json", "events.json", "responses.json"):
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
        for method, path, classic, granular in rows:
            assert method == method.upper() and method.isalpha()
            assert path.startswith("/")
            assert classic == sorted(set(classic)) and granular == sorted(set(granular))


def test_product_routing():
    products = load("endpoints.json")["products"]
    assert all(r[1].startswith(("/rest/", )) for r in products["jira"])
    assert all(r[1].startswith("/wiki/") for r in products["confluence"])
    assert all(r[1].startswith("/2.0/") for r in products["bitbucket"])
    assert len(products["bitbucket"]) > 0
    assert any(r[1].startswith("/wiki/rest/api/") for r in products["confluence"])
    assert any(r[1].startswith("/wiki/api/v2/") for r in products["confluence"])
    assert any(r[1].startswith("/rest/servicedeskapi/") for r in products["jira"])


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


def test_every_operation_scope_is_known():
    known = load("scopes.json")["scopes"]
    unknown = {s for (classic, granular) in endpoint_index().values()
               for s in classic + granular if s not in known}
    assert unknown == set()


def test_scope_lists_match_scope_kinds():
    scopes = load("scopes.json")["scopes"]
    for (product, method, path), (classic, granular) in endpoint_index().items():
        assert all(scopes[s]["kind"] == "classic" for s in classic), (method, path)
        # The one exception: read:jira-work appears inside three Jira granular entries.
        odd = {s for s in granular if scopes[s]["kind"] != "granular"}
        if odd:
            assert odd == {"read:jira-work"}, (method, path, odd)
            assert path.endswith(("/uiModifications", "/uiModifications/{uiModificationId}"))


# --------------------------------------------------------------------------- scopes, events


def test_scopes():
    data = load("scopes.json")
    assert data["sources"] == ["scopes.tsv"]
    scopes = data["scopes"]
    assert scopes["storage:app"]["kind"] == "platform"
    assert scopes["read:jira-work"] == {"product": "jira", "kind": "classic", "privilege": "read"}
    assert scopes["readonly:content.attachment:confluence"]["kind"] == "classic"
    assert scopes["manage:jira-configuration"]["privilege"] == "manage"
    for name, entry in scopes.items():
        assert set(entry) == {"product", "kind", "privilege"}, name
        assert entry["kind"] in {"classic", "granular", "platform"}, name


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
    shapes = {(m, p): shape for m, p, shape in load("responses.json")["shapes"]["jira"]}
    assert shapes[("GET", "/rest/api/3/project/{projectIdOrKey}/versions")] == "array"
    assert shapes[("GET", "/rest/api/2/project/{projectIdOrKey}/versions")] == "array"
    assert shapes[("GET", "/rest/api/3/project/{projectIdOrKey}/role")] == "map"
    assert ("GET", "/rest/api/3/issue/{issueIdOrKey}") not in shapes  # an object: the default

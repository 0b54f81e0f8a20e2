#!/usr/bin/env python3
"""Build forge-audit's bundled Atlassian catalog (rules/data/*.json).

Reads public Atlassian reference data from the ``shared`` directory next to the
repository (``--shared DIR``; default ``<repo>/../shared``) and writes six JSON
files to ``--out DIR`` (default ``<repo>/rules/data``).  The installed tool only
reads the generated files, never ``shared/``.

    python tools/build_catalog.py            # regenerate, print sanity report
    python tools/build_catalog.py --check    # exit 1 if committed files are stale

Inputs (file names are recorded in each output's ``"sources"``):

* ``specs/jira-platform.2026-03.json``, ``specs/jira-platform.2025-12.json``:
  Jira Cloud platform OpenAPI.  Every operation of the 2026-03 spec is taken;
  an operation (method + path) is taken from 2025-12 only when 2026-03 lacks
  it.  ``/rest/api/3/X`` is also emitted as ``/rest/api/2/X`` (and vice versa)
  because the platform serves both versions with the same scopes.
* ``specs/confluence-v2.2025-02.json``: Confluence v2; paths get the
  ``/wiki/api/v2`` prefix.
* ``facts/confluence-v1-endpoint-scopes.tsv``,
  ``facts/jira-software-endpoint-scopes.tsv``, ``facts/bitbucket-endpoint-scopes.tsv``:
  method, path, classic_scopes, granular_scopes, source.  The second table also
  holds Jira Service Management (``/rest/servicedeskapi``) and Bitbucket (``/2.0``)
  rows; the third repeats most of those Bitbucket rows (one row is kept for an
  identical method + path; different scopes for the same operation are an error).
  Rows are routed to a product by path: ``/wiki/`` -> confluence, ``/2.0/`` ->
  bitbucket, ``/rest/`` -> jira.  Bitbucket rows with no Forge scope (their notes
  say "no Forge scope"; the spec gives only OAuth-consumer scopes) are left out,
  so a call to one stays unresolved rather than looking like it needs nothing.
* ``facts/devops-endpoint-scopes.tsv``: each DevOps operation under product
  ``jira`` (``rest_path``, called with requestJira), ``stargate`` (``stargate_path``,
  the api.atlassian.com form called with ``__requestAtlassian*`` /
  ``requestAtlassian``) and ``connected-data`` (``connected_data_route``, the
  route as written in ``requestConnectedData(route...)``, without the
  ``/connected-data`` prefix the package adds).  ``scopes`` is the row's granular
  set; each ``alt_scopes`` name is a further alternative.
* ``facts/sdk-helper-scopes.tsv``: the whole table as ``sdk-helpers.json``; its
  ``stargate`` rows with one method, a concrete path and stated scopes also
  become ``stargate`` operations (``/graphql`` is left out: per-field scopes).
* ``facts/compass-graphql-scopes.tsv`` -> ``compass-graphql.json``.
* ``facts/scopes.tsv`` ∪ ``facts/forge-cli-scopes.tsv`` (the names the Forge CLI
  accepts), ``facts/product-event-scopes.tsv``.

Scopes from the OpenAPI specs: each operation's ``x-atlassian-oauth2-scopes``
is a list of ``{state, scheme, scopes}`` entries; an operation is satisfied by
declaring all scopes of one entry.  Entries are classified by name form, not by
``state`` (the Confluence v2 spec marks its granular lists ``Current``): a name
``action:resource:product`` (three colon-separated parts) is granular, except
``readonly:content.attachment:confluence``, which is classic; a two-part name
such as ``read:jira-work`` is classic.  An entry containing any granular-form
name is a granular entry, as a whole: three Jira operations
(``/rest/api/3/uiModifications`` GET/POST/PUT) list ``read:jira-work`` in their
granular (Beta) entry, and splitting it out by name would drop it from the
granular alternative.  When an operation has no ``x-atlassian-oauth2-scopes``
at all, the scopes of its OpenAPI ``security`` requirement for an ``oauth2``
scheme are used instead (the Jira specs state e.g. ``manage:jira-configuration``
there for about 55 operations); an operation with neither is kept with two
empty lists (no scope documented: no scope needed, or not available to apps).
TSV scope columns are taken as given.  All scope lists are de-duplicated and
sorted.

Output shapes (keys sorted; one entry per line for readable diffs):

``endpoints.json``::

    {"generator": "tools/build_catalog.py",
     "sources": ["confluence-v1-endpoint-scopes.tsv", ...],
     "products": {
       "bitbucket": [[METHOD, path_template, [classic...], [granular...]], ...],
       "confluence": [...],
       "jira": [["GET", "/rest/api/3/issue/{issueIdOrKey}", ["read:jira-work"],
                 ["read:avatar:jira", ...]], ...]}}

  METHOD is upper-case; path templates keep ``{param}`` names as in the
  source; rows are sorted by (path, METHOD).  Empty classic *and* granular
  lists mean no scope is documented for the operation.  Products: bitbucket,
  confluence, jira, stargate, connected-data.

  A row may carry a 5th element, an object with optional keys (rows without
  one keep the 4-element shape)::

      ["POST", "/rest/builds/0.1/bulk", [], ["write:build-info:jira"],
       {"alternatives": [[["manage:jira-data-provider"], []],
                         [[], ["write:build:jira-software"]]],
        "unverified": true}]

  ``alternatives``: further [classic, granular] pairs, each satisfying the
  operation on its own, like the row's own two columns (an all-required set of
  two-part names is a classic list, otherwise a granular one).
  ``unverified``: the source infers the scopes (a naming pattern, a third-party
  map): they count as satisfying the operation, but never as the only evidence
  that a scope is missing.
  ``optional``: the spec lists an explicit empty scope entry beside the others
  (e.g. ``write:app-data:jira``, "100% optional now" in its description): the
  operation also works with no scope; declaring its scopes is recommended, never
  required.

``scopes.json``::

    {"generator": ..., "sources": ["scopes.tsv", "forge-cli-scopes.tsv"],
     "scopes": {"read:jira-work": {"kind": "classic", "privilege": "read",
                                   "product": "jira", "source": "scopes.tsv"}, ...}}

  ``source`` is the list the name comes from (scopes.tsv first).  For names only
  the CLI list has: ``kind`` by name form, ``privilege`` by the rules NOTES.md
  states for scopes.tsv (see derived_privilege), ``product`` from the last part
  of the name (see derived_product): ``read:connect-jira`` -> jira.

``sdk-helpers.json``::

    {"generator": ..., "sources": ["sdk-helper-scopes.tsv"],
     "helpers": {"@forge/api (<4.0.0)": {"properties.onJiraIssue().get": [
         {"method": "GET", "path": "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
          "requirements": [[["read:jira-work"], ["read:issue.property:jira"]]],
          "remote": "jira", "principal": "app", "verified": true}], ...}, ...}}

  Keyed by the ``package`` cell, then by each call form of the ``export`` cell
  (call_forms: arguments dropped, ``|`` forms expanded); one entry per table
  row.  ``requirements`` lists [classic, granular] pairs, each satisfying the
  helper like an endpoint row's two columns (requirement_pairs; ``none`` is
  ``[[], []]``); a row whose ``scopes`` cell is a keyword has ``lookup``
  ("per-endpoint", "per-graphql-field", "unknown") instead.  ``verified`` is
  false when the row's notes start with "unverified".

``compass-graphql.json``::

    {"generator": ..., "sources": ["compass-graphql-scopes.tsv"],
     "methods": {"createComponent": {"scopes": ["write:component:compass"],
                                     "verified": true,
                                     "also": ["read:component:compass"]}, ...}}

  ``scopes``: the required set; ``verified``: the method's doc comment states it
  (false: taken from the schema of the fields it sends); ``also``: scopes of
  further fields the method may send (schema union minus ``scopes``).

``events.json``::

    {"generator": ..., "sources": ["product-event-scopes.tsv"],
     "events": {"avi:jira:created:issue": {"classic": ["read:jira-work"],
                                           "granular": [], "product": "jira"}, ...}}

``responses.json`` (for the replay harness's API stubs)::

    {"generator": ..., "sources": [the three specs],
     "operations": {"jira": [["GET", "/rest/api/3/field", ["[]", "#jira/FieldDetails"]], ...], ...},
     "schemas": {"jira/FieldDetails": {"custom": "b", "id": "s", "name": "s", ...}, ...}}

  Every operation's JSON success response as a compact shape: "s" a string, "d" a date, "n" a
  number, "b" a boolean, "?" anything, ["=", values...] an enum, ["[]", item] an array,
  ["{}", value] a string-keyed map, {property: shape} an object (at most 24 properties, no
  pagination tokens or expand-only parts), "#family/Name" a named schema of the "schemas" table.

The ``source`` columns are not copied.

``manifest_validator.py``: a pure-Python validator of ``rules/data/manifest.schema.json``
(hand-written, not generated), compiled with ``fastjsonschema`` (the test extra; the
generated module needs nothing but the standard library). Importing jsonschema and
building its validator cost ~130 ms of every scan; rules/manifest_invalid.py runs this
instead and asks jsonschema only to explain a manifest this rejects.

Standard library only otherwise; Python 3.11+.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

GENERATOR = "tools/build_catalog.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_OUT = REPO_ROOT / "rules" / "data"
MANIFEST_SCHEMA = DEFAULT_OUT / "manifest.schema.json"

JIRA_SPEC_PRIMARY = "specs/jira-platform.2026-03.json"
JIRA_SPEC_FALLBACK = "specs/jira-platform.2025-12.json"
CONFLUENCE_V2_SPEC = "specs/confluence-v2.2025-02.json"
CONFLUENCE_V2_PREFIX = "/wiki/api/v2"
ENDPOINT_TABLES = (
    "facts/confluence-v1-endpoint-scopes.tsv",
    "facts/jira-software-endpoint-scopes.tsv",
    "facts/bitbucket-endpoint-scopes.tsv",
)
DEVOPS_TABLE = "facts/devops-endpoint-scopes.tsv"
SDK_HELPERS_TABLE = "facts/sdk-helper-scopes.tsv"
COMPASS_TABLE = "facts/compass-graphql-scopes.tsv"
SCOPES_TABLE = "facts/scopes.tsv"
CLI_SCOPES_TABLE = "facts/forge-cli-scopes.tsv"
EVENTS_TABLE = "facts/product-event-scopes.tsv"

SITE_PRODUCTS = ("bitbucket", "confluence", "jira")  # the products' own REST APIs, routed by path
PRODUCTS = (*SITE_PRODUCTS, "connected-data", "stargate")
# devops-endpoint-scopes.tsv: the product each path column is called through.
DEVOPS_PATH_COLUMNS = {"rest_path": "jira", "stargate_path": "stargate", "connected_data_route": "connected-data"}
SCOPE_KEYWORDS = ("per-endpoint", "per-graphql-field", "unknown")
# Two-part classic names of the CLI list whose product is a prefix of their last part.
CLASSIC_PRODUCT_PREFIXES = {"jira": "jira", "confluence": "confluence",
                            "servicemanagement": "jira-service-management"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CLASSIC_THREE_PART = frozenset({"readonly:content.attachment:confluence"})
JIRA_API_VERSIONED = re.compile(r"^/rest/api/([23])(/.*)?$")


class CatalogError(Exception):
    """Input data is missing or inconsistent."""


# --------------------------------------------------------------------------- helpers


def is_granular_name(name: str) -> bool:
    return name.count(":") == 2 and name not in CLASSIC_THREE_PART


def sorted_unique(names) -> list[str]:
    return sorted({n for n in names if n})


def split_scopes(cell: str) -> list[str]:
    return sorted_unique(part.strip() for part in cell.split(","))


def read_tsv(shared: Path, rel: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path = shared / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"missing input {path}") from exc
    lines = text.splitlines()
    if not lines:
        raise CatalogError(f"{path}: empty file")
    header = lines[0].split("\t")
    missing = [c for c in columns if c not in header]
    if missing:
        raise CatalogError(f"{path}: missing columns {missing} (header {header})")
    rows = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise CatalogError(
                f"{path}:{lineno}: {len(cells)} fields, header has {len(header)}"
            )
        rows.append({k: v.strip() for k, v in zip(header, cells)})
    return rows


def read_json(shared: Path, rel: str) -> dict:
    path = shared / rel
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise CatalogError(f"missing input {path}") from exc


def file_name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- OpenAPI


def oauth2_scheme_names(spec: dict) -> set[str]:
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    schemes = schemes or spec.get("securityDefinitions") or {}
    return {name for name, s in schemes.items() if (s or {}).get("type") == "oauth2"}


def operation_scopes(op: dict, oauth2_schemes: set[str]) -> tuple[list[str], list[str], str, bool]:
    """Return (classic, granular, origin, optional) for one OpenAPI operation.

    origin is "x-atlassian" or "security" (fallback) or "none"; optional is True
    when an explicit empty entry stands beside non-empty ones (no scope needed).
    """
    entries = op.get("x-atlassian-oauth2-scopes")
    origin = "x-atlassian"
    if not entries:
        entries = [
            {"scopes": list(names)}
            for req in (op.get("security") or [])
            for scheme, names in (req or {}).items()
            if scheme in oauth2_schemes and names
        ]
        origin = "security" if entries else "none"
    classic: set[str] = set()
    granular: set[str] = set()
    optional = any(not entry.get("scopes") for entry in entries) and any(entry.get("scopes") for entry in entries)
    for entry in entries:
        names = [n for n in (entry.get("scopes") or []) if n]
        if any(is_granular_name(n) for n in names):
            granular.update(names)
        else:
            classic.update(names)
    return sorted(classic), sorted(granular), origin, optional


def spec_operations(spec: dict):
    oauth2 = oauth2_scheme_names(spec)
    for path, item in (spec.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if method.lower() in HTTP_METHODS and isinstance(op, dict):
                classic, granular, origin, optional = operation_scopes(op, oauth2)
                yield method.upper(), path, [classic, granular] + ([{"optional": True}] if optional else []), origin


def normalized_template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def jira_platform_rows(shared: Path, stats: Counter, notes: list[str]) -> list[list]:
    primary = read_json(shared, JIRA_SPEC_PRIMARY)
    fallback = read_json(shared, JIRA_SPEC_FALLBACK)

    ops: dict[tuple[str, str], list] = {}
    for method, path, scopes, origin in spec_operations(primary):
        ops[(method, path)] = [method, path, *scopes]
        stats[f"jira platform ops from {file_name(JIRA_SPEC_PRIMARY)}"] += 1
        stats[f"jira platform ops with scopes from {origin}"] += 1
    seen_norm = {(m, normalized_template(p)) for m, p in ops}
    for method, path, scopes, origin in spec_operations(fallback):
        if (method, path) in ops:
            continue
        if (method, normalized_template(path)) in seen_norm:
            notes.append(
                f"{file_name(JIRA_SPEC_FALLBACK)}: {method} {path} skipped "
                "(same template, other parameter names, in the primary spec)"
            )
            continue
        ops[(method, path)] = [method, path, *scopes]
        stats[f"jira platform ops from {file_name(JIRA_SPEC_FALLBACK)} only"] += 1
        stats[f"jira platform ops with scopes from {origin}"] += 1
        notes.append(f"from {file_name(JIRA_SPEC_FALLBACK)} only: {method} {path}")

    # /rest/api/3 <-> /rest/api/2 twins; an operation a spec states explicitly wins.
    twins: dict[tuple[str, str], list] = {}
    for (method, path), row in ops.items():
        m = JIRA_API_VERSIONED.match(path)
        if not m:
            continue
        other = "2" if m.group(1) == "3" else "3"
        twin_path = f"/rest/api/{other}{m.group(2) or ''}"
        if (method, twin_path) not in ops:
            twins[(method, twin_path)] = [method, twin_path, *row[2:]]
    stats["jira platform /rest/api twins added"] = len(twins)
    ops.update(twins)
    return list(ops.values())


def confluence_v2_rows(shared: Path, stats: Counter, notes: list[str]) -> list[list]:
    spec = read_json(shared, CONFLUENCE_V2_SPEC)
    urls = [s.get("url", "") for s in spec.get("servers") or []]
    if urls and not any(u.rstrip("/").endswith(CONFLUENCE_V2_PREFIX) for u in urls):
        notes.append(f"{file_name(CONFLUENCE_V2_SPEC)}: unexpected servers {urls}")
    rows = []
    for method, path, scopes, origin in spec_operations(spec):
        rows.append([method, CONFLUENCE_V2_PREFIX + path, *scopes])
        stats[f"confluence v2 ops with scopes from {origin}"] += 1
    return rows


# --------------------------------------------------------------------------- TSV tables


def product_for_path(path: str) -> str:
    if path.startswith("/wiki/"):
        return "confluence"
    if path.startswith("/2.0/") or path == "/2.0":
        return "bitbucket"
    if path.startswith("/rest/"):
        return "jira"
    raise CatalogError(f"cannot tell the product of path {path!r}")


def table_rows(shared: Path, rel: str, stats: Counter) -> list[tuple[str, list]]:
    """(product, row) of an endpoint table; rows that name no scope at all are left out when the table
    says why in ``notes`` (Bitbucket: only OAuth-consumer scopes documented), so such a call stays
    unresolved instead of looking like one that needs nothing."""
    rows = []
    for r in read_tsv(shared, rel, ("method", "path", "classic_scopes", "granular_scopes")):
        method, path = r["method"].upper(), r["path"]
        if not method or not path.startswith("/"):
            raise CatalogError(f"{rel}: bad row {r}")
        classic, granular = split_scopes(r["classic_scopes"]), split_scopes(r["granular_scopes"])
        family = "/".join(path.split("/")[:3])
        if not classic and not granular and r.get("notes", "").startswith("no Forge scope"):
            stats[f"{file_name(rel)} rows without a Forge scope left out"] += 1
            continue
        rows.append((product_for_path(path), [method, path, classic, granular]))
        stats[f"{file_name(rel)} rows under {family}"] += 1
    return rows


def parse_alternatives(cell: str, where: str) -> list[list[str]] | str:
    """``a,b|c`` -> [[a, b], [c]] (``none`` -> []), or the keyword of a row whose scopes are looked up elsewhere."""
    cell = cell.strip()
    if cell in SCOPE_KEYWORDS:
        return cell
    alternatives = []
    for part in cell.split("|"):
        part = part.strip()
        if part == "none":
            alternatives.append([])
        elif not part or part in SCOPE_KEYWORDS:
            raise CatalogError(f"{where}: bad scopes {cell!r}")
        else:
            alternatives.append(split_scopes(part))
    return alternatives


def as_pair(names: list[str]) -> list[list[str]]:
    """One all-required scope set in the [classic, granular] form of a catalog row (by name form)."""
    return [names, []] if names and not any(is_granular_name(n) for n in names) else [[], names]


def requirement_pairs(alternatives: list[list[str]]) -> list[list[list[str]]]:
    """[classic, granular] pairs from a cell's alternatives (sdk-helper grammar: a classic set first,
    then the granular set): a classic set followed by a granular one is one pair, either satisfying it
    as an endpoint's two columns do; any other set is a pair of its own (``none`` -> [[], []])."""
    pairs, rest = [], list(alternatives)
    while rest:
        first = rest.pop(0)
        if as_pair(first)[0]:
            second = rest.pop(0) if rest and as_pair(rest[0])[1] else []
            pairs.append([first, second])
        else:
            pairs.append([[], first])
    return pairs


def endpoint_row(method: str, path: str, pairs: list[list[list[str]]], verified: bool) -> list:
    """A catalog row: the first pair fills the classic and granular columns, the others and the
    verification mark go to the optional 5th element."""
    (classic, granular), *rest = pairs
    extra = ({"alternatives": rest} if rest else {}) | ({} if verified else {"unverified": True})
    return [method, path, classic, granular] + ([extra] if extra else [])


def devops_rows(shared: Path, stats: Counter) -> list[tuple[str, list]]:
    """Each DevOps operation once per path form it is called with (see DEVOPS_PATH_COLUMNS).

    ``scopes`` is the first alternative (all required); every ``alt_scopes`` name is an alternative of
    its own. Rows whose notes start with ``unverified`` are marked unverified.
    """
    columns = ("method", *DEVOPS_PATH_COLUMNS, "scopes", "alt_scopes", "notes")
    rows = []
    for r in read_tsv(shared, DEVOPS_TABLE, columns):
        scopes = split_scopes(r["scopes"])
        if not scopes:
            raise CatalogError(f"{DEVOPS_TABLE}: no scope for {r['method']} {r['rest_path']}")
        pairs = [[[], scopes]] + [as_pair([name]) for name in split_scopes(r["alt_scopes"].replace("|", ","))]
        verified = not r["notes"].startswith("unverified")
        for column, product in DEVOPS_PATH_COLUMNS.items():
            path = r[column]
            if not path:
                continue
            if not path.startswith("/"):
                raise CatalogError(f"{DEVOPS_TABLE}: bad {column} {path!r}")
            rows.append((product, endpoint_row(r["method"].upper(), path, pairs, verified)))
            stats[f"{file_name(DEVOPS_TABLE)} rows for {product}" + ("" if verified else " (unverified)")] += 1
    return rows


def sdk_helper_rows(shared: Path) -> list[dict[str, str]]:
    return read_tsv(shared, SDK_HELPERS_TABLE,
                    ("package", "export", "rest_method", "rest_path", "scopes", "remote", "principal", "notes"))


def stargate_rows(shared: Path, stats: Counter) -> list[tuple[str, list]]:
    """The api.atlassian.com operations of sdk-helper-scopes.tsv that have one method, one path and
    stated scopes (``/graphql`` is left out: its scopes depend on the fields selected)."""
    rows = []
    for r in sdk_helper_rows(shared):
        scopes = parse_alternatives(r["scopes"], f"{SDK_HELPERS_TABLE} {r['export']}")
        method, path = r["rest_method"], r["rest_path"]
        if r["remote"] != "stargate" or isinstance(scopes, str) or not method.isalpha() \
                or not path.startswith("/") or path == "/graphql":
            continue
        rows.append(("stargate", endpoint_row(method.upper(), path, requirement_pairs(scopes),
                                              not r["notes"].startswith("unverified"))))
        stats[f"{file_name(SDK_HELPERS_TABLE)} rows for stargate"] += 1
    return rows


# --------------------------------------------------------------------------- build


def build_endpoints(shared: Path, stats: Counter, notes: list[str]) -> dict:
    sources = [JIRA_SPEC_PRIMARY, JIRA_SPEC_FALLBACK, CONFLUENCE_V2_SPEC, *ENDPOINT_TABLES, DEVOPS_TABLE,
               SDK_HELPERS_TABLE]
    rows = [(product_for_path(row[1]), row)
            for row in jira_platform_rows(shared, stats, notes) + confluence_v2_rows(shared, stats, notes)]
    for rel in ENDPOINT_TABLES:
        rows += table_rows(shared, rel, stats)
    rows += devops_rows(shared, stats) + stargate_rows(shared, stats)

    products: dict[str, dict[tuple[str, str], list]] = {p: {} for p in PRODUCTS}
    for product, row in rows:
        key = (row[0], row[1])
        if key in products[product]:
            if products[product][key] != row:
                raise CatalogError(f"conflicting scopes for {row[0]} {row[1]} in two inputs")
            stats[f"{product} operations stated twice with the same scopes"] += 1
            continue
        products[product][key] = row
    return {
        "generator": GENERATOR,
        "sources": sorted(file_name(s) for s in sources),
        "products": {
            p: sorted(ops.values(), key=lambda r: (r[1], r[0]))
            for p, ops in products.items()
        },
    }


# Compact response shapes (see the module docstring): caps keep responses.json small.
SHAPE_MAX_PROPERTIES = 24   # properties kept per object (in the spec's order: the documented ones first)
SHAPE_MAX_ENUM = 4          # enum values kept
# Pagination links and tokens (a stub that always hands out a next page would keep a loop going forever),
# and parts of an issue only sent on `expand=` (they would crowd out the fields code reads).
SHAPE_SKIPPED = frozenset({"next", "nextPage", "nextPageToken", "nextCursor", "cursor", "nextPageCursor",
                           "changelog", "editmeta", "renderedFields", "transitions", "operations",
                           "versionedRepresentations", "fieldsToInclude"})
SHAPE_FAMILIES = ((JIRA_SPEC_PRIMARY, "", "jira"), (JIRA_SPEC_FALLBACK, "", "jira"),
                  (CONFLUENCE_V2_SPEC, CONFLUENCE_V2_PREFIX, "confluence"))


def success_schema(op: dict) -> dict | None:
    """The JSON schema of an operation's 200/201 response, if it has one."""
    responses = op.get("responses") or {}
    for code in ("200", "201"):
        schema = (((responses.get(code) or {}).get("content") or {}).get("application/json") or {}).get("schema")
        if isinstance(schema, dict):
            return schema
    return None


def compact_shape(schema, family: str, refs: set[str]):
    """A schema as a compact shape; a ``$ref`` becomes ``"#family/Name"`` and its name is added to ``refs``."""
    if not isinstance(schema, dict):
        return "?"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        refs.add(name)
        return f"#{family}/{name}"
    for combinator in ("allOf", "oneOf", "anyOf"):
        parts = [p for p in schema.get(combinator) or [] if isinstance(p, dict)]
        if parts and combinator == "allOf" and len(parts) > 1 and not schema.get("properties"):
            return compact_shape({"type": "object", "properties": {
                k: v for p in parts for k, v in (p.get("properties") or {}).items()}} if all(
                    "properties" in p for p in parts) else parts[0], family, refs)
        if parts and not schema.get("properties") and not schema.get("type"):
            return compact_shape(parts[0], family, refs)
    kind = schema.get("type")
    if kind == "string" or (kind is None and schema.get("enum")):
        if schema.get("enum"):
            return ["=", *[str(v) for v in schema["enum"][:SHAPE_MAX_ENUM]]]
        return "d" if schema.get("format") in ("date", "date-time") else "s"
    if kind in ("integer", "number"):
        return "n"
    if kind == "boolean":
        return "b"
    if kind == "array":
        return ["[]", compact_shape(schema.get("items"), family, refs)]
    properties = schema.get("properties") or {}
    if properties:
        kept = [k for k in properties if k not in SHAPE_SKIPPED][:SHAPE_MAX_PROPERTIES]
        return {k: compact_shape(properties[k], family, refs) for k in kept}
    extra = schema.get("additionalProperties")
    if extra:
        return ["{}", compact_shape(extra if isinstance(extra, dict) else {}, family, refs)]
    return "?"


def build_responses(shared: Path) -> dict:
    """Every operation's JSON success response as a compact shape, for the replay's API stubs; the
    named schemas they use, once each."""
    operations: dict[str, dict[tuple[str, str], object]] = {p: {} for p in SITE_PRODUCTS}
    schemas: dict[str, object] = {}
    sources = []
    for rel, prefix, family in SHAPE_FAMILIES:
        spec = read_json(shared, rel)
        sources.append(file_name(rel))
        components = (spec.get("components") or {}).get("schemas") or {}
        refs: set[str] = set()
        for path, item in (spec.get("paths") or {}).items():
            for method, op in (item or {}).items():
                schema = success_schema(op) if method.lower() in HTTP_METHODS and isinstance(op, dict) else None
                if schema is None:
                    continue
                shape = compact_shape(schema, family, refs)
                full = prefix + path
                versioned = JIRA_API_VERSIONED.match(full)
                paths = [f"/rest/api/{v}{versioned.group(2) or ''}" for v in ("2", "3")] if versioned else [full]
                for one in paths:
                    operations[product_for_path(one)].setdefault((method.upper(), one), shape)
        done: set[str] = set()
        while refs - done:
            name = min(refs - done)
            done.add(name)
            schemas.setdefault(f"{family}/{name}", compact_shape(components.get(name), family, refs))
    return {
        "generator": GENERATOR,
        "sources": sorted(set(sources)),
        "operations": {p: sorted([m, path, shape] for (m, path), shape in rows.items())
                       for p, rows in operations.items()},
        "schemas": schemas,
    }


def keyed_table(shared: Path, table: str, columns: tuple[str, ...], out_key: str, entry) -> dict:
    """One data file from a table whose first column is a unique key; ``entry`` shapes each row."""
    rows = {}
    for r in read_tsv(shared, table, columns):
        if r[columns[0]] in rows:
            raise CatalogError(f"{table}: duplicate {columns[0]} {r[columns[0]]}")
        rows[r[columns[0]]] = entry(r)
    return {"generator": GENERATOR, "sources": [file_name(table)], out_key: rows}


def derived_privilege(name: str) -> str:
    """The privilege class of a scope name, by the rules stated for ``scopes.tsv`` (facts/NOTES.md), for
    names only the CLI list has. Two extensions for the legacy Connect names: an action containing
    ``admin`` (``project-admin:connect-jira``) and ``act-as-user`` are admin-or-impersonation."""
    parts = name.split(":")
    action, product = parts[0], parts[-1]
    resource = parts[1] if len(parts) == 3 else ""
    if name in ("read:app-system-token", "read:app-user-token"):
        return "admin-or-impersonation"
    if action == "manage":
        return "manage"
    if "admin" in action or product == "admin" or action == "act-as-user":
        return "admin-or-impersonation"
    if action in ("write", "delete") and any(word in resource for word in ("admin", "configuration", "permission")):
        return "admin-or-impersonation"
    if action in ("delete", "redact"):
        return "delete"
    if action in ("write", "send", "import", "moderate") or name == "storage:app":
        return "write"
    return "read"


def derived_product(name: str) -> str:
    """The product of a CLI-only scope name: its last part, without ``connect-`` (``read:connect-jira`` ->
    jira); for a two-part classic name the product its last part starts with (``manage:jira-data-provider``)."""
    last = name.rsplit(":", 1)[-1].removeprefix("connect-")
    if name.count(":") == 1:
        return CLASSIC_PRODUCT_PREFIXES.get(last.split("-", 1)[0], last)
    return last


def build_scopes(shared: Path, notes: list[str]) -> dict:
    data = keyed_table(shared, SCOPES_TABLE, ("scope", "product", "kind", "privilege"), "scopes",
                       lambda r: {"product": r["product"], "kind": r["kind"], "privilege": r["privilege"],
                                  "source": file_name(SCOPES_TABLE)})
    scopes = data["scopes"]
    for name, entry in scopes.items():
        if entry["kind"] != "platform" and derived_privilege(name) != entry["privilege"]:
            notes.append(f"{name}: privilege {entry['privilege']} in {file_name(SCOPES_TABLE)}, "
                         f"{derived_privilege(name)} by the stated rules")
    for r in read_tsv(shared, CLI_SCOPES_TABLE, ("scope",)):
        name = r["scope"]
        if name in scopes or not name:
            continue
        scopes[name] = {"product": derived_product(name),
                        "kind": "granular" if is_granular_name(name) else "classic",
                        "privilege": derived_privilege(name), "source": file_name(CLI_SCOPES_TABLE)}
    data["sources"].append(file_name(CLI_SCOPES_TABLE))
    return data


def build_sdk_helpers(shared: Path) -> dict:
    """sdk-helpers.json: package -> call form -> the table's rows for it (see the module docstring)."""
    helpers: dict[str, dict[str, list]] = {}
    for r in sdk_helper_rows(shared):
        scopes = parse_alternatives(r["scopes"], f"{SDK_HELPERS_TABLE} {r['export']}")
        entry = {"method": r["rest_method"], "path": r["rest_path"], "remote": r["remote"],
                 "principal": r["principal"], "verified": not r["notes"].startswith("unverified")}
        entry |= {"lookup": scopes} if isinstance(scopes, str) else {"requirements": requirement_pairs(scopes)}
        for form in call_forms(r["export"]):
            helpers.setdefault(r["package"], {}).setdefault(form, []).append(entry)
    return {"generator": GENERATOR, "sources": [file_name(SDK_HELPERS_TABLE)], "helpers": helpers}


def call_forms(export: str) -> list[str]:
    """The call forms one ``export`` cell covers, arguments dropped: ``properties.onJiraIssue(issueKey).get``
    -> ``properties.onJiraIssue().get``; ``kvs.batchGet|batchSet`` -> ``kvs.batchGet``, ``kvs.batchSet``
    (a bare name after ``|`` replaces the last name of the form before it; ``, `` starts a new form);
    text after `` (`` is a comment."""
    forms: list[str] = []
    cell = re.sub(r"\([^()]*\)", "()", export.split(" (")[0].strip())
    for group in cell.split(", "):
        previous = None
        for part in group.split("|"):
            part = part.strip()
            if previous is not None and "." in previous and re.fullmatch(r"[A-Za-z_$][\w$]*", part):
                part = previous.rsplit(".", 1)[0] + "." + part
            forms.append(part)
            previous = part
    return forms


def build_compass(shared: Path) -> dict:
    """compass-graphql.json: method -> {"scopes": the required set, "verified": whether the method's doc
    comment states it (else schema-derived), "also": scopes of the fields the method may also send}."""
    def entry(r):
        scopes = split_scopes(r["scopes"])
        return {"scopes": scopes, "verified": bool(r["doc_comment_scopes"]),
                "also": sorted(set(split_scopes(r["schema_field_scopes"])) - set(scopes))}
    return keyed_table(shared, COMPASS_TABLE, ("method", "scopes", "doc_comment_scopes", "schema_field_scopes"),
                       "methods", entry)


def build_events(shared: Path) -> dict:
    return keyed_table(shared, EVENTS_TABLE, ("event", "product", "classic_scopes", "granular_scopes"), "events",
                       lambda r: {"product": r["product"], "classic": split_scopes(r["classic_scopes"]),
                                  "granular": split_scopes(r["granular_scopes"])})


# --------------------------------------------------------------------------- output


def render(value, expand_depth: int, depth: int = 0) -> str:
    """JSON text with containers expanded one entry per line down to expand_depth.

    Deeper values are compact (``separators=(",", ":")``); keys always sorted.
    Lists of scalars (e.g. "sources") stay on one line.
    """
    compact = json.dumps(value, indent=None, separators=(",", ":"), sort_keys=True,
                         ensure_ascii=False)
    if depth >= expand_depth or not value:
        return compact
    pad = " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}:{render(value[k], expand_depth, depth + 1)}"
                 for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    if isinstance(value, list) and all(isinstance(v, (list, dict)) for v in value):
        items = [pad + render(v, expand_depth, depth + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * depth + "]"
    return compact


_ANNOTATIONS = {"title", "description", "$comment"}
_VALIDATOR_HEADER = '''"""GENERATED by tools/build_catalog.py from manifest.schema.json (fastjsonschema {version}); do not edit.
``validate(manifest)`` raises ``JsonSchemaValueException`` when the manifest breaks the schema."""
# flake8: noqa


class JsonSchemaValueException(ValueError):
    def __init__(self, message, **details):
        super().__init__(message)


class JsonSchemaValuesException(JsonSchemaValueException):
    pass

'''


def manifest_validator_code(schema: dict) -> str:
    """Python source of a validator of ``schema``, without fastjsonschema at run time."""
    import ast

    import fastjsonschema
    import fastjsonschema.draft04

    # fastjsonschema turns every `$` of a pattern into `\Z`, even inside a character class
    # (`[A-Za-z_$]`: an invalid pattern); jsonschema searches patterns as written.
    fastjsonschema.draft04.DOLLAR_FINDER = re.compile(r"(?!)")
    tree = ast.parse(fastjsonschema.compile_to_code(_without_annotations(schema)))
    body = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "fastjsonschema":
            continue  # the header defines the exceptions
        if isinstance(node, ast.ImportFrom) and node.module == "decimal":
            continue  # ~15 ms to import, for a type YAML never produces (dropped from the tuples below)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "VERSION" for t in node.targets):
            continue
        for part in ast.walk(node):
            for keyword in getattr(part, "keywords", []):  # each error carried its whole subschema: 290 KB
                if keyword.arg == "definition":
                    keyword.value = ast.Constant(None)
            if isinstance(part, ast.Tuple):
                part.elts = [e for e in part.elts if not (isinstance(e, ast.Name) and e.id == "Decimal")]
        body.append(node)
    entry = next(node.name for node in body if isinstance(node, ast.FunctionDef))
    tree.body = body
    return (_VALIDATOR_HEADER.format(version=fastjsonschema.VERSION) + ast.unparse(tree)
            + f"\nvalidate = {entry}\n")


def _without_annotations(schema):
    """``schema`` without titles, descriptions and comments, which validate nothing."""
    if isinstance(schema, list):
        return [_without_annotations(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):  # maps of names to subschemas
            out[key] = {name: _without_annotations(sub) for name, sub in value.items()}
        elif key not in _ANNOTATIONS:
            out[key] = _without_annotations(value)
    return out


def build_all(shared: Path) -> tuple[dict[str, str], dict, Counter, list[str]]:
    if not shared.is_dir():
        raise CatalogError(f"shared directory not found: {shared}")
    stats: Counter = Counter()
    notes: list[str] = []
    data = {
        "endpoints.json": (build_endpoints(shared, stats, notes), 3),
        "scopes.json": (build_scopes(shared, notes), 2),
        "events.json": (build_events(shared), 2),
        "sdk-helpers.json": (build_sdk_helpers(shared), 3),
        "compass-graphql.json": (build_compass(shared), 2),
        "responses.json": (build_responses(shared), 2),
    }
    files = {name: render(obj, depth) + "\n" for name, (obj, depth) in data.items()}
    for name, text in files.items():  # self-check: output must round-trip
        if json.loads(text) != data[name][0]:
            raise CatalogError(f"internal error: {name} does not round-trip")
    files["manifest_validator.py"] = manifest_validator_code(json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8")))
    return files, {name: obj for name, (obj, _) in data.items()}, stats, notes


def report(objs: dict, stats: Counter, notes: list[str], out=sys.stdout) -> None:
    products = objs["endpoints.json"]["products"]
    known = objs["scopes.json"]["scopes"]
    print("operations per product (rows; Jira /rest/api/2 and /3 counted separately):", file=out)
    for p in PRODUCTS:
        rows = products[p]
        none = sum(1 for r in rows if not r[2] and not r[3])
        print(f"  {p:11s} {len(rows):5d} operations, {none:4d} with no scope", file=out)
    print("details:", file=out)
    for k in sorted(stats):
        print(f"  {k}: {stats[k]}", file=out)
    for n in notes:
        print(f"  note: {n}", file=out)

    missing: dict[str, set[str]] = {}
    for p in PRODUCTS:
        for method, path, classic, granular, *extra in products[p]:
            alternatives = [s for e in extra for pair in e.get("alternatives", []) for s in pair[0] + pair[1]]
            for s in classic + granular + alternatives:
                if s not in known:
                    missing.setdefault(s, set()).add(f"{method} {path}")
    for event, e in objs["events.json"]["events"].items():
        for s in e["classic"] + e["granular"]:
            if s not in known:
                missing.setdefault(s, set()).add(f"event {event}")
    if missing:
        print(f"scope names in neither scope list: {len(missing)}", file=out)
        for s in sorted(missing):
            users = sorted(missing[s])
            more = f" (+{len(users) - 3} more)" if len(users) > 3 else ""
            print(f"  {s}: {', '.join(users[:3])}{more}", file=out)
    else:
        print("every scope named by an operation or event is in the scope lists", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help=f"input directory (default: {DEFAULT_SHARED})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output directory (default: {DEFAULT_OUT})")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the files in --out differ from the output")
    ap.add_argument("--quiet", action="store_true", help="no sanity report")
    args = ap.parse_args(argv)

    try:
        files, objs, stats, notes = build_all(args.shared)
    except CatalogError as exc:
        print(f"build_catalog: error: {exc}", file=sys.stderr)
        return 2

    if args.check:
        stale = []
        for name, text in files.items():
            target = args.out / name
            try:
                current = target.read_text(encoding="utf-8")
            except FileNotFoundError:
                stale.append(f"{target} (missing)")
                continue
            if current != text:
                stale.append(str(target))
        if stale:
            print("build_catalog: generated catalog is out of date:", file=sys.stderr)
            for s in stale:
                print(f"  {s}", file=sys.stderr)
            print("run: python tools/build_catalog.py", file=sys.stderr)
            return 1
        print(f"build_catalog: {len(files)} files in {args.out} are up to date")
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        with (args.out / name).open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    if not args.quiet:
        print(f"wrote {', '.join(files)} to {args.out} "
              f"({sum(len(t.encode()) for t in files.values())} bytes)")
        report(objs, stats, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())

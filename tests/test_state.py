"""tenant/global-state analysis on small hand-made apps: scoping, aliases, keys, robustness."""

from __future__ import annotations

from auditor.config import Config
from auditor.engine import scan

HEADER = "import api, { route } from '@forge/api';\n"


def findings(make_app, code: str, **files: str):
    app = make_app({"src/index.js": HEADER + code, **files})
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    return result, {(f.location.path.name, f.location.region.start_line): f for f in result.reported()}


def test_aliases_and_helper_parameters_are_followed(make_app) -> None:
    _, found = findings(make_app, """\
const aliased = {};
const viaHelper = new Map();
function store(map, key, value) { map.set(key, value); }
export async function handler(payload) {
  const data = await (await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`)).json();
  const c = aliased;
  c[payload.key] = data;
  store(viaHelper, payload.key, data);
  return [aliased[payload.key], viaHelper.get(payload.key)];
}
""")
    assert set(found) == {("index.js", 2), ("index.js", 3)}
    assert all(f.level == "error" for f in found.values())
    assert "requestJira() response" in found[("index.js", 2)].message


def test_shadowing_load_time_writes_and_tenant_keys_are_safe(make_app) -> None:
    _, found = findings(make_app, """\
const shadowed = {};
const loadOnly = {};
const nested = {};
const keyed = new Map();
for (const s of ['a', 'b']) loadOnly[s] = s.toUpperCase();
export async function handler(payload, context) {
  const data = await (await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`)).json();
  if (payload.x) { const shadowed = {}; shadowed[payload.key] = data; }
  nested[context.cloudId] ??= {};
  nested[context.cloudId][payload.key] = data;
  const tenantKey = `${context.installContext}:${payload.key}`;
  keyed.set(tenantKey, data);
  return [shadowed, loadOnly.a, nested, keyed.get(tenantKey)];
}
""")
    assert found == {}


def test_levels_error_warning_note(make_app) -> None:
    _, found = findings(make_app, """\
const readBack = [];
const neverRead = [];
let counter = 0;
export async function handler(payload) {
  readBack.push(payload.body);
  neverRead.push(payload.body);
  counter++;
  return readBack.length;
}
""")
    levels = {line: f.level for (_, line), f in found.items()}
    assert levels == {2: "error", 3: "warning", 4: "note"}
    assert "no key: one slot shared by every tenant" in found[("index.js", 2)].message


def test_evidence_names_writes_reads_flows_and_entries(make_app) -> None:
    _, found = findings(make_app, """\
const cache = {};
export async function handler(payload) {
  if (cache[payload.key]) return cache[payload.key];
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`);
  cache[payload.key] = await res.json();
  return cache[payload.key];
}
""")
    finding = found[("index.js", 2)]
    assert finding.properties["state"] == "cache" and finding.properties["key"] == "payload.key"
    assert finding.properties["entryPoints"] == ["function:main"]
    assert finding.properties["writerEntryPoints"] == ["function:main"]
    assert [loc.message for loc in finding.related][:1] == ["write: cache[…] = …"]
    assert any(loc.message.startswith("read:") for loc in finding.related)
    source, sink = finding.code_flows[0]
    assert (source.region.start_line, sink.region.start_line) == (5, 6)
    assert any(flow[-1].message == "returned to the caller" for flow in finding.code_flows[1:])


def test_cross_file_cycles_and_missing_imports(make_app) -> None:
    result, found = findings(make_app, """\
import { cache } from './cache';
import { nothing } from './missing-file';
export async function handler(payload) {
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${payload.key}`);
  cache.set(payload.key, await res.json());
  return cache.get(payload.key);
}
""", **{"src/cache.js": "import { handler } from './index';\nexport const cache = new Map();\n"})
    assert set(found) == {("cache.js", 2)}
    assert found[("cache.js", 2)].related[0].path.name == "index.js"


def test_syntax_errors_and_deep_nesting_do_not_stop_the_analysis(make_app) -> None:
    deep = "function f() {" * 500 + "}" * 500
    _, found = findings(make_app, """\
const cache = {};
const broken = ;;;
export async function handler(payload) {
  cache[payload.key] = payload.value;
  return cache;
}
""" + deep + "\n")
    assert set(found) == {("index.js", 2)}


def test_bundled_library_internals_are_not_the_apps_state(make_app) -> None:
    bundle = """(() => {
var __webpack_modules__ = ({
"./node_modules/uuid/index.js": ((module) => {
  const pool = [];
  module.exports = (seed) => { pool.push(seed); return pool.length; };
}),
"./src/cache.js": ((module) => {
  const cache = {};
  module.exports = (key, value) => { cache[key] = value; return cache; };
}),
});
})();
"""
    _, found = findings(make_app, "import './bundle';\nexport const handler = (payload) => payload;\n",
                        **{"src/bundle.js": bundle})
    assert set(found) == {("bundle.js", 8)}  # the app's cache, not uuid's pool


def test_resolver_keys_from_constants_and_callbacks_from_other_modules(make_app) -> None:
    _, found = findings(make_app, """\
import Resolver from '@forge/resolver';
import * as issueResolvers from './resolvers/issues';
const RESOLVERS = { GET_ISSUE: 'getIssue' };
const resolver = new Resolver();
resolver.define(RESOLVERS.GET_ISSUE, issueResolvers.getIssue);
export const handler = resolver.getDefinitions();
""", **{"src/resolvers/issues.js": HEADER + """\
const cache = {};
export async function getIssue({ payload }) {
  if (!cache[payload.issueKey]) {
    cache[payload.issueKey] = await (await api.asApp().requestJira(route`/rest/api/3/issue/${payload.issueKey}`)).json();
  }
  return cache[payload.issueKey];
}
"""})
    finding = found[("issues.js", 2)]
    assert finding.properties["entryPoints"] == ["resolver:getIssue"]

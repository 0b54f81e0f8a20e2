"""tenant/global-state analysis on small hand-made apps: scoping, aliases, keys, robustness."""

from __future__ import annotations

from pathlib import Path

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


def test_deeply_nested_callbacks_are_followed_without_recursion(make_app) -> None:
    nested = "[0].map(() => " * 600 + "cache[payload.key] = payload.value" + ")" * 600
    _, found = findings(make_app, f"""\
const cache = {{}};
function store(payload) {{
  {nested};
}}
export async function handler(payload) {{
  store(payload);
  return cache[payload.key];
}}
""")
    assert found[("index.js", 2)].properties["writerEntryPoints"] == ["function:main"]


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


TWO_FUNCTIONS = """\
modules:
  function:
    - key: main
      handler: index.handler
    - key: other
      handler: index.other
permissions:
  scopes:
    - read:jira-work
"""


def levels(make_app, code: str) -> dict[int, tuple[str, str]]:
    app = make_app({"manifest.yml": TWO_FUNCTIONS, "src/index.js": HEADER + code})
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    return {f.location.region.start_line: (f.level, f.message) for f in result.reported()}


def test_state_set_first_thing_by_every_reader_is_a_note_only_when_surely_first(make_app) -> None:
    found = levels(make_app, """\
let level = 'info';
let conditional;
let afterHelper;
let readFirst;
let bumped = '';
function log(msg) { if (level === 'debug') console.log(msg); }
function previousTrace() { return afterHelper; }
export async function handler(event) {
  level = event.level;
  if (event.verbose) { conditional = event.user; }
  log(previousTrace());
  afterHelper = event.trace;
  readFirst = readFirst ?? event.first;
  bumped += event.tag;
  return [conditional, readFirst, bumped];
}
export async function other(event) {
  level = event.level.toLowerCase();
  log('other');
}
""")
    assert found[2][0] == "note" and "carries nothing from one invocation to the next" in found[2][1]
    # inside an `if`; set after a helper that reads it ran; read in its own assignment; appended to
    assert {line: found[line][0] for line in (3, 4, 5, 6)} == {3: "error", 4: "error", 5: "error", 6: "error"}


def test_a_reset_in_one_reader_is_not_enough(make_app) -> None:
    found = levels(make_app, """\
let account;
export async function handler(event) {
  account = event.accountId;
  return account;
}
export const other = async () => account;
""")
    assert found[2][0] == "error"


def test_reads_only_in_dead_code_or_at_load_make_a_warning(make_app) -> None:
    found = levels(make_app, """\
const seen = {};
const warmed = {};
function unused(key) { return seen[key]; }
function warm() { return Object.keys(warmed); }
warm();
export async function handler(event) {
  seen[event.key] = event.body;
  warmed[event.key] = event.body;
}
export const other = async () => 1;
""")
    assert found[2][0] == found[3][0] == "warning"
    assert "in code no entry point reaches" in found[2][1]


def test_functions_handed_on_as_values_fall_back_to_every_entry_of_the_file(make_app) -> None:
    app = make_app({"manifest.yml": TWO_FUNCTIONS, "src/index.js": HEADER + """\
const cache = {};
function lookup(key) { return cache[key]; }
const registry = { lookup };
export async function handler(event) {
  cache[event.key] = event.body;
}
export const other = async (event) => registry.lookup(event.key);
"""})
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    [finding] = result.reported()
    assert finding.level == "error"
    assert finding.properties["readerEntryPoints"] == ["function:main", "function:other"]


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tenant"


def fixture_findings(name: str) -> dict[tuple[str, int], object]:
    app = FIXTURES / name
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    return {(f.location.path.relative_to(app.resolve()).as_posix(), f.location.region.start_line): f
            for f in result.reported()}


def test_evidence_lists_only_the_entries_that_reach_the_state() -> None:
    """Many resolvers, one reaching the cache: through a wrapper around a namespace import's function, and
    through a method of a service object (both used to credit every resolver of the file)."""
    for name, where, entry in (("many-resolvers-wrapped-ts", ("src/services/velocity.ts", 11), "resolver:getVelocity"),
                               ("many-resolvers-service", ("src/services/confluence.js", 6), "resolver:getStaleDrafts")):
        finding = fixture_findings(name)[where]
        assert finding.properties["entryPoints"] == [entry], name
        assert finding.properties["writerEntryPoints"] == finding.properties["readerEntryPoints"] == [entry], name


def test_state_is_shared_only_within_one_handler_files_bundle() -> None:
    found = fixture_findings("bundle-admin-config")
    assert set(found) == {("src/services/issues.ts", 16)}  # the admin bundle's settings never reach index.ts
    assert found[("src/services/issues.ts", 16)].properties["sharedBy"] == {
        "src/index.ts": ["resolver:getIssues", "function:scheduled-sync"]}
    found = fixture_findings("bundle-inbox-split")
    assert set(found) == {("src/lib/senders.ts", 7)}  # the queue: pushed in one bundle, drained in another


def test_commonjs_exports_are_followed_to_their_importers(make_app) -> None:
    app = make_app({"manifest.yml": TWO_FUNCTIONS, "src/index.js": """\
const { lookup } = require('./store');
const store = require('./store');
exports.handler = async (event) => { store.save(event.key, event.body); return 1; };
exports.other = async (event) => lookup(event.key);
""", "src/store.js": """\
const saved = {};
const aliased = {};
function save(key, value) { saved[key] = value; aliased[key] = value; }
function lookup(key) { return saved[key]; }
function peek(key) { return aliased[key]; }
module.exports = { save, lookup, inspect: peek };
"""})
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    found = {f.location.region.start_line: f.properties for f in result.reported()}
    assert found[1]["writerEntryPoints"] == ["function:main"] and found[1]["readerEntryPoints"] == ["function:other"]
    # exported under another name: its callers cannot be told, so every entry of the file may read it
    assert found[2]["readerEntryPoints"] == ["function:main", "function:other"]


def test_assigning_an_alias_first_is_no_reset(make_app) -> None:
    found = levels(make_app, """\
let current = {};
export async function handler(event) {
  let view = current;
  view = event.body;
  current = view;
  return current;
}
export async function other(event) {
  current = event.body;
  return current;
}
""")
    assert found[2][0] == "error"


def test_an_entry_calling_another_entrys_function_reaches_what_it_reads(make_app) -> None:
    """A resolver reusing another resolver's getter reads the state too (real shape: addStage calls the
    getStages resolver function, which reads the cache)."""
    _, found = findings(make_app, """\
import Resolver from '@forge/resolver';
import * as stages from './stages';
const resolver = new Resolver();
resolver.define('getStages', stages.getStages);
resolver.define('addStage', stages.addStage);
export const handler = resolver.getDefinitions();
""", **{"src/stages.js": """\
import { storage } from '@forge/api';
const cache = { stages: null };
export const getStages = async () => {
  if (cache.stages === null) cache.stages = await storage.get('stages');
  return cache.stages;
};
export const addStage = async ({ payload }) => {
  const all = await getStages();
  all.push({ name: payload.name });
  return all;
};
"""})
    assert found[("stages.js", 2)].properties["readerEntryPoints"] == ["resolver:addStage", "resolver:getStages"]


GUARDED = """\
let client = null;
let lastToken = null;
export async function handler(payload) {
  const token = payload.token ?? (await api.asApp().requestJira(route`/rest/api/3/myself`)).headers.get('x-token');
  %s
}
"""


def test_equality_guarded_slot_is_a_note_and_its_key_is_silent(make_app) -> None:
    shapes = [
        "if (client && lastToken === token) return client;\n  client = new Octokit({ auth: token });\n"
        "  lastToken = token;\n  return client;",
        "if (!client || token !== lastToken) {\n    client = new Octokit({ auth: token });\n"
        "    lastToken = token;\n  }\n  return client;",
        "if (lastToken != token) {\n    client = new Octokit({ auth: token });\n    lastToken = token;\n"
        "  } else {\n    return client;\n  }\n  return null;",
    ]
    for body in shapes:
        _, found = findings(make_app, GUARDED % body)
        assert list(found) == [("index.js", 2)], body
        assert found[("index.js", 2)].level == "note"
        assert "a one-entry cache keyed by 'token'" in found[("index.js", 2)].message


def test_guards_that_do_not_tie_the_slot_to_the_invocation_keep_the_error(make_app) -> None:
    shapes = {
        "await between the guard and the read":
            "if (client && lastToken === token) { await audit(); return client; }\n"
            "  client = new Octokit({ auth: token });\n  lastToken = token;\n  return client;",
        "slot set only sometimes, key always":
            "if (client && lastToken === token) return client;\n"
            "  if (payload.fresh) client = new Octokit({ auth: token });\n  lastToken = token;\n  return client;",
        "key set before an await that precedes the slot":
            "if (!client || lastToken !== token) {\n    lastToken = token;\n"
            "    client = await connect(token);\n  }\n  return client;",
        "an await between setting the key and setting the slot":
            "if (client && lastToken === token) return client;\n  lastToken = token;\n"
            "  client = await connect(token);\n  return client;",
        "compared with module state":
            "if (client && lastToken === DEFAULT) return client;\n"
            "  client = new Octokit({ auth: token });\n  lastToken = DEFAULT;\n  return client;",
        "compared value reassigned":
            "let key = token;\n  if (client && lastToken === key) return client;\n  key = payload.other;\n"
            "  client = new Octokit({ auth: key });\n  lastToken = key;\n  return client;",
        "a condition that tests the slot but compares with ||":
            "if (client || lastToken === token) return client;\n"
            "  client = new Octokit({ auth: token });\n  lastToken = token;\n  return client;",
    }
    for why, body in shapes.items():
        _, found = findings(make_app, "const DEFAULT = 'shared';\nasync function audit() {}\n"
                                      "async function connect(t) { return new Octokit({ auth: t }); }\n"
                                      + GUARDED % body)
        assert found[("index.js", 5)].level == "error", why


SERVICE = """\
class Service%s {
  %s
  async clientFor(token) {
    if (this.client && this.clientToken === token) return this.client;
    this.client = new Octokit({ auth: token });
    this.clientToken = token;
    return this.client;
  }
}
export const service = new Service();
export async function handler(payload) {
  const token = payload.token ?? (await api.asApp().requestJira(route`/rest/api/3/myself`)).headers.get('x');
  const client = await service.clientFor(token);
  %s
}
"""


def test_guarded_singleton_fields_are_a_note_only_when_every_use_is_seen(make_app) -> None:
    _, found = findings(make_app, SERVICE % ("", "", "return client.ping();"))
    assert found[("index.js", 11)].level == "note"
    assert "in 'this.client'" in found[("index.js", 11)].message
    leaks = {
        "an arrow-function field reads the slot": ("", "current = () => this.client;", "return client.ping();"),
        "a method hands the slot out unguarded": ("", "last() { return this.client; }", "return client.ping();"),
        "`this` handed on whole": ("", "register() { registry.push(this); }", "return client.ping();"),
        "the field read from outside": ("", "", "return service.client;"),
        "a base class may read the slot": (" extends Base", "", "return client.ping();"),
    }
    for why, (base, member, use) in leaks.items():
        _, found = findings(make_app, "const registry = [];\nclass Base { last() { return this.client; } }\n"
                                      + SERVICE % (base, member, use))
        assert found[("index.js", 13)].level == "error", why


def test_a_module_loaded_for_its_side_effects_does_not_make_every_entry_a_reader(make_app) -> None:
    """`import './services/issues'` registers definitions but reaches no name of the module: the cache's
    readers are the definitions that call its reader, not every entry of the handler file."""
    from tests.test_hostile_replay import MANIFEST as RESOLVER_MANIFEST

    result = scan([app := make_app({
        "manifest.yml": RESOLVER_MANIFEST,
        "src/index.js": "import resolver from './resolver';\nimport './services/issues';\nimport './services/board';\n"
                        "export const handler = resolver.getDefinitions();\n",
        "src/resolver.js": "import Resolver from '@forge/resolver';\nexport default new Resolver();\n",
        "src/services/issues.js": HEADER + """\
import resolver from '../resolver';
const issues = {};
export async function issue(key) {
  issues[key] ??= await (await api.asApp().requestJira(route`/rest/api/3/issue/${key}`)).json();
  return issues[key];
}
resolver.define('getIssue', ({ payload }) => issue(payload.issueKey));
""",
        "src/services/board.js": "import resolver from '../resolver';\nresolver.define('getBoard', () => ({}));\n",
    })], Config(enable=frozenset({"tenant/global-state"})), app)
    (finding,) = result.reported()
    assert finding.properties["readerEntryPoints"] == ["resolver:getIssue"]

"""ESM -> CommonJS and TypeScript stripping: semantics kept, every line where it was."""

from __future__ import annotations

import json

from runtime_harness.sandbox import Isolate
from runtime_harness.transform import transform

TS = b"""import api, { route, type Route } from '@forge/api';
import type { Issue } from './types';
export interface Shape { a: string }
export type Key = string;
const cache: Record<string, Issue> = {};
export let counter: number = 0;
export const bump = (by?: number): number => (counter += by ?? 1);
export function get<T>(key: Key): T | undefined { return cache[key] as unknown as T; }
export default class Store<T> implements Shape { private items = new Map<string, T>(); a = ''; size(): number { return this.items.size; } }
const n = <number>(counter!);
export { cache as byKey };
"""


def run_modules(files: dict[str, bytes], run: str):
    """Load transformed modules in a sandbox isolate (in this process: trusted test code) and return
    what ``run`` (the body of an async function exported by an extra module) returns."""
    sources = {path: transform(source, "." + path.rsplit(".", 1)[1]).code for path, source in files.items()}
    sources["/app/main.js"] = f"exports.run = async () => {{ {run} }};"
    isolate = Isolate({"files": sources, "limits": {"memory_bytes": 64 << 20, "call_timeout": 5}})
    try:
        assert isolate.preload("/app/main.js") == []
        tenant = {"id": "A", "canary": "CANARY-A", "installation": "i-A", "cloudId": "c-A"}
        out = isolate.step({"tenant": tenant, "file": "/app/main.js", "export": "run", "resolverKey": None,
                            "payload": {}, "context": {}, "label": "run", "step": 0})
    finally:
        isolate.close()
    assert out["ok"], out.get("error")
    return json.loads(out["result"])


def test_types_are_erased_and_lines_kept() -> None:
    out = transform(TS, ".ts").code
    assert out.count("\n") == TS.count(b"\n")
    lines = out.splitlines()
    assert "interface" not in lines[2] and "type Key" not in lines[3]
    assert lines[4] == "const cache" + " " * 24 + "= {};"
    assert ": number" not in out and "<T>" not in out and "implements" not in out and "private" not in out
    # a statement stays on its own line, so an error's line number is the app's line number
    assert "bump" in lines[6] and "function get" in lines[7] and "class Store" in lines[8]


def test_exports_are_live_and_imports_interoperate() -> None:
    files = {
        "/app/src/store.ts": TS,
        "/app/src/index.js": b"import Store, { bump, counter, byKey } from './store';\n"
                             b"import * as all from './store.js';\n"
                             b"export const probe = () => { bump(2); return [all.counter, counter, typeof Store, byKey === all.byKey]; };\n",
    }
    result = run_modules(files, "return require('./src/index.js').probe();")
    # both the namespace and the named import see the exporter's current `let` value (live bindings)
    assert result == [2, 2, "function", True]


def test_enums_as_typescript_emits_them() -> None:
    files = {"/app/src/types.ts": b"""export enum Level { Low, Mid = 5, High, Mask = Low | Mid }
export const enum Kind {
  Issue = 'issue', // comment
  Page = `page`,
}
declare enum Ambient { Gone }
enum Computed { Len = 'abc'.length, Next }
export const computed = [Computed.Len, Computed.Next, Computed[3]];
""", "/app/src/use.ts": b"import { Level, Kind, computed } from './types';\n"
                         b"export const probe = () => [Level.High, Level[6], Level.Mask, Kind.Page, computed];\n"}
    out = transform(files["/app/src/types.ts"], ".ts").code
    assert out.count("\n") == files["/app/src/types.ts"].count(b"\n") and "Ambient" not in out
    assert run_modules(files, "return require('./src/use.ts').probe();") == [6, "High", 5, "page", [3, 4, "Len"]]


def test_namespaces_fill_objects_and_merge() -> None:
    source = b"""export namespace Outer.Inner {
  export const value = 21;
  export function twice(x: number): number { return x * 2; }
  export enum Nested { One = 1 }
  interface Hidden { a: string }
  const local = 1;
}
export namespace Outer.Inner { export const again = 42; }
namespace OnlyTypes { export type T = string; }
export class Merged { static base = 1; }
export namespace Merged { export const extra = 2; }
export module Legacy { export const old = true; }
declare namespace Ambient { const x: number; }
"""
    out = transform(source, ".ts").code
    assert "OnlyTypes" not in out and "Ambient" not in out
    result = run_modules({"/app/ns.ts": source},
                         "const m = require('./ns.ts'); const i = m.Outer.Inner; "
                         "return [i.value, i.again, i.Nested.One, i.local, m.Merged.base, m.Merged.extra, m.Legacy.old];")
    assert result == [21, 42, 1, None, 1, 2, True]


def test_classes_parameter_properties_and_members() -> None:
    source = b"""class Base { constructor(public readonly id: string) {} }
export class Client extends Base {
  declare brand: string;
  private items: string[];
  accessor count = 1;
  constructor(private readonly jira: { site: string }, protected override id = 'c', public tag?: string) {
    super(id)
  }
  site(this: Client): string { return this.jira.site + this.id + this.count; }
  find(a: string): string;
  find(a: number): number;
  find(a: any) { return a; }
}
export abstract class Shape { abstract area(): number; abstract sides: number; name!: string; }
"""
    result = run_modules({"/app/c.ts": source},
                         "const { Client, Shape } = require('./c.ts'); const c = new Client({ site: 'S' });"
                         "c.count = 4; return [c.site(), c.find(3), 'items' in c, 'brand' in c, Object.keys(c), "
                         "typeof Shape, 'sides' in Shape.prototype];")
    assert result == ["Sc4", 3, False, False, ["id", "jira", "tag"], "function", False]


def test_legacy_decorators_are_applied_after_the_class() -> None:
    source = b"""import { Injectable, Inject, Route, seen } from './di';
@Injectable('svc')
export class Service {
  @Route('/a') // a route
  get(@Inject('id') id: string) { return id; }
  @Route('/b') static list() { return []; }
  constructor(@Inject('db') private db: string) {}
}
"""
    di = (b"export const seen: string[] = [];\n"
          b"export const Injectable = (n: string) => (c: any) => { seen.push('class:' + n); c.tagged = n; };\n"
          b"export const Route = (p: string) => (t: any, k: string, d: any) => { seen.push('route:' + k + p); };\n"
          b"export const Inject = (n: string) => (t: any, k: any, i: number) => { seen.push('inject:' + n + i); };\n")
    out = transform(source, ".ts").code
    assert out.count("\n") == source.count(b"\n")
    result = run_modules({"/app/s.ts": source, "/app/di.ts": di},
                         "const { Service } = require('./s.ts'); return [Service.tagged, require('./di.ts').seen];")
    assert result == ["svc", ["inject:id0", "route:get/a", "route:list/b", "inject:db0", "class:svc"]]


def test_commonjs_interop_and_type_only_imports() -> None:
    files = {
        "/app/lib.ts": b"function make() { return { made: true }; }\nexport = make;\n",
        "/app/types.ts": b"export interface Shape { a: string }\nexport type Key = string;\n",
        "/app/use.ts": b"""import make = require('./lib');
import type { Shape } from './types';
import { type Key } from './types';
import { Missing } from './only-types';
namespace N { export const v = 7; }
import V = N.v;
const s: Shape = <Shape>{ a: 'x' } satisfies Shape;
let later!: Key;
export const probe = (m?: Missing) => [make().made, s.a, V, later, import.meta.url.startsWith('file://')];
""",
    }
    # `./only-types` does not exist: an import used only as a type is elided, as tsc elides it
    assert run_modules(files, "return require('./use.ts').probe();") == [True, "x", 7, None, True]


def test_imports_are_rewritten_wherever_used() -> None:
    files = {
        "/app/cfg.ts": b"export let DEFAULTS = { a: 1 }; export const LIST = [1, 2]; export const KEY = 'k';\n"
                       b"export class Base { base = true; }\nexport const set = () => { DEFAULTS = { a: 2 }; };\n",
        "/app/use.ts": b"""import { DEFAULTS, LIST, KEY, Base, set } from './cfg';
const sum = (...xs: number[]) => xs.reduce((a, b) => a + b, 0);
class Child extends Base {}
export { DEFAULTS as defaults };
export const probe = (n = LIST.length) => {
  set();
  return [{ ...DEFAULTS }, [...LIST, 3], sum(...LIST), { LIST }, n, { [KEY]: 1 }, new Child().base];
};
""",
    }
    result = run_modules(files, "const m = require('./use.ts'); return [m.probe(), m.defaults];")
    assert result == [[{"a": 2}, [1, 2, 3], 3, {"LIST": [1, 2]}, 2, {"k": 1}, True], {"a": 2}]


def test_multiline_arrow_return_types_keep_the_arrow_on_the_parameters_line() -> None:
    source = b"export const f = (\n  a: number\n): {\n  b: number\n} =>\n  ({ b: a });\n"
    out = transform(source, ".ts").code
    assert out.count("\n") == source.count(b"\n")
    assert run_modules({"/app/f.ts": source}, "return require('./f.ts').f(3);") == {"b": 3}


def test_plain_commonjs_is_left_alone() -> None:
    source = b"const x = require('./x');\nmodule.exports = { x };\n"
    assert transform(source, ".js").code == source.decode()


def test_dynamic_import_and_export_star() -> None:
    files = {
        "/app/a.js": b"export const a = 1;\n",
        "/app/b.js": b"export * from './a';\nexport const load = () => import('./a');\n",
    }
    out = run_modules(files, "const m = await require('./b.js').load(); return m.a + require('./b.js').a;")
    assert out == 2


def test_jsx_compiles_to_factory_calls_with_imported_tags() -> None:
    files = {
        "/app/ui.tsx": b"""/** @jsx h */ /** @jsxFrag Frag */
import { Badge, label, h, Frag } from './lib';
export const view = (n: number) => (
  <div className="row" data-n={n} {...{ id: 'x' }} hidden>
    Total &amp; {label}:{/* count */}
    <Badge tone="ok" />
    <>{n * 2}</>
  </div>
);
""",
        "/app/lib.ts": b"export const label = 'L';\nexport const Badge = 'Badge';\nexport const Frag = null;\n"
                       b"export const h = (type: any, props: any, ...children: any[]) => ({ type, props, children });\n",
    }
    out = transform(files["/app/ui.tsx"], ".tsx").code
    assert out.count("\n") == files["/app/ui.tsx"].count(b"\n")
    assert run_modules(files, "return require('./ui.tsx').view(2);") == {
        "type": "div", "props": {"className": "row", "data-n": 2, "id": "x", "hidden": True},
        "children": ["Total & ", "L", ":", {"type": "Badge", "props": {"tone": "ok"}, "children": []},
                     {"type": None, "props": None, "children": [4]}]}


def test_typescript_the_grammar_misses_is_rewritten_until_it_parses() -> None:
    source = b"""export interface Box<in out T> { in: T }
export const dual: {
  /** data-last */
  <A>(f: (a: A) => A): (self: A) => A
  /** data-first */
  <A>(self: A, f: (a: A) => A): A
} = (...args: Array<any>) => args.length === 1 ? (self: any) => args[0](self) : args[1](args[0]);
"""
    result = transform(source, ".ts")
    assert result.problems == [] and result.code.count("\\n") == source.count(b"\\n")
    assert run_modules({"/app/d.ts": source},
                       "const { dual } = require('./d.ts'); return [dual((x) => x + 1)(1), dual(5, (x) => x * 2)];") == [2, 10]


def test_a_file_the_grammar_cannot_parse_reports_its_first_failing_line() -> None:
    result = transform(b"const a = 1;\nconst b = (;\n", ".ts")
    assert result.problems == ["syntax the grammar does not parse at line 2: unexpected '= ('"]


def test_field_initializers_run_after_parameter_properties_as_tsc_orders_them() -> None:
    files = {
        "/app/jira.ts": b"export class Api { constructor(readonly site: string) {} }\n",
        "/app/service.ts": b"""import { Api } from './jira';
export class Service {
  private api = new Api(
    this.site, // the parameter property, already set
  );
  #calls = [this.site];
  static made = 0;
  constructor(private readonly site: string) {}
  calls() { return this.#calls; }
}
""",
    }
    out = transform(files["/app/service.ts"], ".ts").code
    assert out.count("\n") == files["/app/service.ts"].count(b"\n")
    assert run_modules(files, "const { Service } = require('./service.ts'); const s = new Service('S'); "
                              "return [s.api.site, s.calls(), Object.keys(s)];") == ["S", ["S"], ["site", "api"]]


def test_decorators_of_an_anonymous_class_are_ignored_with_a_note() -> None:
    source = b"const dec = (c: any) => c;\nexport const Made = @dec class { run() { return 1; } };\n"
    result = transform(source, ".ts")
    assert result.notes == ["decorators of the anonymous class at line 2 were ignored"]
    assert run_modules({"/app/a.ts": source}, "return new (require('./a.ts').Made)().run();") == 1

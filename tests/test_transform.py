"""ESM -> CommonJS and TypeScript stripping: semantics kept, every line where it was."""

from __future__ import annotations

import json

import pytest

from runtime_harness.sandbox import Isolate
from runtime_harness.transform import UnsupportedSyntax, transform

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
    assert out["ok"], out
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


def test_unsupported_typescript_is_reported_with_its_line() -> None:
    with pytest.raises(UnsupportedSyntax, match=r"'enum' at line 2"):
        transform(b"const a = 1;\nenum Color { Red }\n", ".ts")
    with pytest.raises(UnsupportedSyntax, match="namespace"):
        transform(b"namespace N { export const x = 1; }\n", ".ts")


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

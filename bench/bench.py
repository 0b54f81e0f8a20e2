"""Time `forge-audit scan` on generated apps and a 5 MB bundle; report medians and peak memory.
Then time `scan --confirm` over the tenant fixtures: seconds per replayed finding.

Run by hand (never in CI):  python bench/bench.py [--runs 5] [--keep DIR]

Targets: a typical app (< 50 files, < 300 KB) <= 0.5 s wall including start-up;
a 5 MB bundle <= 3 s; peak memory <= 300 MB; <= 0.5 s per replayed finding;
time near-linear in entry points and in declared scopes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = """\
app:
  id: ari:cloud:ecosystem::app/1c9e6b7a-2f4d-4c1e-9a51-0b6f2d3e4a10
  runtime:
    name: nodejs22.x
modules:
  jira:issuePanel:
    - key: panel
      resource: main
      resolver:
        function: resolver
      title: Bench
  function:
    - key: resolver
      handler: index.handler
resources:
  - key: main
    path: static/main/build
permissions:
  scopes:
    - read:jira-work
    - write:jira-work
    - storage:app
  external:
    fetch:
      backend:
        - api.example.com
"""

MODULE = """\
import api, {{ route }} from '@forge/api';
import {{ kvs }} from '@forge/kvs';
import {{ helper{prev} }} from './module{prev}';

const BASE_{n} = '/rest/api/3';
const LIMIT_{n} = {n};

export async function helper{n}(issueKey, payload) {{
  const res = await api.asUser().requestJira(route`${{BASE_{n}}}/issue/${{issueKey}}?fields=summary`);
  const issue = await res.json();
  const comments = [];
  for (let i = 0; i < LIMIT_{n}; i += 1) {{
    comments.push({{ index: i, text: `${{issue.fields.summary}} #${{i}}`, author: payload.accountId }});
  }}
  if (payload.post) {{
    await api.asApp().requestJira(route`/rest/api/3/issue/${{issueKey}}/comment`, {{
      method: 'POST',
      headers: {{ 'Content-Type': 'application/json' }},
      body: JSON.stringify({{ body: comments.map((c) => c.text).join('\\n') }}),
    }});
  }}
  await kvs.set(`last-${{issueKey}}`, {{ at: Date.now(), count: comments.length }});
  const remote = await api.fetch('https://api.example.com/v1/issues/' + issueKey);
  return {{ issue, comments, remote: await remote.json(), previous: helper{prev} }};
}}
"""

BUNDLE_MODULE = """\
/***/ "./src/module{n}.js":
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {{
"use strict";
__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {{ "helper{n}": () => (helper{n}) }});
var _forge_api__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__("./node_modules/@forge/api/out/index.js");
var _forge_api__WEBPACK_IMPORTED_MODULE_0___default = __webpack_require__.n(_forge_api__WEBPACK_IMPORTED_MODULE_0__);
async function helper{n}(issueKey, payload) {{
  const res = await _forge_api__WEBPACK_IMPORTED_MODULE_0___default().asUser().requestJira((0,_forge_api__WEBPACK_IMPORTED_MODULE_0__.route)`/rest/api/3/issue/${{issueKey}}?fields=summary`);
  const issue = await res.json();
  const rows = [];
  for (let i = 0; i < {n} % 17; i += 1) {{
    rows.push({{ index: i, label: `${{issue.fields.summary}} #${{i}}`, owner: payload.accountId, flags: [i % 2 === 0, i % 3 === 0] }});
  }}
  const grouped = rows.reduce((acc, row) => {{ (acc[row.owner] = acc[row.owner] || []).push(row); return acc; }}, {{}});
  return {{ issue, grouped, total: rows.length }};
}}
/***/ }}),
"""


def make_app(root: Path, files: int) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "manifest.yml").write_text(MANIFEST)
    for n in range(files):
        (root / "src" / f"module{n}.js").write_text(MODULE.format(n=n, prev=max(n - 1, 0)))
    (root / "src" / "index.js").write_text("import Resolver from '@forge/resolver';\n"
                                           "const resolver = new Resolver();\n"
                                           "export const handler = resolver.getDefinitions();\n")
    return root


def make_bundle_app(root: Path, size: int) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "manifest.yml").write_text(MANIFEST)
    (root / "src" / "index.js").write_text("export { handler } from '../dist/index.js';\n")
    parts, total, n = ["(() => {\nvar __webpack_modules__ = ({\n"], 0, 0
    while total < size:
        chunk = BUNDLE_MODULE.format(n=n)
        parts.append(chunk)
        total += len(chunk)
        n += 1
    parts.append("});\n})();\n")
    (root / "dist").mkdir()
    (root / "dist" / "index.js").write_text("".join(parts))
    return root


def make_repeated_state_app(root: Path, factories: int) -> Path:
    """A bundle whose module factories all declare the same `cache`: name resolution must stay linear."""
    (root / "src").mkdir(parents=True)
    (root / "manifest.yml").write_text(MANIFEST)
    (root / "src" / "index.js").write_text("import './bundle';\nexport const handler = (payload) => payload;\n")
    parts = ["(() => {\nvar __webpack_modules__ = ({\n"]
    parts += [f'"./src/m{n}.js": ((module) => {{\n  const cache = {{}};\n'
              f'  module.exports = (k, v) => {{ cache[k] = v; return cache[k]; }};\n}}),\n' for n in range(factories)]
    parts.append("});\n})();\n")
    (root / "src" / "bundle.js").write_text("".join(parts))
    return root


SERVICE_DEFINITIONS = 4  # resolver definitions per service file, all sharing its module-level cache


def make_entry_points_app(root: Path, entries: int) -> Path:
    """``entries`` entry points: half `resolver.define` in src/index.js, each callback exported by a
    service file whose definitions write and read its module-level cache through a helper; half
    `function` modules, each with its own handler file reading one service's cache and keeping state
    of its own, read back by a callback no entry encloses."""
    definitions, functions = entries - entries // 2, entries // 2
    services = -(-definitions // SERVICE_DEFINITIONS)
    (root / "src" / "services").mkdir(parents=True)
    function_modules = "".join(f"    - key: fn-{i}\n      handler: fn{i}.run\n" for i in range(functions))
    (root / "manifest.yml").write_text(MANIFEST.replace("      handler: index.handler\n",
                                                        "      handler: index.handler\n" + function_modules))
    for s in range(services):
        getters = "".join(
            f"export async function get{s}_{d}({{ payload }}) {{\n"
            f"  const key = payload.key + '-{d}';\n"
            f"  if (cache[key]) return cache[key];\n"
            f"  const res = await api.asUser().requestJira(route`/rest/api/3/issue/${{payload.key}}`);\n"
            f"  return remember(key, await res.json());\n}}\n\n"
            for d in range(SERVICE_DEFINITIONS))
        (root / "src" / "services" / f"service{s}.js").write_text(
            "import api, { route } from '@forge/api';\n\nconst cache = {};\n\n"
            "function remember(key, value) {\n  cache[key] = value;\n  return value;\n}\n\n"
            f"export function lookup{s}(key) {{\n  return cache[key];\n}}\n\n{getters}")
    imports = "".join(f"import * as service{s} from './services/service{s}';\n" for s in range(services))
    defines = "".join(f"resolver.define('key-{i}', service{i // SERVICE_DEFINITIONS}."
                      f"get{i // SERVICE_DEFINITIONS}_{i % SERVICE_DEFINITIONS});\n" for i in range(definitions))
    (root / "src" / "index.js").write_text(
        "import Resolver from '@forge/resolver';\n" + imports + "\nconst resolver = new Resolver();\n" + defines
        + "\nexport const handler = resolver.getDefinitions();\n")
    for i in range(functions):
        s = i % services
        (root / "src" / f"fn{i}.js").write_text(
            f"import {{ lookup{s} }} from './services/service{s}';\n\nconst seen = [];\n"
            "setInterval(() => console.log(seen.length), 60000);\n\n"
            f"export async function run(event) {{\n  seen.push(event.key);\n  return lookup{s}(event.key);\n}}\n")
    return root


def make_unknown_scopes_app(root: Path, scopes: int) -> Path:
    """A manifest declaring ``scopes`` distinct misspelt scopes."""
    root.mkdir(parents=True)
    names = "".join(f"    - read:jira-work-{i}\n" for i in range(scopes))
    (root / "manifest.yml").write_text(MANIFEST.replace("    - read:jira-work\n", names))
    (root / "src").mkdir()
    (root / "src" / "index.js").write_text("export const handler = (payload) => payload;\n")
    return root


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"scan failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the apps here and keep them")
    args = parser.parse_args()
    exe = shutil.which("forge-audit") or str(Path(sys.executable).with_name("forge-audit"))
    base = args.keep or Path(tempfile.mkdtemp(prefix="forge-audit-bench-"))
    cases = [(f"{n} files", make_app(base / f"app{n}", n)) for n in (10, 100, 1000)]
    cases.append(("5 MB bundle", make_bundle_app(base / "bundle", 5_000_000)))
    cases.append(("2,000 caches", make_repeated_state_app(base / "repeated", 2000)))
    cases += [(f"{n:,} entries", make_entry_points_app(base / f"entries{n}", n)) for n in (500, 2000)]
    cases.append(("20,000 scopes", make_unknown_scopes_app(base / "scopes", 20_000)))
    print(f"{'case':<14} {'size':>9} {'median s':>9} {'min s':>7} {'peak MB':>8}")
    medians = {}
    for name, app in cases:
        size = sum(p.stat().st_size for p in app.rglob("*") if p.is_file())
        runs = [measure([exe, "scan", str(app), "--no-config", "--format", "sarif", "-o", os.devnull])
                for _ in range(args.runs)]
        walls = [w for w, _ in runs]
        medians[name] = statistics.median(walls)
        print(f"{name:<14} {size / 1024:>7.0f}KB {medians[name]:>9.3f} {min(walls):>7.3f} "
              f"{max(m for _, m in runs):>8.1f}")
    print(f"2,000 / 500 entry points: {medians['2,000 entries'] / medians['500 entries']:.1f}x "
          "(4x input; linear analysis stays near 4x, start-up included)")
    replay_case(exe, args.runs)
    if not args.keep:
        shutil.rmtree(base)


def replay_case(exe: str, runs: int) -> None:
    """--confirm over fixtures/tenant: the static scan's time is subtracted, the rest is replay."""
    import json

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "tenant"
    base = [measure([exe, "scan", str(fixtures), "--no-config", "--enable", "tenant/global-state",
                     "--format", "json", "-o", os.devnull])[0] for _ in range(runs)]
    out = Path(tempfile.mkdtemp()) / "confirm.json"
    confirm = [measure([exe, "scan", str(fixtures), "--no-config", "--enable", "tenant/global-state", "--confirm",
                        "--format", "json", "-o", str(out)]) for _ in range(runs)]
    findings = json.loads(out.read_text())["findings"]
    replayed = [f for f in findings if "confirmation" in f["properties"]]
    confirmed = sum(1 for f in replayed if f["properties"]["confirmed"])
    extra = statistics.median(w for w, _ in confirm) - statistics.median(base)
    print(f"\nreplay: {len(replayed)} findings replayed ({confirmed} confirmed) in "
          f"{extra:.2f} s beyond the static scan: {extra / max(len(replayed), 1):.3f} s per finding; "
          f"peak {max(m for _, m in confirm):.1f} MB (parent)")


if __name__ == "__main__":
    main()

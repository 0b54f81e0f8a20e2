"""Time `forge-audit scan` on generated apps and bundles; report medians, peak memory and report size.
Then time `scan --confirm` on 100 generated service files and over the tenant fixtures.

Run by hand (never in CI):  python bench/bench.py [--runs 5] [--keep DIR] [--only NAME ...] [--exe PATH]
For start-up as users see it, time a regular install: `python -m venv /tmp/v && /tmp/v/bin/pip install .`,
then `--exe /tmp/v/bin/forge-audit`.

Wall time is noisy on a shared machine: the CPU column (user + system time of the scan process) is the
one to compare between changes.

Targets (issue 12, medians of 5 runs): a typical app (< 50 files, < 300 KB) <= 0.15 s wall including
start-up; the 1 MB TypeScript app <= 1 s; 1,000 service files <= 10 s, <= 400 MB and a report <= 5 MB;
time(1,000 files) / time(100 files) <= 12; a 5 MB bundle <= 1 s; `--confirm` on 100 service files within
the default replay budget; time near-linear in entry points and in declared scopes. They were set on a
machine where tree-sitter parses the 5 MB bundle in 0.365 s: the last lines print that parse's time here.
With more than one CPU, an app of 128 KB of backend code or more uses two processes (see --jobs): the CPU
column then counts both.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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


SERVICE = """\
import api, {{ route }} from '@forge/api';
import resolver from '../resolver';
{imports}
interface CacheEntry {{
  value: unknown;
  at: number;
}}

const TTL_{n} = 60_000;
const issueCache: Record<string, CacheEntry> = {{}};
const views = new Map<string, number>();

export function lookup{n}(key: string): unknown {{
  const entry = issueCache[key];
  return entry && Date.now() - entry.at < TTL_{n} ? entry.value : undefined;
}}

async function load{n}(key: string): Promise<unknown> {{
  const res = await api.asUser().requestJira(route`/rest/api/3/issue/${{key}}?fields=summary,status`);
  if (!res.ok) {{
    throw new Error(`issue ${{key}}: ${{res.status}}`);
  }}
  return res.json();
}}
{helpers}
resolver.define('service{n}-issue', async ({{ payload }}) => {{
  const key = String(payload.issueKey);
  const cached = lookup{n}(key);
  if (cached !== undefined) return cached;
  const value = await load{n}(key);
  issueCache[key] = {{ value, at: Date.now() }};
  return value;
}});

resolver.define('service{n}-views', async ({{ payload }}) => {{
  const key = String(payload.issueKey);
  views.set(key, (views.get(key) ?? 0) + 1);
  return {{ views: views.get(key) }};
}});

resolver.define('service{n}-related', async ({{ payload }}) => {{
  const key = String(payload.issueKey);
  return {{ own: lookup{n}(key), related: [{related}] }};
}});
"""

SERVICE_HELPER = """
function format{n}_{h}(fields: Record<string, unknown>, width = {width}): string {{
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields)) {{
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${{name.padEnd(12)}} ${{text.length > width ? text.slice(0, width - 1) + '…' : text}}`);
  }}
  return parts.sort().join('\\n');
}}

resolver.define('service{n}-format-{h}', async ({{ payload }}) => {{
  const issue = (await load{n}(String(payload.issueKey))) as {{ fields: Record<string, unknown> }};
  return format{n}_{h}(issue.fields);
}});
"""


def make_services_app(root: Path, files: int, helpers: int = 0) -> Path:
    """``files`` TypeScript services under src/services, each registering its definitions on the one
    `Resolver` exported by src/resolver.ts and keeping module-level caches (tenant findings). Services
    import each other in groups of 10 (each imports every other of its group) and as a chain (each
    imports the one before); ``helpers`` adds that many formatting definitions per service (bulk)."""
    (root / "src" / "services").mkdir(parents=True)
    (root / "manifest.yml").write_text(MANIFEST)
    (root / "src" / "resolver.ts").write_text("import Resolver from '@forge/resolver';\n\n"
                                              "const resolver = new Resolver();\n\nexport default resolver;\n")
    for n in range(files):
        group = range(n - n % 10, min(n - n % 10 + 10, files))
        others = sorted({m for m in group if m != n} | ({n - 1} if n else set()))
        imports = "".join(f"import {{ lookup{m} }} from './service{m}';\n" for m in others)
        helper_code = "".join(SERVICE_HELPER.format(n=n, h=h, width=40 + h) for h in range(helpers))
        related = ", ".join(f"lookup{m}(key)" for m in others)
        (root / "src" / "services" / f"service{n}.ts").write_text(
            SERVICE.format(n=n, imports=imports, helpers=helper_code, related=related))
    (root / "src" / "index.ts").write_text(
        "import resolver from './resolver';\n"
        + "".join(f"import './services/service{n}';\n" for n in range(files))
        + "\nexport const handler = resolver.getDefinitions();\n")
    return root


def make_unknown_scopes_app(root: Path, scopes: int) -> Path:
    """A manifest declaring ``scopes`` distinct misspelt scopes."""
    root.mkdir(parents=True)
    names = "".join(f"    - read:jira-work-{i}\n" for i in range(scopes))
    (root / "manifest.yml").write_text(MANIFEST.replace("    - read:jira-work\n", names))
    (root / "src").mkdir()
    (root / "src" / "index.js").write_text("export const handler = (payload) => payload;\n")
    return root


@dataclass
class Run:
    wall: float    # seconds, wall clock
    cpu: float     # seconds of user + system time of the scan process and the processes it waited for
    peak_mb: float
    report_bytes: int


def measure(cmd: list[str], report: Path | None = None) -> Run:
    """One run of cmd, which writes its report to ``report`` when given."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"scan failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}")
    size = report.stat().st_size if report is not None else 0
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, size)


def scan_command(exe: str, app: Path, report: Path, *extra: str) -> list[str]:
    """A SARIF scan of ``app`` as CI runs it: URIs relative to the app (the source root)."""
    return [exe, "scan", str(app), "--no-config", "--source-root", str(app), "--format", "sarif",
            "-o", str(report), *extra]


TYPICAL_APP = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "issue-tracker"


BIG_FILES = ("--max-file-size", "20MB")  # the 10 MB bundle is over the default limit (5MB): skipped, exit 2


def _fresh(make: Callable[..., Path], root: Path, *args, **kwargs) -> Path:
    """``make`` into an empty ``root`` (--keep may point at an earlier run's apps)."""
    shutil.rmtree(root, ignore_errors=True)
    return make(root, *args, **kwargs)


def cases(base: Path) -> list[tuple[str, Callable[[], Path], tuple[str, ...]]]:
    """(name, make the app, extra scan options): an app is generated only when its case runs."""
    def fresh(make, name, *args, **kwargs):
        return functools.partial(_fresh, make, base / name, *args, **kwargs)

    found: list[tuple[str, Callable[[], Path], tuple[str, ...]]] = [("typical app", lambda: TYPICAL_APP, ())]
    found += [(f"{n:,} files", fresh(make_services_app, f"services{n}", n), ()) for n in (10, 100, 1000)]
    found.append(("1 MB TS app", fresh(make_services_app, "services-1mb", 100, helpers=14), ()))
    found += [(f"{n} MB bundle", fresh(make_bundle_app, f"bundle{n}", n * 1_000_000), BIG_FILES) for n in (1, 5, 10)]
    found.append(("2,000 caches", fresh(make_repeated_state_app, "repeated", 2000), ()))
    found += [(f"{n:,} entries", fresh(make_entry_points_app, f"entries{n}", n), ()) for n in (500, 2000)]
    found.append(("20,000 scopes", fresh(make_unknown_scopes_app, "scopes", 20_000), ()))
    return found


def parse_floor(bundle: Path, runs: int) -> float:
    """Median seconds tree-sitter takes to parse ``bundle`` alone, in this process: no scan of it can be
    faster, and it tells this machine's speed (the targets' machine parsed the 5 MB bundle in 0.365 s)."""
    import tree_sitter
    import tree_sitter_javascript

    data = bundle.read_bytes()
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parser.parse(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the apps here and keep them")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only the cases whose name contains NAME (repeatable); 'confirm' for the replays")
    parser.add_argument("--exe", help="the forge-audit to time (default: this environment's). Start-up as users "
                                      "see it needs a regular install: an editable one adds its import hook (~10 ms)")
    args = parser.parse_args()
    exe = args.exe or shutil.which("forge-audit") or str(Path(sys.executable).with_name("forge-audit"))
    # bytecode as an installation has it: with PYTHONDONTWRITEBYTECODE set, every run would compile the sources
    package = Path(__file__).resolve().parent.parent
    compileall.compile_dir(package / "auditor", quiet=1)
    compileall.compile_dir(package / "rules", quiet=1)
    base = args.keep or Path(tempfile.mkdtemp(prefix="forge-audit-bench-"))
    report = base / "report.sarif"
    wanted = (lambda name: any(w in name for w in args.only)) if args.only else (lambda name: True)
    print(f"{'case':<14} {'input':>9} {'wall s':>7} {'min s':>6} {'cpu s':>6} {'peak MB':>8} {'report':>9}"
          "   (medians; cpu = user + system of the scan process)")
    walls, cpus = {}, {}
    for name, make, options in cases(base):
        if not wanted(name):
            continue
        app = make()
        size = sum(p.stat().st_size for p in app.rglob("*") if p.is_file())
        runs = [measure(scan_command(exe, app, report, *options), report) for _ in range(args.runs)]
        walls[name] = statistics.median(r.wall for r in runs)
        cpus[name] = statistics.median(r.cpu for r in runs)
        print(f"{name:<14} {size / 1024:>7.0f}KB {walls[name]:>7.3f} {min(r.wall for r in runs):>6.3f} "
              f"{cpus[name]:>6.3f} {max(r.peak_mb for r in runs):>8.1f} {runs[-1].report_bytes / 1024:>7.0f}KB")
    if "5 MB bundle" in walls:
        print(f"5 MB bundle: the tree-sitter parse alone takes {parse_floor(base / 'bundle5' / 'dist' / 'index.js', args.runs):.3f} s "
              "here (median; 0.365 s on the machine the targets were set on)")
    for high, low, factor in (("1,000 files", "100 files", 10), ("2,000 entries", "500 entries", 4)):
        if high in walls and low in walls:
            print(f"{high} / {low}: {walls[high] / walls[low]:.1f}x wall, {cpus[high] / cpus[low]:.1f}x cpu "
                  f"({factor}x input; start-up included)")
    if wanted("confirm"):
        confirm_case(exe, _fresh(make_services_app, base / "confirm100", 100), base / "confirm.json")
        replay_case(exe, args.runs)
    if not args.keep:
        shutil.rmtree(base)


def confirm_case(exe: str, app: Path, out: Path) -> None:
    """`scan --confirm` once on 100 service files, with the default replay budget: every finding must
    get its replay (none 'not-run' for want of budget)."""
    import json

    run = measure([exe, "scan", str(app), "--no-config", "--enable", "tenant/global-state", "--confirm",
                   "--format", "json", "-o", str(out)])
    outcomes: dict[str, int] = {}
    for finding in json.loads(out.read_text())["findings"]:
        outcome = finding["properties"].get("confirmation", {}).get("outcome", "no replay")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n--confirm, 100 service files: {run.wall:.1f} s wall, {run.cpu:.1f} s cpu (with the replay "
          f"processes), peak {run.peak_mb:.0f} MB (the largest process); outcomes: "
          + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))


def replay_case(exe: str, runs: int) -> None:
    """--confirm over fixtures/tenant: the static scan's time is subtracted, the rest is replay."""
    import json

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "tenant"
    base = [measure([exe, "scan", str(fixtures), "--no-config", "--enable", "tenant/global-state",
                     "--format", "json", "-o", os.devnull]).wall for _ in range(runs)]
    out = Path(tempfile.mkdtemp()) / "confirm.json"
    confirm = [measure([exe, "scan", str(fixtures), "--no-config", "--enable", "tenant/global-state", "--confirm",
                        "--format", "json", "-o", str(out)]) for _ in range(runs)]
    findings = json.loads(out.read_text())["findings"]
    replayed = [f for f in findings if "confirmation" in f["properties"]]
    confirmed = sum(1 for f in replayed if f["properties"]["confirmed"])
    extra = statistics.median(r.wall for r in confirm) - statistics.median(base)
    print(f"\nreplay: {len(replayed)} findings replayed ({confirmed} confirmed) in "
          f"{extra:.2f} s beyond the static scan: {extra / max(len(replayed), 1):.3f} s per finding; "
          f"peak {max(r.peak_mb for r in confirm):.1f} MB (parent)")


if __name__ == "__main__":
    main()

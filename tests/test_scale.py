"""A hostile repository must not make a scan unboundedly slow. Wall-clock targets are the benchmark's
business (bench/bench.py); these tests count the expensive steps on large generated apps and check
that every finding is still there."""

from __future__ import annotations

import difflib

from auditor.config import Config
from auditor.engine import scan
from auditor.facts.modules import ModuleGraph
from bench.bench import SERVICE_DEFINITIONS, make_entry_points_app, make_unknown_scopes_app


def test_20000_unknown_scopes_are_all_reported_with_bounded_suggestions(tmp_path, monkeypatch) -> None:
    calls = []
    close_matches = difflib.get_close_matches

    def counting(word, *args, **kwargs):
        calls.append(word)
        return close_matches(word, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    app = make_unknown_scopes_app(tmp_path / "app", 20_000)
    result = scan([app], Config(enable=frozenset({"scope/unknown"})), app)

    found = sorted(result.findings, key=lambda f: f.location.region.start_line)
    assert [f.properties["scope"] for f in found] == [f"read:jira-work-{i}" for i in range(20_000)]
    assert len(calls) <= 50
    assert all(f.properties["suggestion"] == "read:jira-work" for f in found[:len(calls)])
    assert "did you mean 'read:jira-work'?" in found[0].message
    assert "no suggestion computed" in found[-1].message and found[-1].properties["suggestion"] is None


def test_2000_entry_points_need_one_reachability_walk_per_module_holding_an_entry(tmp_path, monkeypatch) -> None:
    walks = []
    reachable = ModuleGraph.reachable

    def counting(self, starts):
        walks.append(tuple(starts))
        return reachable(self, starts)

    monkeypatch.setattr(ModuleGraph, "reachable", counting)
    app = make_entry_points_app(tmp_path / "app", 2_000)
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)

    definitions = functions = 1_000
    services = definitions // SERVICE_DEFINITIONS
    handler_files = 1 + functions
    # One walk per module holding an entry's handler, function or registration (the 1,000 functions are
    # in their handler files, the definitions' in the services), besides the scan's walk from all
    # entries and the resolver's definitions.
    assert len(walks) <= handler_files + services + 2
    leaks = {(f.location.path.relative_to(app).as_posix(), f.properties["state"]): f for f in result.findings}
    expected = {}
    for s in range(services):
        writers = {f"resolver:key-{s * SERVICE_DEFINITIONS + d}" for d in range(SERVICE_DEFINITIONS)}
        readers = writers | {f"function:fn-{i}" for i in range(s, functions, services)}
        expected[(f"src/services/service{s}.js", "cache")] = (writers, readers)
    for i in range(functions):
        expected[(f"src/fn{i}.js", "seen")] = ({f"function:fn-{i}"}, {f"function:fn-{i}"})
    assert set(leaks) == set(expected)
    for where, (writers, readers) in expected.items():
        leak = leaks[where]
        assert leak.level == "error"
        assert set(leak.properties["writerEntryPoints"]) == writers, where
        assert set(leak.properties["readerEntryPoints"]) == readers, where


def test_2000_function_modules_in_one_file_read_its_exports_once(tmp_path, monkeypatch) -> None:
    from auditor.facts import entrypoints

    lookups = []
    esm_export = entrypoints._esm_export

    def counting(statement, export, *args):
        lookups.append(export)
        return esm_export(statement, export, *args)

    monkeypatch.setattr(entrypoints, "_esm_export", counting)
    n = 2_000
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "manifest.yml").write_text("modules:\n  function:\n" + "".join(
        f"    - key: f-{i}\n      handler: index.f{i}\n" for i in range(n)))
    (app / "src" / "index.js").write_text("const seen = [];\n" + "".join(
        f"export async function f{i}(event) {{\n  seen.push(event.key);\n  return seen.length;\n}}\n"
        for i in range(n)))
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)

    assert len(lookups) <= 3 * n  # a few candidate names per export statement, not one lookup per statement per key
    [leak] = result.findings
    expected = {f"function:f-{i}" for i in range(n)}
    assert set(leak.properties["writerEntryPoints"]) == set(leak.properties["readerEntryPoints"]) == expected


def test_a_minified_name_thousands_of_times_is_not_walked_once_per_function(make_app, monkeypatch) -> None:
    """A vendored minified library (MathJax under public/) names hundreds of functions `e`: following each one's
    callers through 3,000 occurrences of `e` took 24 s for 1 MB. Such a name falls back to the entries whose code
    reaches the file, and the state it guards is still reported."""
    from auditor.facts import entrypoints
    calls = []
    commonjs_export = entrypoints._commonjs_export

    def counting(ref):
        calls.append(ref)
        return commonjs_export(ref)

    monkeypatch.setattr(entrypoints, "_commonjs_export", counting)
    helpers = "".join(f"function h{i}(t){{function e(n){{seen[n]=t;return n}}return e(t)+e(t+1)}}\n"
                      for i in range(600))
    calls_of_helpers = "".join(f"h{i}(event.key);" for i in range(600))
    app = make_app({
        "src/index.js": "const seen = {};\nexport async function handler(event) {\n" + calls_of_helpers +
                        "\n  return seen[event.key];\n}\n" + helpers,
    })
    result = scan([app], Config(enable=frozenset({"tenant/global-state"})), app)
    assert [f.properties["state"] for f in result.findings] == ["seen"]
    assert len(calls) < 5_000  # not 600 functions x 1,800 occurrences of `e`

"""The module graph's import edges (auditor/facts/modules.py ImportGraph): reach along imports and importers."""

from __future__ import annotations

from pathlib import Path

from auditor.facts.modules import ImportGraph

INDEX, RESOLVERS, JIRA, STORE = (Path(f"/app/src/{name}.ts") for name in ("index", "resolvers", "jira", "store"))


def _graph() -> ImportGraph:
    graph = ImportGraph()
    graph.add_edge(INDEX, RESOLVERS)
    graph.add_edge(RESOLVERS, JIRA)
    graph.add_edge(JIRA, "pkg:@forge/api")
    graph.add_edge(JIRA, STORE)
    graph.add_edge(STORE, JIRA)  # a cycle: store imports a helper back from jira
    return graph


def test_descendants_follow_imports_around_cycles() -> None:
    graph = _graph()
    assert graph.descendants(INDEX) == {RESOLVERS, JIRA, STORE, "pkg:@forge/api"}
    assert graph.descendants(JIRA) == {STORE, "pkg:@forge/api"}  # not itself, though the cycle leads back
    assert graph.descendants("pkg:@forge/api") == set()


def test_ancestors_and_predecessors_follow_importers() -> None:
    graph = _graph()
    assert graph.ancestors("pkg:@forge/api") == {JIRA, STORE, RESOLVERS, INDEX}
    assert graph.ancestors(INDEX) == set()
    assert graph.predecessors(JIRA) == [RESOLVERS, STORE]  # in the order the edges were added
    assert graph.predecessors(Path("/app/src/unknown.ts")) == []


def test_nodes_include_packages_and_lone_modules() -> None:
    graph = _graph()
    lone = Path("/app/src/lone.ts")
    graph.add_node(lone)
    assert set(graph.nodes) == {INDEX, RESOLVERS, JIRA, STORE, "pkg:@forge/api", lone}
    assert lone in graph and Path("/app/src/other.ts") not in graph


def _module_graph(**files: str):
    from auditor.facts.modules import build_module_graph
    from auditor.loader import SourceFile
    from auditor.parsing import parse_source
    parsed = [parse_source(SourceFile(Path("/app/src") / name, text.encode()))[0] for name, text in files.items()]
    return build_module_graph(parsed)


def test_importers_follow_barrels_at_any_depth_and_name_what_they_hold() -> None:
    from auditor.facts.modules import UNFOLLOWED
    graph = _module_graph(**{
        "jira.ts": "export function comment() {}\nexport function transition() {}\nexport default function x() {}\n",
        "services.ts": "export { comment as addComment } from './jira';\nexport * from './jira';\n",
        "index.ts": "export * from './services';\n",  # a barrel of a barrel
        "panel.ts": "import { addComment, transition } from './index';\nimport x from './services';\n",
        "all.ts": "import * as services from './services';\n",
        "renamed.ts": "import * as api from './renaming';\n",
        "renaming.ts": "export { comment as post } from './jira';\n",
        "unused.ts": "export { transition as move } from './jira';\n",
    })
    jira = Path("/app/src/jira.ts")
    held = sorted((p.name, local, name) for p, local, name in graph.importers(jira))
    assert held == [
        ("all.ts", "services", "*"),             # the barrel's module object holds jira's names (`export *`)
        ("all.ts", "services", UNFOLLOWED),      # and one of them renamed: `services.addComment`
        ("panel.ts", "addComment", "addComment"),  # `export *` passes any name on: jira has none by it
        ("panel.ts", "addComment", "comment"),  # renamed by one barrel, passed on by another
        ("panel.ts", "transition", "transition"),
        ("renamed.ts", "api", UNFOLLOWED),       # `api.post` is jira's `comment`: not told here
    ]  # `export *` passes no default: panel's `x` is the barrel's own default, not jira's
    assert {p.name for p in graph.barrels(jira)} == {"services.ts", "index.ts", "renaming.ts", "unused.ts"}
    assert not graph.unfollowed(jira)
    graph.graph.add_edge(Path("/app/src/loader.ts"), Path("/app/src/services.ts"))  # `import('./services')`
    assert graph.unfollowed(jira)


def test_code_reaches_what_a_module_imports_not_what_it_only_re_exports() -> None:
    graph = _module_graph(**{
        "index.ts": "export { run } from './trigger';\nexport { handler } from './resolvers';\nimport './setup';\n",
        "trigger.ts": "import { post } from './jira';\nexport function run() { post(); }\n",
        "resolvers.ts": "export const handler = 1;\n",
        "setup.ts": "",
        "jira.ts": "export function post() {}\n",
    })
    src = Path("/app/src")
    assert {p.name for p in graph.code_reachable(src / "index.ts")} == {"index.ts", "setup.ts"}
    assert {p.name for p in graph.code_reachable(src / "trigger.ts")} == {"trigger.ts", "jira.ts"}
    assert {p.name for p in graph.reachable([src / "index.ts"])} == \
        {"index.ts", "setup.ts", "trigger.ts", "resolvers.ts", "jira.ts"}  # the bundle still loads them all

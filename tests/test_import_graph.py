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

"""The corpus script's checks, on two inline files (the corpus itself is run by hand)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "transform_corpus.py"


def load_script():
    spec = importlib.util.spec_from_file_location("transform_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_good_file_passes_and_a_broken_one_is_grouped_by_construct(tmp_path: Path) -> None:
    corpus = load_script()
    good = tmp_path / "node_modules" / "pkg" / "src" / "good.ts"
    bad = tmp_path / "node_modules" / "pkg" / "src" / "bad.ts"
    good.parent.mkdir(parents=True)
    good.write_text("export enum E { A }\nexport class C { constructor(private a: E) {} }\n")
    # a syntax error on line 2: neither the grammar nor V8 accepts it
    bad.write_text("export interface Box<T> { get(): T }\nexport const f = (x: number) => x +;\n")
    (tmp_path / "node_modules" / "pkg" / "index.d.ts").write_text("export declare const x: number;\n")
    files = corpus.sources(tmp_path / "node_modules")
    assert files == [bad, good]  # declaration files have no code to check
    passed, failures = corpus.run(files, tmp_path)
    assert passed == 1
    [(construct, items)] = failures.items()
    assert construct.startswith("grammar: ")
    assert items[0].startswith("node_modules/pkg/src/bad.ts") and "line 2" in items[0] and "SyntaxError" in items[0]

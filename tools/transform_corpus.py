"""Run the replay transform over real TypeScript sources (by hand, not in CI).

    python tools/transform_corpus.py [--folder DIR] [--limit N] [PACKAGE ...]

Installs npm packages that publish their TypeScript sources (default: PACKAGES)
into a temporary folder (or DIR, kept), transforms every `.ts`/`.tsx`/`.mts`/`.cts`
file that is not a declaration file, and checks that each output parses with
tree-sitter without errors and compiles in a V8 isolate as the sandbox compiles a
module: as a Function body, compiled, never run. Prints the success rate and the
failures grouped by the construct at the failing line.
Exit status 1 when the rate is below TARGET.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import tree_sitter
from py_mini_racer import MiniRacer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.parsing import GRAMMAR_BY_SUFFIX, language  # noqa: E402
from runtime_harness.transform import first_error, transform  # noqa: E402

TARGET = 0.995
PACKAGES = ["rxjs", "zod", "effect", "@effect/platform", "msw", "@mswjs/interceptors", "@reduxjs/toolkit", "redux",
            "reselect", "immer", "mobx", "@trpc/server", "@trpc/client", "@tanstack/query-core",
            "@tanstack/react-query", "@tanstack/store", "@tiptap/core", "prosemirror-model", "prosemirror-state",
            "prosemirror-transform", "prosemirror-view", "headers-polyfill", "tldts-core"]
SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
# The sandbox's module wrapper (runtime_harness/prelude.js, `define`).
PARAMETERS = ["exports", "require", "module", "__filename", "__dirname", "__import", "__forgeAuditProbe"]


def install(folder: Path, packages: list[str]) -> None:
    (folder / "package.json").write_text('{"name": "transform-corpus", "private": true}\n')
    subprocess.run(["npm", "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund",
                    "--legacy-peer-deps", *packages], cwd=folder, check=True, stdout=subprocess.DEVNULL)


def sources(folder: Path) -> list[Path]:
    """TypeScript sources under ``folder`` (declaration files have no code to run)."""
    return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and not re.search(r"\.d\.[mc]?ts$", p.name)
                  and p.is_file())


class Checker:
    """Transforms one file and says why its output does not load, if it does not."""

    def __init__(self) -> None:
        self.v8 = MiniRacer()
        self.parser = tree_sitter.Parser(language("javascript"))

    def close(self) -> None:
        self.v8.close()

    def failure(self, source: bytes, suffix: str) -> tuple[str, str] | None:
        """None when the output parses and compiles, else (construct, message). A file the grammar
        itself does not parse is grouped under the construct at the grammar's first error."""
        try:
            result = transform(source, suffix)
        except Exception as exc:  # a transform bug is a failure to report, not a reason to stop
            return f"transform raised {type(exc).__name__}", str(exc)[:200]
        code = result.code
        tree = self.parser.parse(code.encode())
        compiled = self.v8.eval(f"(() => {{ try {{ new Function(...{json.dumps(PARAMETERS)}, {json.dumps(code)}); "
                                f"return ''; }} catch (e) {{ return String(e); }} }})()")
        if not compiled and not tree.root_node.has_error:
            return None
        if compiled:
            line, column = self.v8_position(code)
            message = f"line {line + 1}: {compiled}"
        else:
            line, column = _first_error(tree.root_node)
            message = f"line {line + 1}: tree-sitter does not parse the output"
        original = tree_sitter.Parser(language(GRAMMAR_BY_SUFFIX[suffix])).parse(source)
        if original.root_node.has_error:
            line, column = _first_error(original.root_node)
            return f"grammar: {construct(original, line, column)}", f"{result.problems[0]}; {message}"
        return construct(original, line, column), message

    def v8_position(self, code: str) -> tuple[int, int]:
        """Where V8 fails to compile ``code`` (0-based line and column in ``code``)."""
        try:
            self.v8.eval(f"(function ({', '.join(PARAMETERS)}) {{\n{code}\n}})")
        except Exception as exc:
            found = re.match(r"<anonymous>:(\d+): .*?\n(.*)\n( *)\^", str(exc))
            if found:
                return int(found.group(1)) - 2, len(found.group(3))
        return 0, 0


def _first_error(root: tree_sitter.Node) -> tuple[int, int]:
    return first_error(root).start_point


def construct(tree: tree_sitter.Tree, line: int, column: int) -> str:
    """The kinds of the syntax nodes at a position, innermost first, as `a < b < c`."""
    node = tree.root_node.named_descendant_for_point_range((line, column), (line, column))
    kinds = []
    while node is not None and node.type != "program" and len(kinds) < 3:
        kinds.append(node.type)
        node = node.parent
    return " < ".join(kinds) or "program"


def run(files: list[Path], folder: Path) -> tuple[int, dict[str, list[str]]]:
    """(files that load, construct -> failing files with their message)."""
    checker = Checker()
    good, failures = 0, defaultdict(list)
    try:
        for path in files:
            found = checker.failure(path.read_bytes(), path.suffix)
            if found is None:
                good += 1
            else:
                failures[found[0]].append(f"{path.relative_to(folder)} {found[1]}")
    finally:
        checker.close()
    return good, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=PACKAGES)
    parser.add_argument("--folder", type=Path, help="install here and keep it (default: a temporary folder)")
    parser.add_argument("--limit", type=int, default=0, help="check at most N files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="transform-corpus-") as temporary:
        folder = args.folder or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "node_modules").is_dir():
            install(folder, args.packages)
        files = sources(folder / "node_modules")[:args.limit or None]
        good, failures = run(files, folder)
    rate = good / len(files) if files else 0.0
    grammar = sum(len(items) for kind, items in failures.items() if kind.startswith("grammar: "))
    print(f"{good}/{len(files)} files load after the transform ({rate:.2%}; target {TARGET:.1%})")
    print(f"{grammar} of the failures are files tree-sitter-typescript does not parse; of the files it parses, "
          f"{good}/{len(files) - grammar} load ({good / max(1, len(files) - grammar):.2%})")
    for kind, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{kind}: {len(items)}")
        for item in items:
            print(f"  {item}")
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

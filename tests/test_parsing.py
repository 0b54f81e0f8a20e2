"""Grammar gaps: valid TypeScript/JSX the pinned tree-sitter grammars reject is repaired, with exact locations."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest
import tree_sitter
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import Config
from auditor.engine import scan
from auditor.loader import SourceFile
from auditor.parsing import GRAMMAR_BY_SUFFIX, _grammar, _spans, language, parse_source, text
from tests.annotations import FIXTURES

VALID = [
    ("Panel.tsx", "const Panel = styled.div<{ open: boolean }>`\n"
                  "  display: ${(p) => (p.open ? 'block' : 'none')};\n`;"),
    ("Panel.ts", "const Panel = styled.div<{ open: boolean }>`display: none;`;"),
    ("Button.tsx", "const B = styled(Button)<{ $active?: boolean }>`"
                   "color: ${({ $active }) => ($active ? 'red' : 'blue')};`;"),
    ("List.tsx", "const L = styled.ul<{ onPick: () => void; items: Array<{ id: string }> }>`\n  margin: 0;\n`;"),
    ("Input.tsx", "const I = styled.input.attrs({ type: 'text' })<{ wide: boolean }>`width: 1px;`;"),
    ("theme.tsx", "const c = css<Props>`color: ${(p) => p.color};`;"),
    ("repo.ts", "const rows = await sql<{ id: number; name: string }[]>`SELECT id FROM users WHERE org = ${org}`;"),
    ("repo2.ts", "const rows = await sql<Row, Params>`SELECT 1`;"),
    ("Terms.tsx", "const T = () => <p>Terms & Conditions &mdash; <a href='/t?x=1&y=2'>here</a></p>;"),
    ("Qa.tsx", 'const Q = () => <a title="Q&A">R&D</a>;'),
    ("Label.jsx", 'const L = () => <label for="name" class="field">Name & role</label>;'),
    ("Label.tsx", 'const L = () => <label for="name">Name</label>;'),
    ("Empty.tsx", 'const E = () => <div className="icon" title="&#128203; none">&#128203;&#9998;&#x1F4CB;</div>;'),
    ("Empty.jsx", "const E = () => <span>&#128203; No standups yet</span>;"),
    ("types.ts", "export type * from './issue';"),
    ("History.tsx", "const [h] = useState<import('history').History | null>(\n  null,\n);\n"
                    "const lazy = import('./lazy').then((m) => m.default);"),
]


@pytest.mark.parametrize("name,code", VALID, ids=[v[0] for v in VALID])
def test_valid_code_gives_no_syntax_notification(name: str, code: str) -> None:
    parsed, notes = parse_source(SourceFile(Path(name), (code + "\n").encode()))
    assert notes == [] and not parsed.tree.root_node.has_error


def _call(parsed, callee: str):
    nodes = [n for n in parsed.captures("(call_expression function: (_) @f) @call")["call"]
             if text(n.child_by_field_name("function")) == callee]
    assert len(nodes) == 1, callee
    return nodes[0]


def test_locations_after_repairs_are_those_of_the_file() -> None:
    code = (
        "const Wrap = styled.div<{\n"
        "  open: boolean; // ü\n"
        "}>`\n"
        "  color: red;\n"
        "`;\n"
        "const Note = () => <p title=\"Q&A\">Tom & Jerry – ü</p>; "
        "const a = requestJira(route`/rest/api/3/myself`);\n"
    )
    parsed, notes = parse_source(SourceFile(Path("App.tsx"), code.encode()))
    assert notes == []
    call = _call(parsed, "requestJira")
    region = parsed.region(call)
    line = code.split("\n")[5]
    assert (region.start_line, region.start_column) == (6, line.index("requestJira") + 1)  # UTF-16 columns
    assert text(call) == "requestJira(route`/rest/api/3/myself`)"
    # the tag is a call of its template, the type arguments gone from the tree, not from the text
    tagged = _call(parsed, "styled.div")
    assert parsed.region(tagged).start_line == 1 and parsed.region(tagged).end_line == 5
    assert text(tagged).startswith("styled.div<{\n  open: boolean; // ü\n}>`")
    attribute = parsed.captures("(jsx_attribute (string) @value)")["value"][0]
    assert text(attribute) == '"Q&A"'  # the file's own text, not the patched buffer's


def test_real_syntax_errors_are_still_reported_beside_a_repaired_gap() -> None:
    code = "const P = styled.div<{ a: boolean }>`x`;\nconst broken = ;;; {{{\nconst Q = () => <p>A & B</p>;\n"
    _, notes = parse_source(SourceFile(Path("Broken.tsx"), code.encode()))
    [note] = notes
    assert note.message.startswith("syntax errors") and note.region.start_line == 2


def test_lookalikes_in_strings_and_comparisons_are_left_alone() -> None:
    # the syntax error on the last line makes the repair run over the rest
    code = ("const t = `<b>${x}</b>`;\nif (a<b && c>`x`.length) { y = 1 & 2; }\n"
            "const s = 'a<b>`';\nconst broken = ;\n")
    parsed, notes = parse_source(SourceFile(Path("plain.ts"), code.encode()))
    assert [n.region.start_line for n in notes] == [4]
    fragments = [text(n) for n in sorted(parsed.captures("(string_fragment) @f")["f"], key=lambda n: n.start_byte)]
    assert fragments == ["<b>", "</b>", "x", "a<b>`"]
    [comparison] = parsed.captures('(binary_expression operator: "&&" @op) @e')["e"]
    assert text(comparison) == "a<b && c>`x`.length"


# -- fixture apps ---------------------------------------------------------------

GAP_FIXTURES = {
    "parsing/styled-components-panel": ["static/triage/src/components/Styled.tsx", "static/triage/src/App.tsx",
                                        "static/triage/src/components/RouteForm.jsx", "static/triage/src/api/types.ts"],
    "parsing/sql-tagged-templates": ["src/services/ledger.ts"],
}


@pytest.mark.parametrize("name", sorted(GAP_FIXTURES))
def test_grammar_gap_fixtures_parse_without_notifications(name: str) -> None:
    app = FIXTURES / name
    for rel in GAP_FIXTURES[name]:  # what the pinned grammar alone rejects
        path = app / rel
        raw = tree_sitter.Parser(language(GRAMMAR_BY_SUFFIX[path.suffix])).parse(path.read_bytes())
        assert raw.root_node.has_error, rel
    result = scan([app], Config(), app)
    assert not [n for n in result.notifications if "syntax" in n.message] and result.successful


@pytest.mark.parametrize("name,rel", [("parsing/stray-merge-copy", "src/services/reminders.orig.js"),
                                      ("parsing/flow-typed-vendor", "static/burndown/src/vendor/sparkline.js")])
def test_unreached_file_with_syntax_errors_is_analysed_partially(name: str, rel: str) -> None:
    app = FIXTURES / name
    result = scan([app], Config(), app)
    [note] = [n for n in result.notifications if n.path == app / rel]
    assert note.level == "warning" and note.message.startswith("analysed partially: syntax errors")
    assert not note.failure and not note.blocking and result.successful and not result.incomplete
    out = CliRunner().invoke(main, ["scan", str(app), "--no-config", "--format", "sarif"])
    assert out.exit_code == 1  # the app's one finding, not an incomplete scan
    assert json.loads(out.output)["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_a_reached_file_with_syntax_errors_still_blocks(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "parsing/stray-merge-copy", app)
    index = app / "src/index.js"
    index.write_text(index.read_text().replace("'./services/reminders'", "'./services/reminders.orig'"))
    result = scan([app], Config(), app)
    [note] = result.incomplete
    assert note.path == app / "src/services/reminders.orig.js" and "function 'remind' reaches this file" in note.message


def test_name_lookups_find_what_the_pattern_finds() -> None:
    """ParsedFile.occurrences finds plain names and alternatives of plain names with bytes.find, other
    patterns with `re`: both give re.finditer's matches (leftmost, the first alternative written wins,
    no overlaps), here on random text made of the characters that matter."""
    patterns = ["a", "ab", "a|ab", "ab|a", "(?:ab|b)", "a\\$b|b", "aa", "(?:a|ab|b)", "ba|ab", "a.b", "(?:a)|(?:b)"]
    chance = random.Random(7)
    for _ in range(2000):
        data = bytes(chance.choice(b"ab$_ .(") for _ in range(chance.randint(0, 40)))
        for pattern in patterns:
            assert list(_spans(pattern, data)) == [m.span() for m in re.finditer(pattern.encode(), data)], \
                (pattern, data)


def test_a_grammar_package_of_another_layout_is_imported_as_a_package() -> None:
    """The grammar's compiled module is loaded without its package's __init__ (tests/test_cli.py checks
    that a scan loads no importlib.resources); a package with no `_binding` module beside its __init__
    is imported the ordinary way."""
    assert _grammar.__wrapped__("json") is json
    assert callable(_grammar("tree_sitter_javascript").language)

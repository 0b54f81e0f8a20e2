"""primaryLocationLineHash must equal what GitHub's upload-sarif computes.

The reference below follows upload-sarif's published algorithm step by step
(a rolling hash fed one UTF-16 unit at a time, 64-bit wrap-around); the
production code uses a closed form. They must agree on every line.
"""

from __future__ import annotations

import pytest

from auditor.report.fingerprint import INDEX_AFTER, LineHasher

MASK = (1 << 64) - 1


def reference_hashes(text: str) -> dict[int, str]:
    block, mod = 100, 37
    first_mod = pow(mod, block, 1 << 64)
    window = [0] * block
    line_numbers = [-1] * block
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def output():
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_numbers[state["index"]]] = f"{value}:{counts[value]}"
        line_numbers[state["index"]] = -1

    def update(current):
        begin = window[state["index"]]
        window[state["index"]] = current
        state["hash"] = (mod * state["hash"] + current - first_mod * begin) & MASK
        state["index"] = (state["index"] + 1) % block

    def process(current):
        if current in (0x20, 0x09) or (state["prev_cr"] and current == 0x0A):
            state["prev_cr"] = False
            return
        if current == 0x0D:
            current, state["prev_cr"] = 0x0A, True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == 0x0A:
            state["line_start"] = True
        update(current)

    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        process(int.from_bytes(data[i:i + 2], "little"))
    process(0xFFFF)
    for _ in range(block):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


SAMPLES = {
    "simple": "const a = 1;\nconst b = 2;\n",
    "duplicates": "x();\n\ty();\nx();\n  x();\nx();",
    "crlf_and_cr": "a\r\nb\rc\r\n\r\nd \r \n e",
    "blank_lines": "\n\n\nfoo\n\n",
    "long_line": "let s = '" + "abc " * 80 + "';\nnext();\n",
    "unicode": "const ü = '日本語 🎉';\n// 😀 emoji\nend();\n",
    "no_trailing_newline": "only one line",
    "manifest": "permissions:\n  scopes:\n    - read:jira-work\n    - read:jira-work\n",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_closed_form_matches_rolling_reference(name: str) -> None:
    text = SAMPLES[name]
    expected = reference_hashes(text)
    hasher = LineHasher(text)
    assert expected, "reference produced no hashes"
    for line, value in expected.items():
        assert hasher.line_hash(line) == value, (name, line)


def test_identical_windows_are_numbered_in_order() -> None:
    text = "x();\n" * 60  # lines 1..40 all see the same 100 units ahead
    hasher = LineHasher(text)
    first, second = hasher.line_hash(1), hasher.line_hash(2)
    assert first.split(":")[0] == second.split(":")[0]
    assert (first.split(":")[1], second.split(":")[1]) == ("1", "2")
    assert reference_hashes(text)[2] == second


def test_a_file_asked_for_many_lines_numbers_them_as_the_reference() -> None:
    # past INDEX_AFTER lines asked, the repeats are counted from an index of every line's window
    text = "".join(f"    - read:jira-work-{i % 7}\n" + "x();\n" * (i % 3) for i in range(3 * INDEX_AFTER))
    expected = reference_hashes(text)
    hasher = LineHasher(text)
    assert len(expected) > 2 * INDEX_AFTER
    assert {line: hasher.line_hash(line) for line in expected} == expected
    assert hasher._by_window is not None, "the index was used"


def test_line_outside_the_file_has_no_hash() -> None:
    assert LineHasher("a\nb").line_hash(5) is None

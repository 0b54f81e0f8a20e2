"""GitHub's ``primaryLocationLineHash``, computed as upload-sarif computes it.

upload-sarif hashes each line with a rolling hash over the next 100
characters of the file (spaces and tabs dropped, CR/CRLF read as LF, then an
end-of-file mark 0xFFFF and zero padding), base 37, modulo 2**64, and appends
``:N`` where N counts the earlier lines with the same hash. Characters are
UTF-16 code units, as in JavaScript.

Rolling that hash over a 5 MB bundle in Python would take seconds, so we use
its closed form: the hash of the line starting at normalized offset k is
sum(s[k+j] * 37**(99-j)) mod 2**64. Equal hashes mean equal 100-unit windows,
so the ``:N`` count is found by comparing windows, with str.find doing the
scanning in C.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from auditor.model import Location

BLOCK = 100
INDEX_AFTER = 32  # lines asked of one file before all its windows are indexed
MASK = (1 << 64) - 1
_POWERS = [pow(37, BLOCK - 1 - j, 1 << 64) for j in range(BLOCK)]
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _utf16_units(text: str) -> str:
    """Split astral characters into surrogate pairs, so indexing counts UTF-16 units."""
    def pair(match: re.Match) -> str:
        code = ord(match.group()) - 0x10000
        return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))

    return _ASTRAL.sub(pair, text)


class LineHasher:
    """Line hashes of one file's text; computes only the lines asked for."""

    def __init__(self, text: str):
        text = _utf16_units(text).replace("\r\n", "\n")
        text = text.replace(" ", "").replace("\t", "").replace("\r", "\n")
        self.stream = text + "\uffff" + "\0" * BLOCK
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._start_set: set[int] | None = None
        self._asked = 0
        self._by_window: dict[str, list[int]] | None = None  # window -> the line starts that see it

    def line_hash(self, line: int) -> str | None:
        """``"<hex>:<n>"`` for 1-based ``line``, or None past the end of the file."""
        if not 1 <= line <= len(self.starts):
            return None
        start = self.starts[line - 1]
        window = self.stream[start:start + BLOCK]
        value = sum(ord(c) * p for c, p in zip(window, _POWERS)) & MASK
        return f"{value:x}:{self._occurrence(window, start)}"

    def _occurrence(self, window: str, start: int) -> int:
        """1 + the earlier lines seeing the same window: searched for in the text before the line, until
        the file has had INDEX_AFTER lines asked; then every line's window is indexed once (searching
        per line made a file with thousands of findings quadratic)."""
        self._asked += 1
        if self._asked > INDEX_AFTER:
            if self._by_window is None:
                self._by_window = {}
                for line_start in self.starts:
                    self._by_window.setdefault(self.stream[line_start:line_start + BLOCK], []).append(line_start)
            return bisect.bisect_left(self._by_window[window], start) + 1
        if self._start_set is None:
            self._start_set = set(self.starts)
        count, pos = 1, self.stream.find(window, 0, start + len(window) - 1)
        while pos != -1 and pos < start:
            if pos in self._start_set:
                count += 1
            pos = self.stream.find(window, pos + 1, start + len(window) - 1)
        return count


class Fingerprints:
    """``primaryLocationLineHash`` of locations in the bytes a scan analysed (ScanResult.contents)."""

    def __init__(self, contents: dict[Path, bytes]):
        self._contents = contents
        self._hashers: dict[Path, LineHasher | None] = {}

    def line_hash(self, loc: Location) -> str | None:
        if loc.region is None:
            return None
        if loc.path not in self._hashers:
            data = self._contents.get(loc.path)
            self._hashers[loc.path] = LineHasher(data.decode("utf-8", "replace")) if data is not None else None
        hasher = self._hashers[loc.path]
        return hasher.line_hash(loc.region.start_line) if hasher else None

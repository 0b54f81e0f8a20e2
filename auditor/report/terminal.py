"""Text from a scanned repository, made safe to print on a terminal.

Control and format characters are shown as escapes, so an escape sequence or a newline in a hostile file
name, source line or config value cannot retitle the terminal, move the cursor, hide text behind bidi
overrides or fake output lines.
"""

from __future__ import annotations

import unicodedata

_ESCAPED = {"Cc", "Cf", "Zl", "Zp"}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control (Cc) and format (Cf) character, and line/paragraph separators, as a
    visible escape (ESC -> the four characters \\x1b)."""
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(_escape(char) if unicodedata.category(char) in _ESCAPED else char for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

"""Text from outside (names, server messages, file contents) made safe to show on a terminal."""

from __future__ import annotations

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x1B: "\\x1b"})
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text with control characters shown as escapes (like git's quoted paths): a name holding a
    newline or an escape sequence can never forge a report line or drive the terminal."""
    if text.isprintable():
        return text
    table = dict(_CONTROL)
    if keep_newlines:
        del table[0x0A]
    return text.translate(table)

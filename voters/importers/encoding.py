"""What encoding a text file from outside is in, read as a stream (register files, members exports).

UTF-8 (with or without a BOM) and Windows-1252 are what councils and the party export (DOMAIN.md);
Excel's "Unicode text" is UTF-16 with a BOM. Anything else (Shift-JIS, say) decoded as Windows-1252
would import silently as mojibake, so a file that is not UTF-8 and does not read like Windows-1252 is
refused, naming the first line that gives it away. Binary files (a workbook renamed .csv, a PDF) are
refused with what they look like.
"""

from __future__ import annotations

import codecs
import re

# What a file that is not text starts with, and what to call it.
MAGIC = {
    b"PK\x03\x04": "a spreadsheet (XLSX) or zip file",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip file",
}
# Windows-1252 bytes beyond ASCII that names and addresses hold: letters, and these. Any other byte
# (symbols, the five bytes Windows-1252 leaves undefined) is what another encoding looks like.
_USUAL_PUNCTUATION = "’‘“”–—€£\xa0½¼¾°·´`"
_USUAL_CP1252 = frozenset(
    byte
    for byte in range(0x80, 0x100)
    if (char := bytes([byte]).decode("cp1252", errors="replace")) != "\ufffd"
    and (char.isalpha() or char in _USUAL_PUNCTUATION)
)


class NotText(ValueError):
    """The file is not text in an encoding we read; the message says what it looks like instead."""


def sniff(first: bytes) -> str | None:
    """The encoding a file's first bytes declare ('utf-8-sig', 'utf-16'), or None (scan the file to
    tell UTF-8 from Windows-1252). Raises NotText for binary files."""
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for magic, what in MAGIC.items():
        if first.startswith(magic):
            raise NotText(
                f"This is not a CSV or tab-separated text file: it looks like {what}. "
                "Save it as CSV (UTF-8) and upload that."
            )
    head = first[:8192]
    if b"\x00" in head:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        if head[1::2].count(0) > 0.9 * len(head[1::2]):
            return "utf-16-le"
        if head[0::2].count(0) > 0.9 * len(head[0::2]):
            return "utf-16-be"
        raise NotText(
            "This is not a CSV or tab-separated text file (it holds binary data, such as NUL bytes, "
            "in its first lines). Save it as CSV (UTF-8) and upload that."
        )
    return None


class EncodingScan:
    """Feed a file's bytes in order; `encoding()` then says 'utf-8' or 'cp1252', or raises NotText."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.utf8 = True
        self.lines = 1
        self.high = 0  # bytes beyond ASCII
        self.unusual = 0  # of those, bytes that are not letters or usual punctuation in Windows-1252
        self.first_unusual_line: int | None = None

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.utf8:
            try:
                self._decoder.decode(chunk, final)
            except UnicodeDecodeError:
                self.utf8 = False
        # Counted whatever the encoding turns out to be (C-speed: no loop over the bytes).
        self.high += len(chunk) - len(chunk.translate(None, _HIGH))
        unusual = len(chunk) - len(chunk.translate(None, _UNUSUAL))
        if unusual and self.first_unusual_line is None:
            offset = _UNUSUAL_RE.search(chunk).start()  # type: ignore[union-attr]  # `unusual` counted one
            self.first_unusual_line = self.lines + chunk.count(b"\n", 0, offset)
        self.unusual += unusual
        self.lines += chunk.count(b"\n")

    def encoding(self) -> str:
        if self.utf8:
            return "utf-8"
        # Another encoding read as Windows-1252 is full of symbols (Shift-JIS: about half of the
        # bytes beyond ASCII); real Windows-1252 names and addresses hold letters.
        if self.unusual >= 3 and self.unusual * 5 >= self.high:
            raise NotText(
                "The file is neither UTF-8 nor Windows-1252: it reads as symbols from line "
                f"{self.first_unusual_line} (another encoding, such as Shift-JIS?). "
                "Save it as CSV (UTF-8) and upload that."
            )
        return "cp1252"


_HIGH = bytes(range(0x80, 0x100))
_UNUSUAL = bytes(b for b in range(0x80, 0x100) if b not in _USUAL_CP1252)
_UNUSUAL_RE = re.compile(b"[" + re.escape(_UNUSUAL) + b"]")

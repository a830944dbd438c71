"""An Excel workbook (.xlsx) written row by row in constant memory.

An .xlsx file is a zip of small XML parts. This writes the fewest Excel needs — the content types, the
package's relationships, the workbook, its styles (the header's bold font) and its sheets — each row's XML
from one template per kind of cell, filled in by an f-string. XlsxWriter, which wrote the exports until
issue 22, spent about 60 µs on a row of twenty cells, most of it Python's (checks and bookkeeping no export
needs, one call per cell); this spends about 12, half of it in zlib's deflate.

What a cell holds:

- an int or a float is a number (a float that is not finite is written as its text);
- a str is an inline string, the text as it is: never a formula, never a number, however it looks (exports
  neutralise formula look-alikes before they get here). XML's special characters are escaped, and the
  characters XML 1.0 cannot hold (controls, U+FFFE, U+FFFF) are written as Excel's `_xHHHH_` (a literal
  `_xHHHH_` then gets its underscore escaped, `_x005F_`), as Excel and XlsxWriter do; text longer than a
  cell's 32 767 UTF-16 units is cut there, between two characters; a lone surrogate, which UTF-8 cannot
  hold, becomes U+FFFD;
- "" and None are no cell at all: blank, as a CSV's empty field is when a spreadsheet opens it;
- anything else is its str().

A sheet holds at most 1 048 576 rows, header included: the rows that follow go on a new sheet (the
second named "Responses (2)"), which starts with the header again. So does a sheet whose XML would pass
2 GiB, the most Python's zip writer puts in an entry without the ZIP64 extension, which older readers
refuse (XlsxWriter failed there).

The rows' XML goes to a temporary file as it comes (as XlsxWriter's constant-memory mode did), and the
package is written when the workbook is closed, in the order Excel writes it: the content types, which
name every sheet, first, the package's relationships second and a part under `xl/` third, which is how
file-type sniffers (libmagic's `file`, upload checks) tell a workbook from any zip. Each sheet then starts
with its true `<dimension>`.
"""
from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, BinaryIO

MAX_ROWS = 1_048_576  # rows of a sheet, header included
MAX_COLUMNS = 16_384  # columns of a sheet: cells further right are not written (as XlsxWriter did)
MAX_TEXT = 32_767  # UTF-16 units of a cell's text
# A sheet's XML at most: under what Python's zip writer puts in an entry without ZIP64 (2 GiB), with room
# for deflate's overhead on text it cannot shrink.
SHEET_BYTES = zipfile.ZIP64_LIMIT - 2**27
# Rows' XML held in memory before it goes to the temporary file (characters), and read back from it at a
# time (bytes), the tick called after each: more of either showed in the process's peak memory (16 MiB
# read at a time: 30 MB more), less saved none.
FLUSH_CHARS = 1 << 18
COPY_BYTES = 1 << 20
COMPRESSION = 6  # zlib's level (its default)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

ROOT_RELATIONSHIPS = (
    f'{DECLARATION}<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
    f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
# Two fonts (the second bold, for the header) and the two fills every workbook must have.
STYLES = (
    f'{DECLARATION}<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
SHEET_END = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
             'footer="0.3"/></worksheet>')

# Text that needs more than the cell template: XML's special characters, characters XML 1.0 cannot hold
# (lone surrogates included, which UTF-8 cannot encode), an escape look-alike, leading or trailing space.
SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\s|\s$")
ESCAPE_LIKE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
NOT_XML = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def column_letters(index: int) -> str:
    """A 0-based column's letters: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cut(text: str) -> str:
    """The text within a cell's MAX_TEXT UTF-16 units, never cut inside a surrogate pair."""
    if len(text) <= MAX_TEXT // 2:
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) <= 2 * MAX_TEXT:
        return text
    return encoded[: 2 * MAX_TEXT].decode("utf-16-le", "ignore")  # "ignore" drops a half pair at the end


def text_content(text: str) -> tuple[str, str]:
    """A text as a `<t>` element's content, and its attribute (keep the spaces at its ends, or none)."""
    text = _cut(text)
    if SPECIAL.search(text) is None:
        return text, ""
    text = ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = NOT_XML.sub(lambda match: f"_x{ord(match[0]):04X}_", text)
    text = SURROGATE.sub("\ufffd", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), space


def _attribute(text: str) -> str:
    return text_content(text)[0].replace('"', "&quot;")


def _text_cell(reference: str, text: str, style: str = "") -> str:
    content, space = text_content(text)
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{content}</t></is></c>'


def _other_cell(reference: str, value: object) -> str:
    """A cell for a value that is neither an int nor a str (rare: JSON attributes)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        return f'<c r="{reference}"><v>{value:.16G}</v></c>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<c r="{reference}"><v>{int(value)}</v></c>'
    return _text_cell(reference, str(value)) if str(value) else ""


def row_xml(number: int, row: Iterable[object], letters: Sequence[str]) -> str:
    """A `<row>` of cells from values (see the module's doc); cells past the letters' columns are dropped."""
    n = str(number)
    cells: list[str] = []
    append = cells.append
    for column, value in zip(letters, row, strict=False):  # (ending at the last column)
        if type(value) is int:
            append(f'<c r="{column}{n}"><v>{value}</v></c>')
        elif type(value) is str:
            if not value:
                continue
            if len(value) <= MAX_TEXT // 2 and SPECIAL.search(value) is None:  # the usual case
                append(f'<c r="{column}{n}" t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                append(_text_cell(column + n, value))
        else:
            append(_other_cell(column + n, value))
    return f'<row r="{n}">{"".join(cells)}</row>'


def column_xml(widths: Sequence[int]) -> str:
    """`<cols>` for widths in characters, as Excel stores them (with its padding of 5 pixels over digits
    7 pixels wide), neighbours of equal width in one element."""
    if not widths:
        return ""
    runs: list[list[int]] = []  # [first, last, width], 1-based
    for column, width in enumerate(widths, start=1):
        if runs and runs[-1][2] == width:
            runs[-1][1] = column
        else:
            runs.append([column, column, width])
    cols = "".join(f'<col min="{first}" max="{last}" width="{(width * 7 + 5) * 256 // 7 / 256:.16g}" customWidth="1"/>'
                   for first, last, width in runs)
    return f"<cols>{cols}</cols>"


class Workbook:
    """A workbook of one table, written as its rows are appended: the first sheet is named `name`, its
    header row bold and frozen, `widths` the columns' widths in characters. Close it (or leave its `with`
    block) to write the file to `out`, a binary stream (seekable or not); `tick` is called now and then
    while that lasts. An error inside the `with` block writes nothing."""

    def __init__(self, out: BinaryIO, name: str, header: Sequence[str], widths: Sequence[int] = (),
                 *, compression: int = COMPRESSION, tick: Callable[[], object] = lambda: None):
        self.out, self.name, self.compression, self.tick = out, name, compression, tick
        self.letters = [column_letters(i) for i in range(min(len(header), MAX_COLUMNS))]
        cells = (_text_cell(f"{letter}1", str(text), ' s="1"')
                 for letter, text in zip(self.letters, header, strict=False))
        self.header = f'<row r="1">{"".join(cells)}</row>'
        self.columns = column_xml(list(widths)[:MAX_COLUMNS])
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or __exit__): the rows' XML
        self.sheets: list[_Sheet] = []
        self._open_sheet()

    def _open_sheet(self) -> None:
        number = len(self.sheets) + 1
        self.sheet = _Sheet(self.name if number == 1 else f"{self.name} ({number})", self.spool.tell())
        self.sheets.append(self.sheet)
        self.pending: list[str] = []
        self.pending_chars = 0

    def append(self, row: Iterable[object]) -> None:
        """The next row of cells (see the module's doc for what becomes of each value)."""
        if self.sheet.rows == MAX_ROWS:
            self._next_sheet()
        xml = row_xml(self.sheet.rows + 1, row, self.letters)
        if self._too_large(self.pending_chars + len(xml)):
            self._flush()
            if self._too_large(len(xml)):
                self._next_sheet()
                xml = row_xml(self.sheet.rows + 1, row, self.letters)
        self.sheet.rows += 1
        self.pending.append(xml)
        self.pending_chars += len(xml)
        if self.pending_chars >= FLUSH_CHARS:
            self._flush()

    def _too_large(self, chars: int) -> bool:
        """Whether the sheet could pass SHEET_BYTES with that many more characters (4 bytes each at most)."""
        return self.sheet.size + 4 * chars > SHEET_BYTES and self.sheet.rows > 1

    def _flush(self) -> None:
        data = "".join(self.pending).encode()
        self.spool.write(data)
        self.sheet.size += len(data)
        self.pending, self.pending_chars = [], 0

    def _next_sheet(self) -> None:
        self._flush()
        self._open_sheet()

    def close(self) -> None:
        """Write the workbook to `out`."""
        try:
            self._flush()
            self._write_package()
        finally:
            self.spool.close()

    def _write_package(self) -> None:
        with zipfile.ZipFile(self.out, "w", zipfile.ZIP_DEFLATED, compresslevel=self.compression) as package:
            package.writestr("[Content_Types].xml", _content_types(len(self.sheets)))
            package.writestr("_rels/.rels", ROOT_RELATIONSHIPS)
            package.writestr("xl/workbook.xml", _workbook([sheet.name for sheet in self.sheets]))
            package.writestr("xl/_rels/workbook.xml.rels", _workbook_relationships(len(self.sheets)))
            package.writestr("xl/styles.xml", STYLES)
            for number, sheet in enumerate(self.sheets, start=1):
                with package.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                    part.write(self._sheet_start(sheet, first=number == 1).encode())
                    self._copy_rows(sheet, part)
                    part.write(SHEET_END.encode())

    def _sheet_start(self, sheet: _Sheet, *, first: bool) -> str:
        selected = ' tabSelected="1"' if first else ""
        return (f'{DECLARATION}<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
                f'<dimension ref="A1:{self.letters[-1] if self.letters else "A"}{sheet.rows}"/>'
                f'<sheetViews><sheetView{selected} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/>{self.columns}<sheetData>{self.header}')

    def _copy_rows(self, sheet: _Sheet, part: IO[bytes]) -> None:
        self.spool.seek(sheet.start)
        left = sheet.size
        while left:
            chunk = self.spool.read(min(left, COPY_BYTES))
            part.write(chunk)
            left -= len(chunk)
            self.tick()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.spool.close()


@dataclass
class _Sheet:
    name: str
    start: int  # where its rows' XML starts in the spool
    size: int = 0  # bytes of its rows' XML so far (the header's excepted)
    rows: int = 1  # the header's included


def _content_types(sheets: int) -> str:
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
                        for n in range(1, sheets + 1))
    return (f'{DECLARATION}<Types xmlns="{PACKAGE}/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}'
            "</Types>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{_attribute(name)}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, name in enumerate(names, start=1))
    return (f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><bookViews><workbookView/>'
            f"</bookViews><sheets>{sheets}</sheets></workbook>")


def _workbook_relationships(sheets: int) -> str:
    relationships = "".join(f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
                            f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, sheets + 1))
    return (f'{DECLARATION}<Relationships xmlns="{PACKAGE}/relationships">{relationships}'
            f'<Relationship Id="rId{sheets + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
            "</Relationships>")

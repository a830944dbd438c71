"""The workbook writer: every kind of value becomes the cell a spreadsheet expects, text is escaped exactly
as Excel (and XlsxWriter) write it, and the file is a well-formed package whatever it is written to."""
from __future__ import annotations

import enum
import io
import math
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest

from survey.transfer import workbook
from tests.survey.transfer.test_exports import HOSTILE_TEXTS, _unescape_ooxml


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 3


def written(header, rows, **options) -> bytes:
    out = io.BytesIO()
    with workbook.Workbook(out, options.pop("name", "Sheet"), header, **options) as book:
        for row in rows:
            book.append(row)
    return out.getvalue()


def read(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [[_unescape_ooxml(value) for value in row] for row in sheet.iter_rows(values_only=True)]


VALUES = [  # (value, what a spreadsheet reads)
    (0, 0), (-7, -7), (2**53 + 1, 2**53 + 1), (Size.LARGE, 3), (2.5, 2.5), (-1e-7, -1e-7), (1e300, 1e300),
    (math.nan, "nan"), (-math.inf, "-inf"),  # no number Excel can hold: their text, as the CSV writes them
    (True, "True"), (None, None), ("", None), (Colour.RED, "red"), (["a", "b"], "['a', 'b']"),
    (Decimal("1.50"), "1.50"), ("007", "007"), ("1e3", "1e3"), ("=1+1", "=1+1"),
    ("lone \udc80 surrogate", "lone \ufffd surrogate"),  # UTF-8 cannot hold it: the replacement character
]


def test_every_kind_of_value_becomes_the_cell_a_spreadsheet_expects():
    data = written(["value", "next"], [[value, "after"] for value, _expected in VALUES])
    rows = read(data)
    assert rows[0] == ["value", "next"]
    for (value, expected), got in zip(VALUES, rows[1:], strict=True):
        assert got == [expected, "after"] and type(got[0]) is type(expected), value


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_text_is_escaped_as_excel_and_xlsxwriter_write_it(text):
    import xlsxwriter

    theirs = io.BytesIO()
    book = xlsxwriter.Workbook(theirs, {"constant_memory": True, "strings_to_formulas": False})
    book.add_worksheet().write_string(1, 0, text)
    book.close()
    ours = written(["h"], [[text]])
    cells = []
    for data in (theirs, io.BytesIO(ours)):
        with zipfile.ZipFile(data) as parts:
            sheet = parts.read("xl/worksheets/sheet1.xml").decode()
        cells.append(re.search(r'<c r="A2"[^>]*>(.*?)</c>', sheet, re.DOTALL)[1])
    assert cells[1] == cells[0]


def test_the_package_is_well_formed_and_sniffed_as_a_workbook(tmp_path):
    data = written(['a&b<c>"', "b"], [[1], [2, "x"]], name='Q&A "1"', widths=[10, 10])
    with zipfile.ZipFile(io.BytesIO(data)) as parts:
        names = parts.namelist()
        # libmagic's test for Office files: the content types or the package's relationships first, then
        # (the second part skipped) a part under xl/ third
        assert names == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                         "xl/styles.xml", "xl/worksheets/sheet1.xml"]
        for name in names:
            ElementTree.fromstring(parts.read(name))  # well-formed
            assert parts.getinfo(name).compress_type == zipfile.ZIP_DEFLATED
        sheet = parts.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:B3"/>' in sheet
    assert '<col min="1" max="2" width="10.7109375" customWidth="1"/>' in sheet  # as Excel stores 10 characters
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ['Q&A "1"'] and book.worksheets[0]["A1"].value == 'a&b<c>"'
    if shutil.which("file"):  # the sniffer itself, where it is installed
        (tmp_path / "export").write_bytes(data)
        sniffed = subprocess.run(["file", "-b", str(tmp_path / "export")], capture_output=True, text=True)
        assert sniffed.stdout.strip() == "Microsoft Excel 2007+"


def test_columns_past_the_sheets_last_are_not_written(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_COLUMNS", 3)
    assert read(written(["a", "b", "c", "d"], [[1, 2, 3, 4]], widths=[8, 8, 9, 9])) == [["a", "b", "c"], [1, 2, 3]]


def test_a_stream_that_cannot_seek_gets_the_same_workbook():
    class Pipe(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, chunk):
            self.data += chunk
            return len(chunk)

    pipe = Pipe()
    rows = [[n, f"row {n}"] for n in range(3000)]
    with workbook.Workbook(pipe, "Sheet", ["n", "text"]) as book:
        for row in rows:
            book.append(row)
    assert read(bytes(pipe.data)) == [["n", "text"], *rows]


def test_a_failed_export_writes_nothing():
    out = io.BytesIO()
    with pytest.raises(KeyError), workbook.Workbook(out, "Sheet", ["n"]) as book:
        book.append([1])
        raise KeyError("the database went away")
    assert out.getvalue() == b""  # nothing written, and the temporary file is gone
    assert book.spool.closed

"""Results out: the numbers of the results page as flat rows for spreadsheets and BI tools (CSV, JSON
lines, XLSX), from the same `dashboard.build` the page and the API use.

One row per figure, its kind saying what it is:

- `trend`: a question's metric in one period (overall, or the filter's segment),
- `segment`: the metric in one segment value (`location=Leeds`) in the compared period (the range's last,
  as the page's segment comparison), and in the period before it,
- `distribution`: how many gave each answer over the range (`answer`, count in `value`),
- `change`: the latest period against the one before (difference with its interval, p- and q-value).

`question` is the question's key on every row, so rows join by it (blank on the change rows of the
response count and the response rate, which are about no question; `metric` says which).

The rows are few (questions × periods × segment values), so they are built in memory; cells go through
the same formula neutralisation as response exports.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, TextIO, cast

from survey.results.dashboard import Dashboard
from survey.transfer.exports import BOM, ColumnWidths, CsvWriter, neutralise, write_xlsx_row

HEADER = ["kind", "question", "metric", "period", "segment", "answer", "value", "ci_low", "ci_high", "n",
          "p_value", "q_value"]
FORMATS = ("csv", "jsonl", "xlsx")


def result_records(board: Dashboard) -> Iterator[dict]:
    span = f"{board.first_day.isoformat()}/{board.last_day.isoformat()}"
    chosen = "=".join(board.filter.segment) if board.filter.segment else ""
    blank = dict.fromkeys(HEADER, None)
    for card in board.cards:
        if card.difference is not None:
            yield blank | {"kind": "change", "question": card.key, "metric": card.metric,
                           "period": f"{board.previous_label}/{board.current_label}", "segment": chosen,
                           "value": card.difference, "ci_low": card.low, "ci_high": card.high, "n": card.current.n,
                           "p_value": card.p_value, "q_value": card.q_value}
    for results in board.questions:
        key = results.question.key
        for point in results.trend:
            yield blank | {"kind": "trend", "question": key, "metric": results.metric, "period": point.label,
                           "segment": chosen, "value": point.value, "ci_low": point.low, "ci_high": point.high,
                           "n": point.n}
        for name, rows in results.segments.items():
            for row in rows:
                segment = f"{name}={row.label}"
                if board.previous_label:
                    yield blank | {"kind": "segment", "question": key, "metric": results.metric,
                                   "period": board.previous_label, "segment": segment, "value": row.previous.value,
                                   "ci_low": row.previous.low, "ci_high": row.previous.high, "n": row.previous.n}
                yield blank | {"kind": "segment", "question": key, "metric": results.metric,
                               "period": board.current_label, "segment": segment, "value": row.value,
                               "ci_low": row.low, "ci_high": row.high, "n": row.n}
        for bar in results.distribution:
            yield blank | {"kind": "distribution", "question": key, "metric": "count", "period": span,
                           "segment": chosen, "answer": bar.label, "value": bar.count, "n": results.answered}


def _cells(record: dict) -> list:
    return [neutralise("" if record[name] is None else record[name]) for name in HEADER]


def write_results(board: Dashboard, out: TextIO | BinaryIO, fmt: str, *, bom: bool = False) -> int:
    """Write every result row in `fmt` (csv and jsonl to a text stream, xlsx to a binary one); a CSV starts
    with a BOM when `bom`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if bom and fmt != "csv":
        raise ValueError("only a CSV file starts with a byte-order mark")
    records = list(result_records(board))
    # `fmt` says which kind of stream `out` is, as the docstring asks of the caller.
    if fmt == "jsonl":
        _write_jsonl(records, cast(TextIO, out))
    elif fmt == "csv":
        _write_csv(records, cast(TextIO, out), bom=bom)
    else:
        _write_xlsx(records, cast(BinaryIO, out))
    return len(records)


def _write_jsonl(records: list[dict], out: TextIO) -> None:
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_csv(records: list[dict], out: TextIO, *, bom: bool) -> None:
    if bom:
        out.write(BOM)
    writer = CsvWriter(out)
    writer.writerow(HEADER)
    for record in records:
        writer.writerow(_cells(record))


def _write_xlsx(records: list[dict], out: BinaryIO) -> None:
    import xlsxwriter  # imported here: 50 ms of every process's start otherwise

    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Results")
    widths = ColumnWidths(HEADER)
    sheet.freeze_panes(1, 0)
    write_xlsx_row(sheet, 0, HEADER, workbook.add_format({"bold": True}))
    for number, record in enumerate(records, start=1):
        cells = _cells(record)
        write_xlsx_row(sheet, number, cells)
        widths.measure(cells)
    widths.apply(sheet)
    workbook.close()

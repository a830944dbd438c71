"""Every cell of every export (responses and results, CSV and Excel) is safe to open in a spreadsheet:
text that a spreadsheet would run as a formula starts with a quote, and the workbooks hold no formula."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

from survey import browsing, contacts
from survey.exports import FORMULA_PREFIXES
from survey.extensions import db
from survey.models import Response, User
from tests.factories import NOW, make_definition, make_invitation, make_survey, make_user
from tests.pages import log_in, post_form
from tests.security.conftest import record_figures
from tests.security.payloads import FORMULA, PAYLOADS

# Every payload a spreadsheet could take for a formula: the formula family and any other starting like one.
HOSTILE = [*FORMULA, *(p for p in PAYLOADS if p not in FORMULA and p.text.startswith(FORMULA_PREFIXES)
                       and "\x00" not in p.text and len(p.text) < 200)]
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def unsafe(cell: str) -> bool:
    """A cell a spreadsheet would evaluate: starts like a formula and is not simply a number."""
    return cell.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(cell)


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for cell in row]


def xlsx_cells(data: bytes) -> tuple[list[str], int]:
    """Every text cell of the workbook, and how many formula cells it has."""
    texts, formulas = [], 0
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in item.iter(MAIN + "t")) for item in root.iter(MAIN + "si")]
        for name in book.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = ElementTree.fromstring(book.read(name))
                for cell in root.iter(MAIN + "c"):
                    formulas += len(list(cell.iter(MAIN + "f")))
                    if cell.get("t") == "s":
                        texts.append(shared[int(cell.find(MAIN + "v").text)])
                    elif cell.get("t") == "inlineStr":
                        texts.append("".join(t.text or "" for t in cell.iter(MAIN + "t")))
    return texts, formulas


def test_every_export_cell_is_neutralised(app):
    # The results export shows answer labels: the choice question's options are hostile too.
    options = list(dict.fromkeys(p.text.strip() for p in FORMULA if p.text.strip() and "\n" not in p.text))
    definition = make_definition()
    definition["questions"][2]["options"] = options
    with app.app_context():
        survey = make_survey(definition=definition)
        make_user(email="analyst@example.com", role="analyst")
        data = io.StringIO()
        writer = csv.writer(data)
        writer.writerow(["email", "location", "team"])
        for i, payload in enumerate(HOSTILE):
            writer.writerow([f"hostile{i}@example.com", payload.text, payload.text])
        assert contacts.import_contacts(io.BytesIO(data.getvalue().encode()), now=NOW).ok
        tokens = [make_invitation(survey, email=f"hostile{i}@example.com").token for i in range(len(HOSTILE))]
    customer = app.test_client()
    for i, (payload, token) in enumerate(zip(HOSTILE, tokens, strict=True)):
        answers = {"q-satisfaction": "4", "q-comment": payload.text, "q-channel": options[i % len(options)]}
        response = post_form(customer, f"/r/{token}", answers)
        assert response.status_code == 303, payload.name
    with app.app_context():
        analyst = db.session.query(User).filter_by(email="analyst@example.com").one()
        for response, payload in zip(db.session.query(Response).order_by(Response.id), HOSTILE, strict=True):
            # (a theme may not hold ";", which separates themes in CSV files)
            browsing.tag_response(response, payload.text[:60].replace(";", ","), actor=analyst, now=NOW)

    client = app.test_client()
    log_in(client, "analyst@example.com")
    window = "from=2020-01-01&to=2035-12-31"
    figures, problems = {}, []
    for name in ("responses.csv", "responses.xlsx", "results.csv", "results.xlsx"):
        export = client.get(f"/manage/surveys/support-csat/{name}?{window}")
        assert export.status_code == 200, name
        if name.endswith(".csv"):
            cells, formulas = csv_cells(export.data), 0
        else:
            cells, formulas = xlsx_cells(export.data)
        problems += [f"{name}: {cell[:40]!r}" for cell in cells if unsafe(cell)]
        problems += [f"{name}: {formulas} formula cells"] if formulas else []
        neutralised = sum(1 for cell in cells if cell[:1] == "'" and cell[1:].startswith(FORMULA_PREFIXES))
        figures[name] = {"cells": len(cells), "neutralised": neutralised, "formulas": formulas,
                         "unsafe": sum(1 for cell in cells if unsafe(cell))}
    record_figures("export_cells", {"hostile_values": len(HOSTILE), "exports": figures})
    assert problems == []
    # Each hostile value was stored in a comment, two attributes and a tag: all of them come out quoted.
    assert figures["responses.csv"]["neutralised"] >= 4 * len(FORMULA)
    assert figures["responses.xlsx"]["neutralised"] == figures["responses.csv"]["neutralised"]
    formula_like = sum(option.startswith(FORMULA_PREFIXES) for option in options)
    assert figures["results.csv"]["neutralised"] >= formula_like
    assert figures["results.xlsx"]["neutralised"] == formula_like

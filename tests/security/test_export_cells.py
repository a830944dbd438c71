"""Every cell of every export (responses and results, CSV and Excel) is safe to open in a spreadsheet:
text that a spreadsheet would run as a formula starts with a quote, also after each ";" (where Excel with
";" as its list separator splits a cell), and the workbooks hold no formula."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

from survey.authoring.editing import find_survey
from survey.extensions import db
from survey.models import Response, User
from survey.outreach import contacts
from survey.results import browsing
from survey.transfer.exports import FORMULA_PREFIXES
from tests.factories import NOW, make_definition, make_invitation, make_survey, make_user
from tests.pages import export_workbook, log_in, post_form
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


def split_unsafe(cells: list[str]) -> list[str]:
    """The cells that are unsafe whole or in a part between ";"."""
    return [cell for cell in cells for part in cell.split(";") if unsafe(part)]


def csv_cells(data: bytes) -> list[str]:
    """Every cell, as a spreadsheet reads the file (the BOM the web downloads start with is no cell's)."""
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


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
        url = f"/manage/surveys/support-csat/{name}?{window}"
        export = (export_workbook(client, url, page="/manage/surveys/support-csat/responses")
                  if name == "responses.xlsx" else client.get(url))
        assert export.status_code == 200, name
        if name.endswith(".csv"):
            cells, formulas = csv_cells(export.data), 0
        else:
            cells, formulas = xlsx_cells(export.data)
        problems += [f"{name}: {cell[:40]!r}" for cell in split_unsafe(cells)]  # whole, or split at ";"
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


# Text holding ";" before something a spreadsheet runs: Excel with ";" as its list separator (most of
# Europe) splits the cell there, and the part after it must not be a formula either.
SPLIT_TEXTS = ["ok;=1+1", "fine;+1;-2;@SUM(A1)", "tab;\t=1", "kept;'=x", "'=both;=ends", "plain; =spaced"]
SPLIT_OPTIONS = ["Billing", "=1+1", "@SUM(A1)", "-Delivery"]  # a multiple choice's options, joined by ";"
SPLIT_TAGS = ["billing", "=cmd|' /C calc'!A0", "+tag"]  # themes, joined by ";"


def test_no_part_of_a_cell_split_at_its_semicolons_is_a_formula_and_the_export_imports_back(app):
    """Comments, attributes, multiple choices and themes holding ";" then a formula character: in every
    export (responses and results, CSV and Excel) no part of any cell is a formula, and the responses
    CSV as the page sends it (BOM, CRLF) imports into another survey with every value exactly as it was."""
    from survey.responding.submission import Consents, Respondent, submit_response
    from survey.transfer import exports, response_import

    definition = make_definition()
    definition["questions"][3]["options"] = SPLIT_OPTIONS
    with app.app_context():
        survey = make_survey(definition=definition)
        make_survey(definition={**definition, "slug": "copy"})  # where the export is imported
        analyst = make_user(email="analyst@example.com", role="analyst")
        for i, text in enumerate(SPLIT_TEXTS):
            submit_response(survey.current_version,
                            Respondent(key=f"split-{i}", source="public", attributes={"location": text}),
                            {"satisfaction": 4, "comment": text, "topics": SPLIT_OPTIONS[: i % 4 + 1]},
                            Consents(quote=False, contact=False), submission_key=f"split-submission-{i:04}",
                            now=NOW)
        for response in db.session.query(Response).filter_by(survey_id=survey.id):
            for tag in SPLIT_TAGS:
                browsing.tag_response(response, tag, actor=analyst, now=NOW)

    client = app.test_client()
    log_in(client, "analyst@example.com")
    window = "from=2020-01-01&to=2035-12-31"
    for name in ("responses.csv", "responses.xlsx", "results.csv", "results.xlsx"):
        url = f"/manage/surveys/support-csat/{name}?{window}"
        export = (export_workbook(client, url, page="/manage/surveys/support-csat/responses")
                  if name == "responses.xlsx" else client.get(url))
        assert export.status_code == 200, name
        cells, formulas = (csv_cells(export.data), 0) if name.endswith(".csv") else xlsx_cells(export.data)
        assert split_unsafe(cells) == [] and formulas == 0, name
        if name == "responses.csv":
            split = [cell for cell in cells if ";'" in cell]
            assert len(split) >= 3 * len(SPLIT_TEXTS), split  # comment, location and tags on every row

    data = client.get(f"/manage/surveys/support-csat/responses.csv?{window}").data
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") >= len(SPLIT_TEXTS) + 1
    with app.app_context():
        outcome = response_import.import_responses(find_survey("copy"), data, now=NOW, actor="test")
        assert outcome.imported == len(SPLIT_TEXTS)

        def answers(slug: str) -> list[dict]:
            return [{key: record[key] for key in ("attributes", "answers", "tags")}
                    for record in exports.export_records(exports.Selection(find_survey(slug)))]

        assert answers("copy") == answers("support-csat")
        assert {record["answers"]["comment"] for record in answers("copy")} == set(SPLIT_TEXTS)

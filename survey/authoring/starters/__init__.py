"""Starter templates: ready-made survey definitions a manager can begin from (JSON files beside this)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from survey.authoring.definitions import SurveySpec, parse_survey

FOLDER = Path(__file__).parent
# Display order and labels; each name is a <name>.json file in this folder.
LABELS = {
    "support-csat": "Customer satisfaction after a support case",
    "nps-relationship": "NPS relationship survey",
    "account-review": "Quarterly account review",
    "complaint": "Complaint form",
    "internal-department": "Internal department survey",
}


@dataclass(frozen=True)
class Starter:
    name: str
    label: str
    spec: SurveySpec


@cache
def all_starters() -> tuple[Starter, ...]:
    return tuple(
        Starter(name, label, parse_survey(json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))))
        for name, label in LABELS.items()
    )


def starter(name: str) -> Starter:
    for candidate in all_starters():
        if candidate.name == name:
            return candidate
    raise KeyError(name)

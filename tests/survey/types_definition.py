"""A survey with every question type issue 23 added, for the tests of each layer."""
import copy

TYPES_DEFINITION = {
    "slug": "types",
    "title": "Every new type",
    "intro": "",
    "questions": [
        {"key": "overall", "type": "rating", "text": "Overall?", "scale": ["Bad", "Fair", "Good"], "required": True},
        {"key": "service", "type": "matrix", "text": "How satisfied were you with…",
         "scale": ["Very dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Very satisfied"],
         "statements": [{"key": "wait", "text": "Wait time"}, {"key": "staff", "text": "Staff"}]},
        {"key": "channel", "type": "choice", "text": "How did you contact us?", "options": ["Phone", "Email"],
         "other": True},
        {"key": "topics", "type": "multi", "text": "What was it about?", "options": ["Billing", "Delivery"],
         "other": True},
        {"key": "spend", "type": "numeric", "text": "How much did you spend?", "min": 0, "max": 10000},
        {"key": "orders", "type": "numeric", "text": "How many orders?", "min": 1, "integer": True},
        {"key": "visit", "type": "date", "text": "When did you visit?", "min": "2026-01-01", "max": "2026-12-31"},
        {"key": "priorities", "type": "ranking", "text": "What matters most?", "options": ["Price", "Speed", "Care"]},
    ],
}


def types_definition(**changes):
    definition = copy.deepcopy(TYPES_DEFINITION)
    definition.update(changes)
    return definition

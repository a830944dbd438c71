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
    ],
}


def types_definition(**changes):
    definition = copy.deepcopy(TYPES_DEFINITION)
    definition.update(changes)
    return definition

"""Piped text: a survey's texts and a campaign's email can name the contact and repeat an earlier answer.

    "You rated the {contact.location} branch {answers.rating} — what went wrong?"
    "Dear {contact.name|customer},"

A placeholder is `{contact.<field>}` (`name`, `email` or any of the contact's attributes, such as `location`)
or `{answers.<question key>}` (an earlier question's answer as the customer saw it), optionally with
`|fallback`: the words used when the value is missing or empty. Anything else in braces is text.

`fill` returns plain text: it is escaped where it is shown (Jinja's autoescape, the email's text part is
plain text), never rendered as a template, so a contact's attribute can hold anything without harm.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{(contact|answers)\.([a-z_][a-z0-9_]{0,63})(?:\|([^{}|]{0,60}))?\}")
SCOPES = ("contact", "answers")


@dataclass(frozen=True)
class Placeholder:
    scope: str  # "contact" or "answers"
    name: str  # the contact's field or attribute, or the question's key
    fallback: str  # used when the value is missing or empty


def placeholders(text: str) -> tuple[Placeholder, ...]:
    """Every placeholder in `text`, in order (for checking a definition: an answer must come from an earlier
    question)."""
    return tuple(Placeholder(m[1], m[2], (m[3] or "").strip()) for m in PLACEHOLDER.finditer(text))


def fill(text: str, *, contact: Mapping[str, str] | None = None, answers: Mapping[str, str] | None = None) -> str:
    """`text` with each placeholder replaced by its value, else its fallback, else nothing.

    >>> fill("Dear {contact.name|customer}, you chose {answers.branch}.", contact={}, answers={"branch": "Leeds"})
    'Dear customer, you chose Leeds.'
    """
    if "{" not in text:
        return text
    values = {"contact": contact or {}, "answers": answers or {}}

    def value(match: re.Match) -> str:
        found = values[match[1]].get(match[2])
        found = "" if found is None else str(found).strip()
        return found or (match[3] or "").strip()

    # Nothing around a placeholder is touched (French puts a space before "?"): a fallback is how a text
    # avoids "Dear , …".
    return PLACEHOLDER.sub(value, text)


def contact_values(contact) -> dict[str, str]:
    """The values `{contact.…}` can name: the contact's attributes, then its name and email (which win)."""
    if contact is None:
        return {}
    return {**(contact.attributes or {}), "name": contact.name or "", "email": contact.email}

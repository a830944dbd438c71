"""Data scopes: the part of the data a user or an API token sees — "the Leeds manager sees Leeds".

A scope is a set of conditions on segment attributes (the attributes results are broken down by:
HEARKEN_SEGMENT_ATTRIBUTES), AND-ed: `location = Leeds`; `team in {Billing, Returns}`; both at once. It is
stored as JSON on the user and the API token, {attribute: [values]} as a campaign's segment is; None (no
scope) is everything. A column rather than a table: a scope is a small value read with its user on every
request and replaced whole, never queried by value.

Enforcement is where data is queried, never in templates. `condition(entity, scope)` is the one function
that turns a scope into SQL on responses (their attributes as given), contacts (their attributes),
follow-up cases (their response's, or for a case without one its contact's), complaints (their contact's),
answers (their response's) and alerts (their segment: an alert is inside a scope only when it is about a
segment the scope allows, so an alert on the whole survey or on another attribute — a number computed
from outside — is hidden). While a scope is active (`active()`: set for the request by the manager guard
and the API's border, or by `applied()` for a job or an email built for a scoped person), every ORM SELECT
the session runs gets those conditions (`install`), so a page, an export, a relationship load or
`session.get` cannot return a row outside it. The rollup (`answer_counts`) has no responses to filter: a
read of it under a scope is refused (`OutsideScope`) unless its caller says it reads only cells the scope
allows (`SCOPE_CHECKED`); results count from the answers instead. Core statements sent straight to the
connection (the exports' streams) add `condition` themselves, through `filters.response_conditions`.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import and_, event, or_, select
from sqlalchemy.exc import SADeprecationWarning
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from survey.extensions import db
from survey.models import Alert, Answer, AnswerCount, Complaint, Contact, FollowUpCase, Response, User, audit

# An execution option: this read of the rollup takes only cells the active scope allows.
SCOPE_CHECKED = "scope_checked"
MAX_VALUES = 50  # values per attribute: a scope names places and teams, not customers
MAX_VALUE_LENGTH = 200  # answer_counts.segment_value


class ScopeError(ValueError):
    """A scope that cannot be stored; the message names the attribute or value and why."""


class OutsideScope(RuntimeError):
    """Code read data a scope cannot filter (the rollup) while a scope was active: a bug, refused."""


def attribute_is(column, name: str, values: Sequence[str]):
    """SQL: the JSON attributes in `column` hold `name` with one of `values`, compared as the text stored (case
    and spaces count; a missing attribute matches no value). Responses' attributes, contacts' (a campaign's
    segment, survey.outreach.campaigns), alerts' segments (a scope). A name holding a double quote cannot be
    written in SQLite's JSON path (it matches nothing there), so segments and scopes refuse one."""
    found = column[name].as_string()
    return found == values[0] if len(values) == 1 else found.in_(list(values))


@dataclass(frozen=True)
class Scope:
    """Conditions (attribute, allowed values), sorted by attribute, each attribute once, values sorted."""
    conditions: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, stored: Mapping[str, Sequence[str]] | None) -> Scope | None:
        """The scope stored on a user or token (None or {} → no scope)."""
        if not stored:
            return None
        return cls(tuple(sorted((name, tuple(sorted(set(values)))) for name, values in stored.items() if values)))

    def stored(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.conditions}

    def label(self) -> str:
        """How pages name it: "Leeds" for one attribute, "location Leeds, team Billing or Returns" for more."""
        if len(self.conditions) == 1:
            return " or ".join(self.conditions[0][1])
        return ", ".join(f"{name} {' or '.join(values)}" for name, values in self.conditions)

    def allows(self, attributes: Mapping[str, object]) -> bool:
        """Whether a response or contact with these attributes is inside (as `condition` decides in SQL)."""
        return all(str(attributes.get(name, "")) in values for name, values in self.conditions)

    def allows_segment(self, segment: Mapping[str, str] | Sequence[tuple[str, str]]) -> bool:
        """Whether a figure about `segment` (an alert's, a trend series') is computed only from inside: the
        segment fixes every attribute the scope limits to an allowed value. All respondents never is."""
        return self.allows(dict(segment))


def condition(entity, scope: Scope):
    """SQL on `entity` (Response, Contact, FollowUpCase, Complaint, Answer, Alert) selecting what `scope` allows."""
    if entity is Response or entity is Contact:
        return and_(*(attribute_is(entity.attributes, name, values) for name, values in scope.conditions))
    if entity is Alert:
        return and_(*(attribute_is(Alert.segment, name, values) for name, values in scope.conditions))
    responses = select(Response.id).where(condition(Response, scope))
    contacts = select(Contact.id).where(condition(Contact, scope))
    if entity is Answer:
        return Answer.response_id.in_(responses)
    if entity is Complaint:
        return Complaint.contact_id.in_(contacts)
    if entity is FollowUpCase:
        return or_(FollowUpCase.response_id.in_(responses),
                   and_(FollowUpCase.response_id.is_(None), FollowUpCase.contact_id.in_(contacts)))
    raise TypeError(f"no scope condition for {entity!r}")


SCOPED = (Response, Contact, FollowUpCase, Complaint, Answer, Alert)


# --- the active scope -----------------------------------------------------------------------------------------

def active() -> Scope | None:
    """The scope the data read now must stay inside (None: everything)."""
    return g.get("_data_scope") if has_app_context() else None


@contextmanager
def applied(scope: Scope | None) -> Iterator[None]:
    """Read as `scope` sees (a job a scoped person started, an email to one); None lifts any scope, for
    writes that must reach every row (erasing a contact, whose older answers may be elsewhere)."""
    before = g.get("_data_scope")
    g._data_scope = scope
    try:
        yield
    finally:
        g._data_scope = before


def activate(scope: Scope | None) -> None:
    """Set the request's scope (the manager guard, the API's border)."""
    g._data_scope = scope


def _restrict(state: ORMExecuteState) -> None:
    scope = active()
    if scope is None or not state.is_select or state.is_column_load:
        return
    if any(mapper.class_ is AnswerCount for mapper in state.all_mappers) \
            and not state.execution_options.get(SCOPE_CHECKED):
        raise OutsideScope("the rollup was read under a data scope; count from the answers instead")
    state.statement = state.statement.options(*(
        with_loader_criteria(entity, condition(entity, scope), include_aliases=True) for entity in SCOPED))


def install() -> None:
    """Filter every session's SELECTs by the active scope (once per process)."""
    if not event.contains(Session, "do_orm_execute", _restrict):
        event.listen(Session, "do_orm_execute", _restrict)
    # SQLAlchemy 2.1 lines a cached statement's parameters up in a dict, so two annotated copies of one JSON
    # path parameter (a loader criterion's) meet through `==`, and its own JSON index types name no operator
    # class. The comparison is SQLAlchemy's and decides rightly (the same parameter); only the warning goes.
    warnings.filterwarnings("ignore", category=SADeprecationWarning,
                            message=r"Type object <class 'sqlalchemy\.sql\.sqltypes\.JSON\.JSON\w*IndexType'> "
                                    r"does not refer to an OperatorClass")


# --- editing ----------------------------------------------------------------------------------------------

def parse_pairs(pairs: Sequence[str]) -> dict[str, list[str]]:
    """`location=Leeds team=Billing team=Returns` → {attribute: [values]}; an attribute repeated takes each value."""
    scope: dict[str, list[str]] = {}
    for number, pair in enumerate(pairs, start=1):
        name, equals, value = pair.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ScopeError(f"condition {number} ({pair!r}) must look like attribute=value, e.g. location=Leeds")
        values = scope.setdefault(name.strip(), [])
        if value.strip() not in values:
            values.append(value.strip())
    return scope


def check(wanted: Mapping[str, Sequence[str]], *, attributes: Sequence[str]) -> Scope | None:
    """The scope to store, or ScopeError naming the first attribute or value that cannot be in one.
    `attributes` are the segment attributes (only those are rolled up, broken down and alerted on)."""
    for name, values in wanted.items():
        if name not in attributes:
            raise ScopeError(f"unknown attribute {name[:64]!r}: a scope limits one of the segment attributes "
                             f"({', '.join(attributes) or 'none are configured'})")
        if not values:
            raise ScopeError(f"{name}: choose at least one value")
        if len(values) > MAX_VALUES:
            raise ScopeError(f"{name}: at most {MAX_VALUES} values")
        for value in values:
            if not value.strip() or len(value) > MAX_VALUE_LENGTH:
                raise ScopeError(f"{name}: a value must have 1 to {MAX_VALUE_LENGTH} characters")
    return Scope.of(wanted)


def describe(stored: Mapping[str, Sequence[str]] | None) -> str:
    """A stored scope in words for people and the audit log ("everything" when there is none)."""
    scope = Scope.of(stored)
    if scope is None:
        return "everything"
    return "; ".join(f"{name} = {' or '.join(values)}" for name, values in scope.conditions)


def known_values(attributes: Sequence[str]) -> dict[str, list[str]]:
    """The values each attribute has in some response (the rollup's segments) or contact, sorted: what a scope
    is chosen from. Read by an administrator without a scope (a scoped read of the rollup is refused)."""
    found: dict[str, set[str]] = {name: set() for name in attributes}
    for name, value in db.session.execute(select(AnswerCount.segment_name, AnswerCount.segment_value).distinct()
                                          .where(AnswerCount.segment_name.in_(list(attributes)))):
        found[name].add(value)
    for name in attributes:
        value = Contact.attributes[name].as_string()
        found[name].update(db.session.scalars(select(value).distinct().where(value.is_not(None), value != "")))
    return {name: sorted(values) for name, values in found.items()}


def set_user_scope(user: User, wanted: Mapping[str, Sequence[str]] | None, *, attributes: Sequence[str],
                   actor: str, actor_id: int | None, now: datetime) -> Scope | None:
    """Limit `user` to `wanted` (None or {}: everything), checked as `check` does; the audit log records the
    change (before and after). Raises ScopeError, changing nothing. Commits once."""
    scope = check(wanted or {}, attributes=attributes)
    before = user.scope or None
    after = scope.stored() if scope else None
    if before != after:
        user.scope = after
        change: dict[str, Any] = {"from": before, "to": after}
        audit.record("user.scope_changed", f"user:{user.id}", now=now, actor=actor, actor_id=actor_id, **change)
    db.session.commit()
    return scope

""""What we changed because of you": change entries, what led to them, their measured impact, the public
view of them, and telling the customers who raised them.

The public view is built only from `PublicChange` values, which carry nothing that identifies a customer:
quotes are redacted when attached, responses are only counted. Markdown is rendered and sanitised with an
allow-list (nh3) when saved.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

import nh3
from flask import current_app, render_template
from flask_babel import format_date, gettext
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from analysis import sample_size_two_shares, share_difference
from survey import database, mail, webhooks
from survey.authoring.definitions import QuestionSpec
from survey.clock import local_date, outside_calendar
from survey.extensions import db
from survey.ids import MAX_ID
from survey.languages import N_
from survey.links import external_url
from survey.models import (
    Alert,
    Answer,
    Branding,
    ChangeEntry,
    ChangeLink,
    ChangeNotice,
    ChangeQuote,
    Contact,
    Response,
    Survey,
    audit,
)
from survey.models.changes import CHANGE_STATUSES, ChangeStatus
from survey.results.counts import answer_counts
from survey.results.settings import Settings

# Looked up by stored statuses, plain str (as a ChangeStatus is too).
# English here; `status_label` gives the reader's language on customer pages and emails.
STATUS_LABELS: dict[str, str] = {ChangeStatus.PLANNED: N_("Planned"), ChangeStatus.IN_PROGRESS: N_("In progress"),
                                 ChangeStatus.DONE: N_("Done")}
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote", "h3", "h4"}
IMPACT_WINDOW = timedelta(days=90)
MIN_N = 30
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


class ChangeError(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


LINK_ATTRIBUTES = {"a": {"href", "title"}}
LINK_SCHEMES = {"http", "https", "mailto"}
# An <a> start tag and its content as nh3 writes them: attributes double-quoted (a '"' inside is &quot;,
# so a value never holds one), no <a> inside another. Group 1: the attributes; group 2: the content.
ANCHOR = re.compile(r'<a((?:\s+[^\s="/>]+="[^"]*")*)\s*>(.*?)</a>', re.S)
ATTRIBUTE_NAME = re.compile(r'\s+([^\s="/>]+)="[^"]*"')


def render_markdown(text: str) -> str:
    """Markdown as HTML of the allowed tags only. A link whose address is not allowed (javascript:, data:)
    loses its href; that <a> without one, like any other, is unwrapped to its text, rather than kept as a
    link to nowhere (with a rel saying where it does not lead)."""
    import markdown  # here: its parser is 15-30 ms of every process's start, needed only when an entry is saved

    html = nh3.clean(markdown.markdown(text, output_format="html"), tags=ALLOWED_TAGS,
                     attributes=LINK_ATTRIBUTES, url_schemes=LINK_SCHEMES, link_rel=None)
    if "<a" in html:
        html = ANCHOR.sub(_without_hrefless_anchor, html)
    # Cleaned again: what the unwrapping wrote is sanitised like the rest, and links get their rel.
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=LINK_ATTRIBUTES, url_schemes=LINK_SCHEMES,
                     link_rel="noopener noreferrer nofollow")


def _without_hrefless_anchor(match: re.Match) -> str:
    return match[0] if "href" in ATTRIBUTE_NAME.findall(match[1]) else match[2]


def redact(text: str, contact: Contact | None) -> str:
    """The quote without contact details: email addresses, phone numbers and the customer's own names."""
    text = PHONE.sub("[phone]", EMAIL.sub("[email]", text))
    names = [part for part in re.split(r"\W+", (contact.name if contact else "") or "") if len(part) >= 2]
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", "[name]", text, flags=re.IGNORECASE)
    return text


# --- editing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChangeInput:
    title: str
    you_said: str
    we_did: str
    category: str
    status: str
    changed_on: date | None
    impact_survey: str = ""
    impact_question: str = ""
    impact_segment: str = ""  # "location=Leeds" or ""


def _entry_problems(data: ChangeInput) -> dict[str, str]:
    """What is wrong with the entry's own fields, by field."""
    problems = {}
    for name, limit in (("title", 200), ("you_said", 2000), ("we_did", 10000)):
        value = getattr(data, name).strip()
        if not value:
            problems[name] = "Please fill this in."
        elif len(value) > limit:
            problems[name] = f"At most {limit} characters."
    if data.status not in CHANGE_STATUSES:
        problems["status"] = "Choose planned, in progress or done."
    if len(data.category.strip()) > 80:
        problems["category"] = "At most 80 characters."
    if data.changed_on is None:
        problems["changed_on"] = "Give the date of the change (planned or done)."
    elif problem := outside_calendar(data.changed_on):
        problems["changed_on"] = f"The date {problem}."
    return problems


def _impact_figure(data: ChangeInput, problems: dict[str, str]) -> tuple[Survey | None, str, str]:
    """The survey and segment whose impact the entry measures (adding to `problems` what is wrong)."""
    survey, segment_name, segment_value = None, "", ""
    if data.impact_survey:
        survey = db.session.scalar(select(Survey).where(Survey.slug == data.impact_survey))
        question = survey.current_version.question(data.impact_question) if survey else None
        if survey is None:
            problems["impact_survey"] = "No survey with that address."
        elif question is None or question.type != "rating":
            problems["impact_question"] = "Choose a rating question of that survey."
        if data.impact_segment:
            segment_name, _, segment_value = data.impact_segment.partition("=")
            segment_name, segment_value = segment_name.strip(), segment_value.strip()
            allowed = Settings.from_config(current_app.config).segment_names
            if segment_name not in allowed or not segment_value:
                problems["impact_segment"] = f"Write attribute=value, the attribute one of {', '.join(allowed)}."
    return survey, segment_name, segment_value


def _validated(data: ChangeInput) -> dict:
    problems = _entry_problems(data)
    survey, segment_name, segment_value = _impact_figure(data, problems)
    if problems:
        raise ChangeError(problems)
    return dict(title=" ".join(data.title.split()), you_said=data.you_said.strip(), we_did=data.we_did.strip(),
                we_did_html=render_markdown(data.we_did.strip()), category=data.category.strip(),
                status=data.status, changed_on=data.changed_on, impact_survey_id=survey.id if survey else None,
                impact_question=data.impact_question if survey else None, impact_segment_name=segment_name,
                impact_segment_value=segment_value)


# What the impact figure is made of: when one of them changes, the figure is another one, and the editor's
# choice about publishing the old figure's numbers no longer applies to it.
IMPACT_FIGURE = ("impact_survey_id", "impact_question", "impact_segment_name", "impact_segment_value", "changed_on")


def save_change(entry: ChangeEntry | None, data: ChangeInput, *, actor_id: int | None, now: datetime) -> ChangeEntry:
    values = _validated(data)
    if entry is None:
        entry = ChangeEntry(created_at=now, created_by_id=actor_id)
        db.session.add(entry)
    elif any(getattr(entry, name) != values[name] for name in IMPACT_FIGURE):
        entry.impact_numbers = None
    for name, value in values.items():
        setattr(entry, name, value)
    entry.updated_at = now
    db.session.commit()
    return entry


def set_links(entry: ChangeEntry, *, response_ids: list[int], alert_ids: list[int], now: datetime) -> None:
    if beyond := [number for number in response_ids if not 0 < number <= MAX_ID]:  # no query can even hold it
        raise ChangeError({"responses": f"No response number {beyond[0]}."})
    known = set(db.session.scalars(select(Response.id).where(Response.id.in_(response_ids))))
    missing = sorted(set(response_ids) - known)
    if missing:
        raise ChangeError({"responses": f"No response number {missing[0]}."})
    alerts = set(db.session.scalars(select(Alert.id).where(Alert.id.in_(alert_ids))))
    entry.links = [ChangeLink(response_id=rid) for rid in sorted(known)] + \
                  [ChangeLink(alert_id=aid) for aid in sorted(alerts)]
    kept = set(known)
    entry.quotes = [quote for quote in entry.quotes if quote.response_id in kept]
    entry.updated_at = now
    db.session.commit()


def quotable(entry: ChangeEntry) -> list[tuple[Response, list[str]]]:
    """Linked responses whose customer agreed to be quoted, with their written answers."""
    ids = [link.response_id for link in entry.links if link.response_id]
    responses = db.session.scalars(select(Response).where(Response.id.in_(ids), Response.quote_consent.is_(True))).all()
    result = []
    for response in responses:
        # Typed as the nullable column, though the query leaves out NULLs.
        texts = cast(list[str], list(db.session.scalars(select(Answer.value_text).where(
            Answer.response_id == response.id, Answer.value_int.is_(None), Answer.value_text.is_not(None)))))
        if texts:
            result.append((response, texts))
    return result


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def add_quote(entry: ChangeEntry, response_id: int, text: str, *, now: datetime) -> ChangeQuote:
    """Quote (part of) what a customer wrote. It must come from a linked response whose customer agreed to
    be quoted, and be their words: the text must appear in one of their written answers."""
    text = text.strip()
    candidates = dict((r.id, (r, texts)) for r, texts in quotable(entry))
    if response_id not in candidates:
        raise ChangeError({"quote": "Quotes can only come from linked responses whose customer agreed to be quoted."})
    response, texts = candidates[response_id]
    if not text or len(text) > 600:
        raise ChangeError({"quote": "A quote needs 1 to 600 characters."})
    if not any(_normal(text) in _normal(written) for written in texts):
        raise ChangeError({"quote": "A quote must be the customer's own words: trim their answer, do not rewrite it."})
    quote = ChangeQuote(response_id=response_id, text=redact(text, response.contact))
    entry.quotes.append(quote)
    entry.updated_at = now
    db.session.commit()
    return quote


def remove_quote(entry: ChangeEntry, quote_id: int, *, now: datetime) -> None:
    entry.quotes = [quote for quote in entry.quotes if quote.id != quote_id]
    entry.updated_at = now
    db.session.commit()


def delete_change(entry: ChangeEntry, *, now: datetime) -> None:
    entry.deleted_at = entry.updated_at = now
    entry.published_at = None
    db.session.commit()


def unpublish(entry: ChangeEntry, *, now: datetime) -> None:
    entry.published_at, entry.updated_at = None, now
    audit.record("change.unpublished", f"change:{entry.id}", now=now)
    db.session.commit()


@dataclass(frozen=True)
class PublishReport:
    notified: int
    skipped_unsubscribed: int
    skipped_recent: int
    already: int


def publish(entry: ChangeEntry, *, now: datetime, impact_numbers: bool | None = None) -> PublishReport:
    """Show the entry publicly and tell every linked customer who agreed to be contacted — once per entry,
    never after an unsubscribe, and not twice within the notification cap (HEARKEN_NOTICE_CAP_DAYS).

    `impact_numbers` records the editor's choice about the measured impact's numbers (publish_choice);
    when they show a drop or no clear result, publishing without a choice (given now or before) is refused."""
    if entry.deleted_at is not None:
        raise ChangeError({"status": "A deleted entry cannot be published."})
    if impact_numbers is None and entry.impact_numbers is None and (problem := choice_needed(entry, now=now)):
        raise ChangeError({"impact_numbers": problem})
    if impact_numbers is not None:
        entry.impact_numbers = impact_numbers
    webhooks.change_published(entry, now=now)
    entry.published_at = entry.published_at or now
    entry.updated_at = now
    topic = f"change:{entry.id}"
    report = _notify(entry, topic, now=now)
    audit.record("change.published", f"change:{entry.id}", now=now, customers_told=report.notified)
    db.session.commit()
    return report


def _customers(entry: ChangeEntry) -> list[Contact]:
    ids = [link.response_id for link in entry.links if link.response_id]
    agreed = select(Response.contact_id).where(Response.id.in_(ids), Response.contact_consent.is_(True))
    return list(db.session.scalars(select(Contact).where(Contact.id.in_(agreed)).order_by(Contact.id)))


def _recently_noticed(contact_ids: list[int], now: datetime) -> set[int]:
    since = now - timedelta(days=current_app.config["NOTICE_CAP_DAYS"])
    return set(db.session.scalars(select(ChangeNotice.contact_id).where(
        ChangeNotice.contact_id.in_(contact_ids), ChangeNotice.sent_at > since)))


def _notify(entry: ChangeEntry, topic: str, *, now: datetime) -> PublishReport:
    contacts = _customers(entry)
    ids = [c.id for c in contacts]
    done = set(db.session.scalars(select(ChangeNotice.contact_id).where(
        ChangeNotice.topic == topic, ChangeNotice.contact_id.in_(ids))))
    recent = _recently_noticed(ids, now)
    notified = unsubscribed = skipped = 0
    change = public_change(entry, now=now)
    for contact in contacts:
        if contact.id in done:
            continue
        if contact.unsubscribed_at is not None:
            unsubscribed += 1
            continue
        if contact.id in recent:
            skipped += 1
            continue
        # In the contact's language (their `language` attribute), when Hearken ships its catalog.
        language = mail.email_language(contact.attributes)
        context = dict(contact=contact, change=change, organisation=current_app.config["ORGANISATION_NAME"],
                       changes_url=external_url("public.changes"), unsubscribe_url=mail.unsubscribe_url(contact),
                       language=language)
        with mail.in_language(language):
            rendered = mail.Rendered(gettext("You told us, we acted: %(title)s", title=entry.title)[:300],
                                     render_template("email/change.txt", **context),
                                     render_template("email/change.html", **context),
                                     {"List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        mail.queue(rendered, kind="change", recipient=contact.email, now=now, contact_id=contact.id)
        db.session.add(ChangeNotice(topic=topic, contact_id=contact.id, sent_at=now))
        notified += 1
    return PublishReport(notified, unsubscribed, skipped, len(done))


# --- impact -----------------------------------------------------------------------------------------

# Segments in words, by attribute: "in Leeds", "for the Billing team". Other attributes read "where
# region is North".
SEGMENT_PHRASES = {"location": N_("in %(value)s"), "team": N_("for the %(value)s team"),
                   "touchpoint": N_("at %(value)s")}


def segment_words(name: str, value: str) -> str:
    """A segment as customers read it: "in Leeds", "for the Billing team"; "" for all customers."""
    if not name:
        return ""
    if name == "team" and value.casefold().endswith(" team"):  # "Billing team", not "the Billing team team"
        value = value[: -len(" team")]
    # In the page's or the email's language (the catalogs); an attribute without a phrase names itself.
    if name in SEGMENT_PHRASES:
        return gettext(SEGMENT_PHRASES[name], value=value)
    return gettext("where %(name)s is %(value)s", name=name.replace("_", " "), value=value)


@dataclass(frozen=True)
class Impact:
    question: str  # the question's key
    segment: str  # "" or "location=Leeds"
    n_before: int
    n_after: int
    before: float | None
    after: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    more_needed: int | None  # responses still needed after the change; None once measured
    question_text: str = ""  # the question as customers read it
    label: str = ""  # the top option whose share is measured: "Extremely satisfied", "Very easy"
    segment_words: str = ""  # "in Leeds", "for the Billing team"; "" for all customers

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05

    @property
    def verdict(self) -> str:
        """measuring (too few responses yet), improvement or worsening (a real change), or inconclusive."""
        if self.more_needed is not None or self.difference is None:
            return "measuring"
        if not self.significant:
            return "inconclusive"
        return "improvement" if self.difference > 0 else "worsening"

    @property
    def needs_choice(self) -> bool:
        """Whether publishing these numbers takes the editor's explicit choice: a real drop or no clear
        result is not something to put on the public page by accident."""
        return self.verdict in ("worsening", "inconclusive")


def _impact_question(entry: ChangeEntry) -> QuestionSpec | None:
    """The impact question as the latest version that has it asks it (the question may have been removed
    from the survey since), or None if no version has it."""
    for version in reversed(entry.impact_survey.versions):
        if (question := version.question(entry.impact_question)) is not None:
            return question
    return None


def _top_box(survey_id: int, question: str, segment: tuple[str, str], top: int, start: date,
             end: date) -> tuple[int, int]:
    """(top-box answers, answers) to `question` in `segment`, on the days from `start` to `end`."""
    cells = answer_counts(survey_id, [question], days=[(start, end)], segment=segment)
    values = next(iter(cells.values()), Counter())  # one cell, or none without answers
    return values[top], sum(values.values())


def impact(entry: ChangeEntry, *, now: datetime) -> Impact | None:
    """The top-box share in the 90 days before the change against the 90 days after (so far)."""
    if entry.impact_survey_id is None or entry.impact_survey is None or not entry.impact_question:
        return None
    if outside_calendar(entry.changed_on):  # stored before such dates were refused: no window around it
        return None
    if (question := _impact_question(entry)) is None:
        return None
    top = len(question.options)
    start = entry.changed_on
    today = local_date(now, current_app.config["TIMEZONE"])  # answers are counted by the local day
    measured = entry.impact_survey_id, entry.impact_question, (entry.impact_segment_name, entry.impact_segment_value)
    x1, n1 = _top_box(*measured, top, start - IMPACT_WINDOW, start)
    x2, n2 = _top_box(*measured, top, start, min(start + IMPACT_WINDOW, today + timedelta(days=1)))
    segment = f"{entry.impact_segment_name}={entry.impact_segment_value}" if entry.impact_segment_name else ""
    words = dict(question_text=question.text, label=question.options[-1],
                 segment_words=segment_words(entry.impact_segment_name, entry.impact_segment_value))
    before = x1 / n1 if n1 else None
    if n1 < MIN_N or n2 < MIN_N:
        base = before if before is not None else 0.5
        target = base + 0.10 if base <= 0.85 else base - 0.10
        needed = max(MIN_N, sample_size_two_shares(min(max(base, 0.01), 0.99), target))
        return Impact(entry.impact_question, segment, n1, n2, before, x2 / n2 if n2 else None, None, None, None,
                      None, max(needed - n2, 1) if n1 >= MIN_N else needed, **words)
    result = share_difference(x1, n1, x2, n2)
    return Impact(entry.impact_question, segment, n1, n2, result.p1, result.p2, result.difference, result.low,
                  result.high, result.p_value, None, **words)


def public_impact(entry: ChangeEntry, measured: Impact | None) -> Impact | None:
    """The impact as the public page, feed and API show it: what the editor chose (the numbers, or none),
    and without a choice only what needs none — a measurement under way or a real improvement. A drop or
    an unclear result never reaches the public page unless an editor chose to publish it."""
    if measured is None or entry.impact_numbers is False:
        return None
    if entry.impact_numbers is None and measured.needs_choice:
        return None
    return measured


VERDICT_WORDS = {"worsening": "a real drop", "inconclusive": "not yet distinguishable from chance"}


def choice_needed(entry: ChangeEntry, *, now: datetime) -> str | None:
    """Why publishing this entry needs the editor's choice about its impact numbers, or None."""
    measured = impact(entry, now=now)
    if measured is None or not measured.needs_choice:
        return None
    return (f"The measured effect is {VERDICT_WORDS[measured.verdict]}: choose whether the public page shows "
            "the numbers or publish the entry without them.")


def choose_impact_numbers(entry: ChangeEntry, show: bool, *, now: datetime) -> None:
    """The editor's choice: publish the measured numbers (whatever they say as responses arrive), or
    publish the entry without them."""
    entry.impact_numbers = show
    entry.updated_at = now
    db.session.commit()


# --- the public view --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicChange:
    """Everything the public page and feed may show about an entry, and nothing else."""

    id: int
    title: str
    you_said: str
    we_did_html: str
    category: str
    status: str
    changed_on: date
    published_at: datetime
    updated_at: datetime
    raised_by: int
    quotes: tuple[str, ...]
    impact: Impact | None  # as the public may see it (public_impact): None when the numbers are withheld
    impact_numbers: bool | None  # the editor's choice (ChangeEntry.impact_numbers)

    @property
    def status_label(self) -> str:
        return gettext(STATUS_LABELS[self.status])

    @property
    def feed_html(self) -> str:
        """The entry as HTML for the Atom feed (the template escapes it once more, as Atom requires)."""
        quotes = "".join(f"<blockquote><p>“{escape(q)}”</p></blockquote>" for q in self.quotes)
        return (f"<p><strong>{escape(self.status_label)}.</strong> "
                f"{escape(gettext('You said: %(text)s', text=self.you_said))}</p>"
                f"{self.we_did_html}{quotes}")


def _public_query():
    return select(ChangeEntry).where(ChangeEntry.published_at.is_not(None), ChangeEntry.deleted_at.is_(None))


def raised_by(change_ids: list[int]) -> dict[int, int]:
    """How many customers' responses led to each change, counted in the database: a list of changes need not
    load every link (hundreds per change) to count them."""
    if not change_ids:
        return {}
    rows = db.session.execute(
        select(ChangeLink.change_id, func.count(func.distinct(ChangeLink.response_id)))
        .where(ChangeLink.change_id.in_(change_ids), ChangeLink.response_id.is_not(None))
        .group_by(ChangeLink.change_id))
    return {change_id: count for change_id, count in rows}


def public_change(entry: ChangeEntry, *, now: datetime, raised: int | None = None) -> PublicChange:
    """`raised`: raised_by's count for the entry, when a list has counted them all at once."""
    if raised is None:
        raised = raised_by([entry.id]).get(entry.id, 0)
    return PublicChange(entry.id, entry.title, entry.you_said, entry.we_did_html, entry.category, entry.status,
                        entry.changed_on, entry.published_at or now, entry.updated_at, raised,
                        tuple(quote.text for quote in entry.quotes),
                        public_impact(entry, impact(entry, now=now)), entry.impact_numbers)


def public_changes(*, category: str | None, now: datetime, limit: int = 100) -> list[PublicChange]:
    query = _public_query()
    if category:
        query = query.where(ChangeEntry.category == category)
    entries = db.session.scalars(query.options(selectinload(ChangeEntry.quotes))
                                 .order_by(ChangeEntry.changed_on.desc(), ChangeEntry.id.desc()).limit(limit)).all()
    counts = raised_by([entry.id for entry in entries])
    return [public_change(entry, now=now, raised=counts.get(entry.id, 0)) for entry in entries]


def categories() -> list[str]:
    return sorted(c for c in db.session.scalars(_public_query().with_only_columns(ChangeEntry.category).distinct())
                  if c)


def done_in_last_quarter(now: datetime) -> int:
    return db.session.scalar(_public_query().with_only_columns(func.count()).where(
        ChangeEntry.status == ChangeStatus.DONE, ChangeEntry.changed_on >= (now - timedelta(days=91)).date()))


# What the public page's version is made of, as one statement read through the driver: on a warm page
# (rendered pages are kept by version) it is the request's only database work, and three queries in a
# session transaction were half the page's time.
_PUBLISHED = ChangeEntry.published_at.is_not(None)
_VERSION_INPUTS = select(
    select(func.max(ChangeEntry.updated_at)).where(_PUBLISHED).scalar_subquery(),
    select(func.count()).select_from(ChangeEntry).where(_PUBLISHED).scalar_subquery(),
    select(func.max(Response.id)).scalar_subquery(),
    select(func.count(ChangeQuote.id)).scalar_subquery(),
    select(func.max(Branding.updated_at)).scalar_subquery())  # the page wears the organisation's brand


def public_version(resource: str, *, now: datetime) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) of a public rendering, `resource` naming which (the page of a category, the
    feed): changes whenever a published entry, the set of published entries or the organisation's settings
    change, so caches revalidate cheaply and never keep a retracted entry. Impact figures move with new
    responses, so the newest response is part of it too (the highest id: one index lookup)."""
    row = database.read_row(_VERSION_INPUTS)
    assert row is not None  # a SELECT of scalar subqueries without FROM always gives its one row
    last, count, newest_response, quotes, branded = row
    config = current_app.config
    # "In the last quarter" and the impact windows move with the organisation's date.
    today = local_date(now, config["TIMEZONE"])
    seed = (f"{last}|{count}|{newest_response}|{quotes}|{today}|{resource}|{config['ORGANISATION_NAME']}|"
            f"{config.get('LOGO_URL')}|{branded}|{config.get('PRIVACY_URL')}")
    return hashlib.sha256(seed.encode()).hexdigest()[:32], last


# --- the quarterly digest ---------------------------------------------------------------------------

def parse_quarter(text: str) -> tuple[date, date]:
    match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not match:
        raise ChangeError({"quarter": f"{text!r} is not a quarter; write it like 2026Q3"})
    year, quarter = int(match.group(1)), int(match.group(2))
    if problem := outside_calendar(date(max(year, 1), 1, 1)):
        raise ChangeError({"quarter": f"{text.strip()}: {problem}"})
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, end


# The digest's sections: each status under its own words, done first. Only done entries are "the biggest
# things we changed".
# Headings in English: the templates translate them (`_(section.heading)`) in each recipient's language.
DIGEST_SECTIONS = ((ChangeStatus.DONE, N_("We changed")), (ChangeStatus.IN_PROGRESS, N_("We are changing")),
                   (ChangeStatus.PLANNED, N_("We plan to")))
DIGEST_PER_SECTION = 3


@dataclass(frozen=True)
class DigestItem:
    change: PublicChange
    today: date

    @property
    def when(self) -> str:
        """"15 October 2026", "since 1 August 2026", "planned for 10 January 2027": worded when it is read,
        so each recipient's email says it in their language."""
        return when_words(self.change.status, self.change.changed_on, self.today)


@dataclass(frozen=True)
class DigestSection:
    status: str
    heading: str
    items: list[DigestItem]


@dataclass(frozen=True)
class Digest:
    quarter: str
    sections: list[DigestSection]  # only those with items
    recipients: int  # how many customers it goes to
    subject: str
    text: str
    html: str

    @property
    def changes(self) -> list[PublicChange]:
        return [item.change for section in self.sections for item in section.items]


def when_words(status: str, day: date, today: date) -> str:
    """The entry's date as the digest says it: a future date (or a plan's) is "planned for"; work in
    progress is "since" the day it started; done work is the day it was done."""
    text = format_date(day, "d MMMM y")  # in the current locale: "1 octobre 2026"
    if day > today or status == ChangeStatus.PLANNED:
        return gettext("planned for %(day)s", day=text)
    return gettext("since %(day)s", day=text) if status == ChangeStatus.IN_PROGRESS else text


def _digest_sections(start: date, end: date, *, now: datetime) -> list[DigestSection]:
    """Done: what was done in the quarter. In progress: what is being changed now, begun by the quarter's
    end. Planned: what is planned from the quarter's start on (a plan for later is news too). At most
    three of each, those most customers raised first."""
    dated = {ChangeStatus.DONE: (ChangeEntry.changed_on >= start) & (ChangeEntry.changed_on < end),
             ChangeStatus.IN_PROGRESS: ChangeEntry.changed_on < end,
             ChangeStatus.PLANNED: ChangeEntry.changed_on >= start}
    today = local_date(now, current_app.config["TIMEZONE"])
    sections = []
    for status, heading in DIGEST_SECTIONS:
        entries = db.session.scalars(_public_query().where(ChangeEntry.status == status, dated[status])
                                     .options(selectinload(ChangeEntry.quotes))).all()
        counts = raised_by([entry.id for entry in entries])
        # Only the biggest are shown, so only theirs are measured (an impact is two counts over 90 days).
        biggest = sorted(entries, key=lambda e: (-counts.get(e.id, 0), e.changed_on, e.id))[:DIGEST_PER_SECTION]
        items = [DigestItem(change, today)
                 for change in (public_change(e, now=now, raised=counts.get(e.id, 0)) for e in biggest)]
        if items:
            sections.append(DigestSection(status, heading, items))
    return sections


def _digest_context(quarter: str, sections: list[DigestSection], contact: Contact | None) -> dict:
    return dict(quarter=quarter, sections=sections, contact=contact,
                organisation=current_app.config["ORGANISATION_NAME"], changes_url=external_url("public.changes"),
                unsubscribe_url=mail.unsubscribe_url(contact) if contact else "")


def _recipients(quarter: str):
    """Contacts who agreed to be contacted, have not unsubscribed and have not had this digest yet."""
    already = select(ChangeNotice.contact_id).where(ChangeNotice.topic == f"digest:{quarter.upper()}")
    # Responses with a contact are found by the contact_id index, not by reading every response.
    agreed = select(Response.contact_id).where(Response.contact_id.is_not(None), Response.contact_consent.is_(True))
    return (select(Contact).where(Contact.id.in_(agreed), Contact.unsubscribed_at.is_(None),
                                  Contact.id.not_in(already)).order_by(Contact.id))
def _digest_subject(quarter: str, done: bool) -> str:
    if done:
        return gettext("%(quarter)s: what we changed because of you", quarter=quarter)
    return gettext("%(quarter)s: what we are doing because of you", quarter=quarter)


def digest(quarter: str, *, now: datetime) -> Digest:
    """The quarter's digest: the three biggest things done (most customers raised them), then what is being
    changed and what is planned, each under its own heading, for every customer who agreed to be contacted,
    has not unsubscribed and has not had this digest yet."""
    start, end = parse_quarter(quarter)
    sections = _digest_sections(start, end, now=now)
    recipients = db.session.scalar(_recipients(quarter).with_only_columns(func.count()).order_by(None))
    context = _digest_context(quarter.upper(), sections, None)
    done = any(section.status == ChangeStatus.DONE for section in sections)
    subject = _digest_subject(quarter.upper(), done)
    return Digest(quarter.upper(), sections, recipients or 0, subject, render_template("email/digest.txt", **context),
                  render_template("email/digest.html", **context))


def send_digest(quarter: str, *, now: datetime) -> int:
    prepared = digest(quarter, now=now)
    if not prepared.changes:
        raise ChangeError({"quarter": f"no published changes in {prepared.quarter}: nothing to send"})
    done = any(section.status == ChangeStatus.DONE for section in prepared.sections)
    sent = 0
    for contact in db.session.scalars(_recipients(prepared.quarter)).all():
        # In the contact's language (their `language` attribute), when Hearken ships its catalog.
        language = mail.email_language(contact.attributes)
        context = {**_digest_context(prepared.quarter, prepared.sections, contact), "language": language}
        with mail.in_language(language):
            rendered = mail.Rendered(_digest_subject(prepared.quarter, done),
                                     render_template("email/digest.txt", **context),
                                     render_template("email/digest.html", **context),
                                     {"List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        mail.queue(rendered, kind="digest", recipient=contact.email, now=now, contact_id=contact.id)
        db.session.add(ChangeNotice(topic=f"digest:{prepared.quarter}", contact_id=contact.id, sent_at=now))
        sent += 1
    db.session.commit()
    return sent

"""A survey's themes: proposals found in its comments (analysis.themes, run by the theme job), and what a
manager decides about them — accept (with a name and the terms that tag comments), rename, edit the terms,
merge two into one, reject.

An accepted theme's name is the tag it gives responses, so renaming or merging renames its tags (and the
corrections people made) too; rejecting an accepted theme takes off the tags its terms gave and leaves the
ones people gave. The decisions change the themes in the caller's transaction and say whether every
comment must be tagged again (survey.background.jobs.change_themes commits them with that job).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import aliased

from analysis import normalise_term, propose
from survey.extensions import db
from survey.models import Response, ResponseTag, ResponseTagRemoval, Survey, Theme, ThemeStatus, User
from survey.progress import QUIET, Progress
from survey.results.browsing import TagError, checked_tag
from survey.results.theme_tags import AUTO, comment_condition, comments_of

MAX_COMMENTS = 100_000  # the most recent comments a proposal reads: enough for any theme, within 30 s
PROPOSED_THEMES = 8
MATCHING_TERMS = 5  # of a proposal's strongest terms, those that tag comments when it is accepted as it is
MAX_TERMS = 50
READ_BATCH = 5_000


class ThemeError(ValueError):
    """A decision that cannot be made as asked; the message says why, for the person."""


# --- proposing ----------------------------------------------------------------------------------------

def propose_themes(survey: Survey, *, now: datetime, progress: Progress = QUIET) -> dict:
    """Read the survey's most recent MAX_COMMENTS responses with a comment, find their themes and store them
    as proposals, in place of the undecided ones of an earlier run; a proposal named like a theme already
    accepted, rejected or merged (or one of an accepted theme's terms) is left out, as decided before.
    Commits once, at the end (through `progress.finish`). Returns the outcome."""
    ids = list(db.session.scalars(select(Response.id).where(Response.survey_id == survey.id, comment_condition())
                                  .order_by(Response.id.desc()).limit(MAX_COMMENTS)))
    ids.reverse()
    texts: list[str] = []
    owners: list[int] = []
    for start in range(0, len(ids), READ_BATCH):
        chunk = ids[start:start + READ_BATCH]
        comments = comments_of(chunk)
        for response_id in chunk:
            if written := comments.get(response_id):
                texts.append("\n".join(written))
                owners.append(response_id)
        progress.tick("reading", len(owners), len(ids))
    progress.tick("clustering", len(owners), len(ids))
    found = propose(texts, themes=PROPOSED_THEMES)
    decided = db.session.scalars(select(Theme).where(Theme.survey_id == survey.id,
                                                     Theme.status != ThemeStatus.PROPOSED)).all()
    known = {theme.name for theme in decided} | {term for theme in decided
                                                  if theme.status == ThemeStatus.ACCEPTED for term in theme.terms}
    db.session.execute(delete(Theme).where(Theme.survey_id == survey.id, Theme.status == ThemeStatus.PROPOSED))
    stored = 0
    for proposal in found:
        if proposal.name in known or proposal.name[:64] in known:
            continue
        db.session.add(Theme(survey_id=survey.id, name=proposal.name[:64], status=ThemeStatus.PROPOSED,
                             terms=list(proposal.terms[:MATCHING_TERMS]), top_terms=list(proposal.terms),
                             comments=proposal.comments, examples=[owners[i] for i in proposal.examples],
                             created_at=now))
        stored += 1
    outcome = {"comments": len(texts), "proposals": stored, "already_decided": len(found) - stored}
    progress.finish(outcome)
    db.session.commit()
    return outcome


@dataclass(frozen=True)
class Overview:
    proposed: list[Theme]
    accepted: list[Theme]
    rejected: list[Theme]
    tagged: dict[str, int]  # accepted theme's name → responses it is on
    examples: dict[int, list[tuple[int, str]]]  # proposal id → (response id, its comments)


def overview(survey: Survey) -> Overview:
    """What the themes page shows: proposals with their example comments, accepted themes with how many
    responses each is on, and what was rejected."""
    themes = db.session.scalars(select(Theme).where(Theme.survey_id == survey.id)
                                .order_by(Theme.comments.desc(), Theme.name, Theme.id)).all()
    proposed = [t for t in themes if t.status == ThemeStatus.PROPOSED]
    accepted = sorted((t for t in themes if t.status == ThemeStatus.ACCEPTED), key=lambda t: t.name)
    rejected = sorted((t for t in themes if t.status == ThemeStatus.REJECTED), key=lambda t: t.name)
    comments = comments_of([i for t in proposed for i in t.examples])  # an erased comment is simply missing
    examples = {t.id: [(i, " ".join(comments[i])) for i in t.examples if i in comments] for t in proposed}
    tagged: dict[str, int] = {}
    if accepted:
        tagged = {tag: int(n) for tag, n in db.session.execute(
            select(ResponseTag.tag, func.count()).join(Response, ResponseTag.response_id == Response.id)
            .where(Response.survey_id == survey.id, ResponseTag.tag.in_([t.name for t in accepted]))
            .group_by(ResponseTag.tag))}
    return Overview(proposed, accepted, rejected, tagged, examples)


# --- deciding -----------------------------------------------------------------------------------------

def parse_terms(text: str) -> list[str]:
    """Terms as a person writes them, one a line or separated by commas: each as it is matched
    (analysis.normalise_term), without repeats. ThemeError when none is left or there are too many."""
    terms: list[str] = []
    for part in re.split(r"[,\n;]", text):
        if (term := normalise_term(part)) and term not in terms:
            terms.append(term)
    if not terms:
        raise ThemeError("Terms: write at least one word or phrase a comment must mention, e.g. “queue, wait*”.")
    if len(terms) > MAX_TERMS:
        raise ThemeError(f"Terms: at most {MAX_TERMS} terms ({len(terms)} given).")
    return terms


def _name(survey_id: int, text: str, *, keep: Theme | None = None) -> str:
    try:
        name = checked_tag(text, "waiting time")
    except TagError as error:
        raise ThemeError(f"Name: {error}") from None
    clash = db.session.scalar(select(Theme.id).where(Theme.survey_id == survey_id, Theme.name == name,
                                                     Theme.status == ThemeStatus.ACCEPTED))
    if clash is not None and (keep is None or clash != keep.id):
        raise ThemeError(f"Name: an accepted theme is already called “{name}”: merge into it instead.")
    return name


def _decided(theme: Theme, status: ThemeStatus, actor: User, now: datetime) -> None:
    theme.status, theme.decided_at, theme.decided_by_id = status, now, actor.id


def _expect(theme: Theme, *statuses: ThemeStatus) -> None:
    if theme.status not in statuses:
        raise ThemeError(f"“{theme.name}” is {theme.status} now (a colleague may have decided it): reload the page.")


def accept(theme: Theme, *, name: str, terms: str, actor: User, now: datetime) -> bool:
    """A proposal becomes a theme called `name` that tags comments mentioning `terms`. True: every comment
    must be tagged again."""
    _expect(theme, ThemeStatus.PROPOSED)
    chosen_terms = parse_terms(terms)
    theme.name = _name(theme.survey_id, name)
    theme.terms = chosen_terms
    _decided(theme, ThemeStatus.ACCEPTED, actor, now)
    return True


def edit(theme: Theme, *, name: str, terms: str, actor: User, now: datetime) -> bool:
    """Rename an accepted theme (its tags and corrections follow) and set its terms. True when the terms
    changed, so every comment must be tagged again."""
    _expect(theme, ThemeStatus.ACCEPTED)
    chosen_terms = parse_terms(terms)
    new_name = _name(theme.survey_id, name, keep=theme)
    if new_name != theme.name:
        _rename_tags(theme.survey_id, theme.name, new_name)
        theme.name = new_name
    changed = chosen_terms != list(theme.terms)
    theme.terms = chosen_terms
    theme.decided_at, theme.decided_by_id = now, actor.id
    return changed


def merge(source: Theme, target: Theme, *, actor: User, now: datetime) -> bool:
    """Fold `source` into `target` (both proposed or accepted, of one survey): the target takes its terms
    (and, when both are proposals, its comments and examples); an accepted source's tags become the
    target's. True when the target is accepted: every comment must be tagged again."""
    if source.id == target.id or source.survey_id != target.survey_id:
        raise ThemeError("Merge into: choose another theme of this survey.")
    _expect(source, ThemeStatus.PROPOSED, ThemeStatus.ACCEPTED)
    _expect(target, ThemeStatus.PROPOSED, ThemeStatus.ACCEPTED)
    if source.status == ThemeStatus.ACCEPTED and target.status == ThemeStatus.PROPOSED:
        raise ThemeError("Merge into: an accepted theme can only be merged into another accepted theme.")
    target.terms = list(dict.fromkeys([*target.terms, *source.terms]))[:MAX_TERMS]
    if target.status == ThemeStatus.PROPOSED:
        target.top_terms = list(dict.fromkeys([*target.top_terms, *source.top_terms]))
        target.comments = (target.comments or 0) + (source.comments or 0)
        target.examples = list(dict.fromkeys([*target.examples, *source.examples]))[:6]
    if source.status == ThemeStatus.ACCEPTED:
        _rename_tags(source.survey_id, source.name, target.name)
    _decided(source, ThemeStatus.MERGED, actor, now)
    source.merged_into_id = target.id
    return target.status == ThemeStatus.ACCEPTED


def reject(theme: Theme, *, actor: User, now: datetime) -> bool:
    """Turn down a proposal, or stop using an accepted theme: the tags its terms gave go, the tags people
    gave stay (as tags of their own). Nothing needs tagging again."""
    _expect(theme, ThemeStatus.PROPOSED, ThemeStatus.ACCEPTED)
    if theme.status == ThemeStatus.ACCEPTED:
        db.session.execute(delete(ResponseTag).where(ResponseTag.tag == theme.name, ResponseTag.source == AUTO,
                                                     ResponseTag.response_id.in_(_survey_responses(theme.survey_id))))
    _decided(theme, ThemeStatus.REJECTED, actor, now)
    return False


def _survey_responses(survey_id: int):
    return select(Response.id).where(Response.survey_id == survey_id)


def _rename_tags(survey_id: int, old: str, new: str) -> None:
    """Tags (and corrections) `old` on the survey's responses become `new`; a response that has both keeps
    one, a person's if either was."""
    responses = _survey_responses(survey_id)
    going = aliased(ResponseTag)
    db.session.execute(update(ResponseTag).where(ResponseTag.tag == new, ResponseTag.response_id.in_(
        select(going.response_id).where(going.tag == old, going.source != AUTO, going.response_id.in_(responses))))
        .values(source="manual"))
    kept = aliased(ResponseTag)
    db.session.execute(delete(ResponseTag).where(
        ResponseTag.tag == old, ResponseTag.response_id.in_(responses),
        exists().where(kept.response_id == ResponseTag.response_id, kept.tag == new)))
    db.session.execute(update(ResponseTag).where(ResponseTag.tag == old, ResponseTag.response_id.in_(responses))
                       .values(tag=new))
    other = aliased(ResponseTagRemoval)
    db.session.execute(delete(ResponseTagRemoval).where(
        ResponseTagRemoval.tag == old, ResponseTagRemoval.response_id.in_(responses),
        exists().where(other.response_id == ResponseTagRemoval.response_id, other.tag == new)))
    db.session.execute(update(ResponseTagRemoval).where(ResponseTagRemoval.tag == old,
                                                        ResponseTagRemoval.response_id.in_(responses))
                       .values(tag=new))


def themes_of(survey: Survey, statuses: Sequence[ThemeStatus]) -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.survey_id == survey.id, Theme.status.in_(statuses))
                                   .order_by(Theme.name)))

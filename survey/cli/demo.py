"""`flask seed-demo`: a realistic organisation to click through.

Contacts in four locations answer the support survey every month for 18 months. Leeds' share of
"extremely satisfied" is about 90 % until two months ago and about 75 % since: a real drop for the
statistics to find. Each response also rates four parts of the service (a matrix: wait, a fix, staff, being
kept informed) that follow the overall rating more or less closely, the wait most, so the key drivers page
has something to rank; in Leeds since the drop the wait is rated much lower, and comments about the queue
and waiting ("queue", "waiting", "attente") rise with it, so the alert's words and themes find them. One
customer in five writes in French. The data is random but seeded, so every demo looks the same.
"""
from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, literal, select

from survey import accounts, authoring, changes, followups
from survey.accounts import scopes
from survey.authoring import starters
from survey.authoring.definitions import parse_survey
from survey.clock import local_date
from survey.extensions import db
from survey.followups import teams
from survey.links import external_url
from survey.models import Answer, CaseStatus, ChangeStatus, Contact, FollowUpCase, Response, ResponseTag, Survey, User
from survey.results import rollups, sentiments

DEMO_EMAIL = "demo@example.com"
# The Leeds store's manager: an analyst whose data scope is location = Leeds (same password as the demo's).
LEEDS_EMAIL = "leeds.manager@example.com"
# Follow-up staff: one in each demo team (the Leeds store's agent sees Leeds only, as its manager does).
LEEDS_AGENT_EMAIL = "leeds.agent@example.com"
SUPPORT_AGENT_EMAIL = "support.agent@example.com"
LOCATIONS = {"Leeds": 200, "Manchester": 100, "Bristol": 90, "London": 140}  # responses per month
TEAMS = ("Billing", "Deliveries", "Technical")
TOUCHPOINTS = ("Phone", "Email", "Chat", "In store")
MONTHS = 18
COMMENTS = {
    5: ["Quick and friendly, thank you.", "Sorted in one call.", "Great service as always.",
        "The agent was brilliant and really helpful."],
    4: ["Good, but I had to wait a while.", "Fine overall.", "Helpful staff, though the website is confusing."],
    3: ["It took three emails to get an answer.", "OK, nothing special.", "Polite, but I am not sure it is fixed."],
    2: ["Nobody called me back.", "The delivery slot was missed again."],
    1: ["I was passed between four people.", "Still not fixed after two weeks.", "Terrible service, I am furious."],
}
COMMENTS_FR = {
    5: ["Rapide et aimable, merci.", "Réglé en un seul appel.", "Excellent service, comme toujours."],
    4: ["Bien, mais j’ai dû patienter un moment.", "Correct dans l’ensemble.", "Personnel serviable."],
    3: ["Il a fallu trois e-mails pour obtenir une réponse.", "Correct, sans plus."],
    2: ["Personne ne m’a rappelé.", "Le créneau de livraison a encore été manqué."],
    1: ["On m’a passé d’une personne à l’autre, quatre fois.", "Toujours pas réglé après deux semaines."],
}
# What customers write when the wait was bad: the theme that rises in Leeds with its drop.
WAITING = {"en": ["The queue on the phone was far too long.", "I spent ages waiting on hold before anyone answered.",
                  "Waiting forty minutes in the queue is not acceptable.",
                  "Long queue at the desk and a lot of waiting around."],
           "fr": ["L’attente au téléphone était beaucoup trop longue.",
                  "Une heure d’attente avant de parler à quelqu’un.", "File d’attente interminable au magasin."]}
# The parts of the service each response rates (a matrix), as (key, text, French text, shift, spread): a
# rating is the overall one moved by `shift` with normal noise of `spread`, so the closer it follows the
# overall rating the more of it it explains (the wait most, being kept informed least).
ASPECTS = [("wait", "Time to get through to us", "Le temps pour nous joindre", -0.5, 0.6),
           ("fixed", "Fixing the problem", "La résolution du problème", 0.0, 0.8),
           ("staff", "Friendly, helpful staff", "Un personnel aimable et serviable", 0.6, 1.5),
           ("informed", "Keeping you informed", "Vous tenir informé", -0.4, 1.7)]
LEEDS_WAIT_DROP = 1.2  # how much lower Leeds rates the wait since its drop


# Themes an analyst would have given the comments, so the response browser and exports have some.
THEMES = {"Good, but I had to wait a while.": "waiting time", "It took three emails to get an answer.": "slow answers",
          "Nobody called me back.": "call-backs", "The delivery slot was missed again.": "delivery",
          "I was passed between four people.": "handovers", "Still not fixed after two weeks.": "unresolved"}


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoLogin:
    url: str
    email: str
    password: str

    def describe(self) -> str:
        return (f"Demo loaded. Log in at {self.url} as {self.email} with the password {self.password}\n"
                f"(or as {LEEDS_EMAIL}, the Leeds manager, who sees Leeds only, or as the follow-up staff of the "
                f"two teams, {LEEDS_AGENT_EMAIL} and {SUPPORT_AGENT_EMAIL}, with the same password)")


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Survey)) and \
        not db.session.scalar(select(func.count()).select_from(User))


def _top_box_chance(location: str, months_ago: int) -> float:
    if location == "Leeds":
        return 0.90 if months_ago >= 2 else 0.75
    return {"Manchester": 0.80, "Bristol": 0.84, "London": 0.78}[location]


def _satisfaction_scores(rng: random.Random, top_box_share: float, count: int) -> list[int]:
    """Exactly round(share × count) "extremely satisfied" answers, the rest spread below, shuffled: the
    demo's story (Leeds 90 % → 75 %) is then what trend detection finds, not an accident of sampling."""
    top = round(top_box_share * count)
    scores = [5] * top + rng.choices([4, 3, 2, 1], weights=[6, 2, 1.2, 0.8], k=count - top)
    rng.shuffle(scores)
    return scores


def _month_start(now: datetime, months_ago: int) -> datetime:
    year, month = now.year, now.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1)


# The support survey in French too, as a translator's file would give it back; one customer in five reads French
# (their contact's "language" attribute), so their links, emails and answers are in French.
FRENCH = {
    "title": "Comment avons-nous fait ?",
    "intro": "Vous avez récemment contacté notre équipe d’assistance. Deux minutes, cinq questions.",
    "sections": {"experience": {"title": "Votre expérience"}, "more": {"title": "Dites-nous en plus"}},
    "questions": {
        "satisfaction": {"text": "Dans l’ensemble, êtes-vous satisfait de notre service ?",
                         "why": "Nous le mesurons chaque mois pour savoir si nous progressons.",
                         "options": ["Très insatisfait", "Insatisfait", "Ni satisfait ni insatisfait", "Satisfait",
                                     "Très satisfait"]},
        "resolved": {"text": "Votre problème a-t-il été résolu ?",
                     "why": "Un membre de l’équipe reprend contact pour tout problème non résolu."},
        "effort": {"text": "L’entreprise m’a facilité la résolution de mon problème.",
                   "options": ["Pas du tout d’accord", "Pas d’accord", "Plutôt pas d’accord", "Neutre",
                               "Plutôt d’accord", "D’accord", "Tout à fait d’accord"]},
        # (A matrix's scale has no translation in the format yet: its labels stay in English.)
        "aspects": {"text": "Comment nous sommes-nous débrouillés sur chacun de ces points ?",
                    "statements": {key: french for key, _text, french, _shift, _spread in ASPECTS}},
        "channel": {"text": "Comment nous avez-vous contactés ?",
                    "options": ["Téléphone", "E-mail", "Chat", "En magasin"]},
        "what_went_wrong": {"text": "Vous nous avez donné {answers.satisfaction}. Qu’est-ce qui n’a pas été ?",
                            "why": "Demandé seulement après une note basse : un membre de l’équipe le lit."},
        "comment": {"text": "Que devrions-nous améliorer ?",
                    "why": "Nous lisons chaque commentaire ; les plus fréquents deviennent des changements publiés."},
    },
}


def _with_aspects():
    """The support survey's starter with the matrix of parts of the service after the overall rating."""
    definition = json.loads((starters.FOLDER / "support-csat.json").read_text(encoding="utf-8"))
    definition["questions"].insert(1, {
        "key": "aspects", "type": "matrix", "text": "How did we do on each of these?", "section": "experience",
        "scale": ["Very poor", "Poor", "Fair", "Good", "Very good"],
        "statements": [{"key": key, "text": text} for key, text, _french, _shift, _spread in ASPECTS]})
    return parse_survey(definition)


def _contacts(rng: random.Random, now: datetime) -> dict[str, list[Contact]]:
    by_location: dict[str, list[Contact]] = {}
    for location in LOCATIONS:
        by_location[location] = [
            Contact(email=f"{location.lower()}.customer{i}@example.com", name=f"Customer {i} ({location})",
                    attributes={"location": location, "team": rng.choice(TEAMS),
                                "touchpoint": rng.choice(TOUCHPOINTS), "language": "fr" if i % 5 == 0 else "en"},
                    created_at=now - timedelta(days=600))
            for i in range(1, 201)
        ]
        db.session.add_all(by_location[location])
    db.session.flush()
    return by_location


AnswerRow = tuple[str, int | None, str | None, float | None]  # question key, value_int, value_text, sentiment


def _responses(survey: Survey, contacts: dict[str, list[Contact]], rng: random.Random, now: datetime):
    version = survey.current_version
    timezone = current_app.config["TIMEZONE"]
    if (channel_question := version.question("channel")) is None:
        raise DemoError("the support survey's starter has no channel question")
    rows: list[dict[str, object]] = []
    answers: list[list[AnswerRow]] = []
    for months_ago in range(MONTHS - 1, -1, -1):
        start = _month_start(now, months_ago)
        end = now if months_ago == 0 else _month_start(now, months_ago - 1)
        for location, per_month in LOCATIONS.items():
            count = per_month if months_ago else max(1, round(per_month * ((now - start) / timedelta(days=30))))
            for score in _satisfaction_scores(rng, _top_box_chance(location, months_ago), count):
                contact = rng.choice(contacts[location])
                moment = start + (end - start) * rng.random()
                rows.append({"respondent_key": f"demo:{len(rows)}", "survey_id": survey.id, "version_id": version.id,
                             "contact_id": contact.id, "source": "import", "submitted_at": moment,
                             "local_date": local_date(moment, timezone),
                             "updated_at": moment, "revisions_count": 1, "quote_consent": rng.random() < 0.5,
                             "contact_consent": score <= 2 or rng.random() < 0.2,
                             "attributes": dict(contact.attributes),
                             "language": contact.attributes["language"],
                             # The starter asks "What went wrong?" only after a low rating (display logic).
                             "not_asked": [] if score <= 2 else ["what_went_wrong"]})
                language = contact.attributes["language"]
                slow = location == "Leeds" and months_ago <= 1
                given: list[AnswerRow] = [
                    ("satisfaction", score, None, None),
                    ("resolved", int(score >= 3 or rng.random() < 0.3), None, None),
                    ("effort", min(7, max(1, score + 2 + rng.choice([-2, -1, 0, 0, 1, 2]))), None, None)]
                rated = {key: min(5, max(1, round(score + shift - (LEEDS_WAIT_DROP if slow and key == "wait" else 0)
                                                  + rng.gauss(0, spread))))
                         for key, _text, _french, shift, spread in ASPECTS}
                given += [(f"aspects.{key}", value, None, None) for key, value in rated.items()]
                channel = rng.randrange(4)
                given.append(("channel", channel + 1, channel_question.options[channel], None))
                bank = (COMMENTS_FR if language == "fr" else COMMENTS)[score]
                if rated["wait"] <= 2 and rng.random() < 0.7:
                    bank = WAITING[language]  # a bad wait is what they write about
                key = "what_went_wrong" if score <= 2 and rng.random() < 0.6 else \
                    "comment" if rng.random() < (0.5 if slow and bank is WAITING[language] else 0.35) else None
                if key:
                    text = rng.choice(bank)
                    given.append((key, None, text, sentiments.score(text, language)))
                answers.append(given)
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), rows).all()
    db.session.execute(insert(Answer), [
        {"response_id": rid, "question_key": key, "value_int": value_int, "value_text": value_text,
         "sentiment": sentiment}
        for rid, given in zip(ids, answers, strict=True) for key, value_int, value_text, sentiment in given
    ])
    return len(ids)


def seed(*, now: datetime) -> DemoLogin:
    if db.session.scalar(select(User).where(User.email == DEMO_EMAIL)):
        raise DemoError(f"the demo is already loaded (user {DEMO_EMAIL} exists)")
    rng = random.Random(2026)
    password = secrets.token_urlsafe(12)
    admin = accounts.create_user(DEMO_EMAIL, password, "admin", now=now, name="Demo Manager")
    admin.notify_alerts = admin.notify_scorecard = True
    leeds = accounts.create_user(LEEDS_EMAIL, password, "analyst", now=now, name="Leeds Manager")
    scopes.set_user_scope(leeds, {"location": ["Leeds"]}, attributes=("location",), actor="cli", actor_id=None,
                          now=now)
    leeds_agent = accounts.create_user(LEEDS_AGENT_EMAIL, password, "agent", now=now, name="Leeds Agent")
    scopes.set_user_scope(leeds_agent, {"location": ["Leeds"]}, attributes=("location",), actor="cli",
                          actor_id=None, now=now)
    support_agent = accounts.create_user(SUPPORT_AGENT_EMAIL, password, "agent", now=now, name="Support Agent")
    created = now - timedelta(days=31 * MONTHS + 10)
    surveys = {}
    for name in ("support-csat", "nps-relationship", "complaint"):
        spec = starters.starter(name).spec
        if name == "support-csat":
            spec = replace(_with_aspects(), translations={"fr": FRENCH})
        surveys[name] = authoring.create_survey(spec, actor=admin, now=created, publish=True)
    contacts = _contacts(rng, now)
    _responses(surveys["support-csat"], contacts, rng, now)
    rollups.rebuild(surveys["support-csat"].id)
    db.session.commit()
    _changes(surveys["support-csat"], admin, now)
    _themes(surveys["support-csat"], admin, now)
    causes = _teams(admin, (leeds, leeds_agent), (support_agent,), now)
    _followups(surveys["support-csat"], admin, rng, now, causes)
    login = DemoLogin(external_url("auth.login_page"), DEMO_EMAIL, password)
    _remember(login)
    return login


# (title, you said, we did, category, status, days ago, the comment that asked for it)
DEMO_CHANGES = [
    ("Call-backs within one working day", "Nobody called you back, and you had to chase us.",
     "Every request for a call-back now has an owner and a **one working day** deadline, and the team lead "
     "sees overdue call-backs each morning.", "Support", ChangeStatus.DONE, 20, "Nobody called me back."),
    ("Delivery slots you can change online", "Missed delivery slots meant a day off work for nothing.",
     "You can now move your delivery slot online until 8 pm the evening before.", "Deliveries",
     ChangeStatus.IN_PROGRESS, 45, "The delivery slot was missed again."),
    ("One person for your case from start to end", "You were passed between several people.",
     "We are trialling a single case owner in Leeds; if it works we will roll it out everywhere.", "Support",
     ChangeStatus.PLANNED, -10, "I was passed between four people."),
]


def _changes(survey: Survey, admin: User, now: datetime) -> None:
    """Published changes linked to the Leeds responses that asked for them (with their consented quotes)."""
    for number, (title, said, did, category, status, days_ago, comment) in enumerate(DEMO_CHANGES):
        asked = db.session.scalars(
            select(Response).join(Answer).where(Response.survey_id == survey.id, Answer.question_key == "comment",
                                                Answer.value_text == comment)
            .order_by(Response.submitted_at.desc()).limit(8)).all()
        data = changes.ChangeInput(title, said, did, category, status, (now - timedelta(days=days_ago)).date(),
                                   impact_survey=survey.slug if number == 0 else "",
                                   impact_question="satisfaction" if number == 0 else "",
                                   impact_segment="location=Leeds" if number == 0 else "")
        entry = changes.save_change(None, data, actor_id=admin.id, now=now)
        changes.set_links(entry, response_ids=[r.id for r in asked], alert_ids=[], now=now)
        for response, texts in changes.quotable(entry)[:1]:
            changes.add_quote(entry, response.id, texts[0], now=now)
        # The first one measures Leeds' satisfaction, which is still falling: the demo publishes the numbers
        # (an editor's explicit choice), to show the impact box as customers see it.
        changes.publish(entry, now=now, impact_numbers=True if number == 0 else None)


# The starter's written answers: a low rating's "What went wrong?" (display logic) or the closing comment; a
# response has one or the other.
TEXT_KEYS = ("comment", "what_went_wrong")


def _themes(survey: Survey, admin: User, now: datetime) -> None:
    for text, tag in THEMES.items():
        tagged = select(Answer.response_id, literal(tag), literal(now), literal(admin.id)).join(Response).where(
            Response.survey_id == survey.id, Answer.question_key.in_(TEXT_KEYS), Answer.value_text == text)
        db.session.execute(insert(ResponseTag).from_select(
            ["response_id", "tag", "created_at", "created_by_id"], tagged))
    db.session.commit()


# (code, meaning, weight): what the demo's closed cases were caused by; late deliveries recur most.
ROOT_CAUSES = [("LATE-DELIVERY", "The delivery came late or not at all", 5),
               ("BILLING-ERROR", "A wrong or unexpected charge", 3),
               ("NO-CALLBACK", "We promised to call back and did not", 2), ("OTHER", "Something else", 1)]
UK_HOLIDAYS = "2026-12-25\n2026-12-28\n2027-01-01\n2027-04-02\n2027-04-05"


def _teams(admin: User, leeds_staff: tuple[User, ...], other_staff: tuple[User, ...],
           now: datetime) -> list[tuple[int, int]]:
    """Two teams with different standards: the Leeds store (long hours and Saturday mornings, a four-hour
    first contact, complaints first; led by the Leeds manager) and everyone else (office hours, a working
    day; led by the demo manager), each with its staff; root-cause codes. Returns (root cause id, weight)
    pairs."""
    weekdays, closed = ("08:00", "18:00"), ("", "")
    store = teams.save_team(None, followups.TeamInput(
        name="Leeds store", lead_id=leeds_staff[0].id, rule_attribute="location", rule_values="Leeds",
        timezone="Europe/London", hours=(weekdays,) * 5 + (("09:00", "13:00"), closed), holidays=UK_HOLIDAYS,
        first_contact_hours="4", resolve_hours="24",
        priorities={"complaint": "high", "low_score": "normal", "contact_request": "normal"}), now=now)
    default = teams.ensure_default_team(now=now)
    teams.save_team(default, followups.TeamInput(
        name="Everywhere else", lead_id=admin.id, timezone="Europe/London",
        hours=(("09:00", "17:00"),) * 5 + (closed, closed), holidays=UK_HOLIDAYS, first_contact_hours="8",
        resolve_hours="40"), now=now)
    for team, staff in ((store, leeds_staff), (default, other_staff)):
        for person in staff:
            teams.add_member(team, person, now=now)
    return [(teams.add_root_cause(code, label).id, weight) for code, label, weight in ROOT_CAUSES]


def _followups(survey: Survey, admin: User, rng: random.Random, now: datetime,
               causes: list[tuple[int, int]]) -> None:
    """Cases for the last six weeks' unhappy customers, as if opened when they answered; most older ones
    worked (called in time or late, some unreachable), the recent ones still waiting."""
    questions = survey.current_version.questions
    recent = db.session.scalars(select(Response).where(Response.survey_id == survey.id,
                                                       Response.submitted_at >= now - timedelta(days=42))).all()
    for response in recent:
        values: dict[str, object] = {a.question_key: a.value_int for a in response.answers if a.value_int is not None}
        case_id = followups.open_for_response(response, questions, values, now=response.submitted_at)
        if case_id is None:
            continue
        case = db.session.get_one(FollowUpCase, case_id)
        if case.due_at < now - timedelta(days=2):
            case.owner_id = admin.id
            case.first_contact_at = case.opened_at + timedelta(hours=rng.choice([2, 5, 20, 30, 50]))
            case.status = rng.choices([CaseStatus.RESOLVED, CaseStatus.UNREACHABLE, CaseStatus.CONTACTED],
                                      weights=[7, 1, 2])[0]
            if case.status != CaseStatus.CONTACTED:
                case.resolved_at = case.first_contact_at + timedelta(hours=rng.randrange(1, 48))
                case.problem_fixed = case.status == CaseStatus.RESOLVED and rng.random() < 0.85
            if case.status == CaseStatus.RESOLVED:
                case.root_cause_id = rng.choices([c for c, _ in causes], weights=[w for _, w in causes])[0]
            case.escalated_at = case.due_at if case.first_contact_at > case.due_at else None
    db.session.commit()


def _login_file() -> Path:
    return Path(current_app.instance_path) / "demo-login.txt"


def remembered_login() -> str | None:
    """The demo login written when the demo was loaded, so `make run` can print it on every start."""
    path = _login_file()
    return path.read_text().strip() if path.exists() else None


def _remember(login: DemoLogin) -> None:
    path = _login_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(login.describe() + "\n")
    path.chmod(0o600)

"""`flask --app app <command>`: each command parses its input, calls one domain function, reports.
Rejected input exits 1 with a message saying what and where; usage errors exit 2 (click's default)."""
from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from datetime import UTC, date, datetime

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from survey import accounts, authoring, changes, followups, mail, outreach
from survey.accounts import api_tokens, people, scopes, two_factor
from survey.addresses import InvalidAddress, normalise_email
from survey.alerts import trends
from survey.authoring import translator_files
from survey.authoring.definitions import DefinitionError, parse_survey, survey_definition
from survey.background import dispatch, jobs
from survey.cli import demo, deploy_checks
from survey.cli import jobs as cli_jobs
from survey.clock import local_date, outside_calendar, utcnow
from survey.extensions import migrations
from survey.links import external_url
from survey.models import ROLES
from survey.outreach import contacts, erasures
from survey.outreach.invitations import personal_invitation
from survey.results import dashboard, scorecard
from survey.results.filters import ResultsFilter, parse_filter
from survey.results.settings import Settings
from survey.strict_json import JsonError, parse_json
from survey.transfer import archives, audit_log, exports, results_export
from survey.wording import plural


def _survey(slug: str):
    survey = authoring.find_survey(slug)
    if survey is None:
        raise click.ClickException(f"no survey with the slug {slug!r}")
    return survey


class Moment(click.ParamType):
    """Every option that takes a date or a time (--now, --at, --since, --from, --to): ISO 8601 as people
    paste it — `2026-10-01`, `2026-10-01 09:30`, `2026-10-01T09:30:00Z`, `2026-10-01T09:30:00+01:00`.

    A time with an offset (or `Z`) is that moment, converted to naive UTC, the form everything is stored in
    (survey/clock.py); without one it is already UTC, and a date alone is midnight UTC. With `day=True` the
    option takes a day (a date, no time): --from and --to are days in the organisation's time zone, which a
    moment elsewhere does not name. Within Hearken's calendar (clock.outside_calendar): a --now in the year
    1 would step into periods before it, which are no dates at all. Any problem is click's usage error
    (exit 2), naming the option and the value, whichever option carried it."""

    EXAMPLES = "e.g. 2026-10-01, 2026-10-01T09:30 or 2026-10-01T09:30:00+01:00"

    def __init__(self, *, day: bool = False):
        self.day = day
        self.name = "date" if day else "datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, date):  # a default, or a value converted before
            return value
        text = str(value).strip()
        shown = repr(text[:40] + ("…" if len(text) > 40 else ""))
        if text[-1:] == "z":
            text = text[:-1] + "Z"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{shown} is not an ISO 8601 {'date (YYYY-MM-DD)' if self.day else 'date or time'}"
                      f"{'' if self.day else ' (' + self.EXAMPLES + ')'}", param, ctx)
        if self.day:
            try:
                date.fromisoformat(text)
            except ValueError:
                self.fail(f"{shown} is a time; this option takes a day (YYYY-MM-DD, in the organisation's "
                          "time zone)", param, ctx)
        if problem := outside_calendar(moment.date()):
            self.fail(problem, param, ctx)
        if self.day:
            return moment.date()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
            if problem := outside_calendar(moment.date()):
                self.fail(f"{shown} is {moment:%Y-%m-%d %H:%M} UTC: {problem}", param, ctx)
        return moment


TIME, DAY = Moment(), Moment(day=True)


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--name", default="", help="Display name.")
def create_user_command(email: str, role: str, name: str):
    """Create a manager account. The password comes from HEARKEN_PASSWORD or a prompt."""
    password = os.environ.get("HEARKEN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password, role, now=utcnow(), name=name)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("invite-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
def invite_user_command(email: str, role: str):
    """Invite a colleague: an email with a one-time link to choose their name and password (sent by the
    dispatcher, like every email). The link is printed too, for when email is not set up yet."""
    try:
        user, link = people.invite(email, role, actor=None, now=utcnow())
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Invited {user.email} as {user.role}; the link works for {people.invitation_lifetime().days} days:")
    click.echo(link)


@click.command("reset-2fa")
@with_appcontext
@click.argument("email")
def reset_two_factor_command(email: str):
    """Turn off someone's two-factor authentication (they lost their phone and their recovery codes)."""
    user = people.find_person(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email.strip()!r}")
    try:
        two_factor.reset(user, actor=None, now=utcnow())
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Two-factor authentication is off for {user.email}.")


@click.command("import-survey")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--draft", is_flag=True, help="Keep a new survey as a draft instead of publishing it.")
def import_survey_command(file, draft: bool):
    """Create a survey from a JSON definition, or publish it as a new version of the existing slug."""
    try:
        spec = parse_survey(parse_json(file.read()))
        survey, created = authoring.import_survey(spec, actor=None, now=utcnow(), publish=not draft)
    except JsonError as error:
        raise click.ClickException(f"{file.name}: {error.message}") from None
    except DefinitionError as error:
        raise click.ClickException(f"{file.name}:\n  " + "\n  ".join(error.problems)) from None
    except authoring.AuthoringError as error:
        raise click.ClickException(f"{file.name}: {error}") from None
    action = "created" if created else f"published version {survey.current_version.number} of"
    click.echo(f"{action} {survey.slug} ({survey.status})")


@click.command("export-survey")
@with_appcontext
@click.argument("slug")
def export_survey_command(slug: str):
    """Print the survey's current definition as JSON."""
    survey = _survey(slug)
    click.echo(json.dumps(survey_definition(survey.slug, survey.current_version), indent=2, ensure_ascii=False))


@click.command("export-translations")
@with_appcontext
@click.argument("slug")
@click.argument("language")
@click.option("--output", type=click.File("wb"), default="-", help="Write the PO file here (default: stdout).")
def export_translations_command(slug: str, language: str, output):
    """Write the survey's texts as a PO file for a translator into LANGUAGE (fr, de, pt-BR …)."""
    try:
        output.write(translator_files.export_po(_survey(slug), language, utcnow()))
    except translator_files.TranslationFileError as error:
        raise click.ClickException("; ".join(error.problems)) from None


@click.command("import-translations")
@with_appcontext
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
def import_translations_command(slug: str, file):
    """Store a translator's PO file as the survey's texts in its language, and say what is missing."""
    try:
        report = translator_files.import_po(_survey(slug), file.read(), now=utcnow())
    except translator_files.TranslationFileError as error:
        raise click.ClickException(f"{file.name}: nothing imported:\n  " + "\n  ".join(error.problems)) from None
    click.echo("\n".join(report.lines()))


@click.command("survey-link")
@with_appcontext
@click.argument("slug")
@click.option("--email", help="Print a personal link for this contact (created if new).")
def survey_link_command(slug: str, email: str | None):
    """Print the public link of a survey, or a personal token link for one contact."""
    survey = _survey(slug)
    if not email:
        click.echo(external_url("respond.public_survey", slug=survey.slug))
        return
    try:
        invitation = personal_invitation(survey, email, now=utcnow())
    except InvalidAddress as error:
        raise click.ClickException(str(error)) from None
    click.echo(external_url("respond.personal_survey", token=invitation.token))


BOM_HELP = ("Start the CSV with a UTF-8 byte-order mark, so Excel opens it with accents intact (the web "
            "downloads have one; by default the command line writes none).")


@click.command("export-responses")
@with_appcontext
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl", "xlsx"]), default="csv",
              show_default=True, help="csv: the import format; json: one array; jsonl: one object per line; "
                                      "xlsx: an Excel workbook (needs --output).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout.")
@click.option("--since", type=TIME,
              help="Only responses given or changed at or after this time (ISO 8601; UTC unless it has an "
                   "offset; a date alone is midnight UTC).")
@click.option("--from", "start", type=DAY, help="Only responses given on or after this day (YYYY-MM-DD, local time).")
@click.option("--to", "end", type=DAY, help="Only responses given on or before this day (YYYY-MM-DD, local time).")
@click.option("--where", help="Only one segment: ATTRIBUTE=VALUE, e.g. location=Leeds.")
@click.option("--version", help="Only responses to this survey version (a number).")
@click.option("--search", help="Only responses whose written answers contain this text.")
@click.option("--tag", help="Only responses tagged with this theme.")
@click.option("--bom", is_flag=True, help=BOM_HELP)
def export_responses_command(slug: str, fmt: str, output: str | None, since: datetime | None, bom: bool, **filters):
    """Stream the responses of a survey (all of them, or those the filter options select)."""
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a binary workbook: give --output FILE.")
    if bom and fmt != "csv":
        raise click.UsageError("--bom is for --format csv: only a CSV file starts with a byte-order mark.")
    survey = _survey(slug)
    chosen = _results_filter(filters)
    selection = exports.filtered(survey, chosen, today=_today(), since=since)
    audit_log.record_export("responses", f"survey:{survey.id}", now=utcnow(), fmt=fmt,
                            filter_args={**chosen.args(), **({"since": since.isoformat()} if since else {})})
    if fmt == "xlsx":
        assert output  # required for xlsx, checked first thing
        with _open_output(output, "wb") as out:
            exports.write_xlsx(selection, out)
        return
    with _open_output(output, "w") if output else nullcontext(sys.stdout) as out:
        if fmt == "csv":
            exports.write_csv(selection, out, bom=bom)
        else:
            exports.write_json(selection, out, lines=fmt == "jsonl")


def _open_output(path: str, mode: str):
    try:
        return open(path, mode) if "b" in mode else open(path, mode, encoding="utf-8", newline="")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None


def _results_filter(options: dict) -> ResultsFilter:
    """The results filter from the command's options (the web's query arguments, by the same names)."""
    # --from and --to arrive as dates (Moment(day=True) read them); the filter reads the web's text.
    days = {name: day.isoformat() for name in ("start", "end") if (day := options.get(name)) is not None}
    given = {"from": days.get("start"), "to": days.get("end"), "where": options.get("where"),
             "version": options.get("version"), "q": options.get("search"), "tag": options.get("tag"),
             "period": options.get("period")}
    args = {name: value for name, value in given.items() if value is not None}
    parsed = parse_filter(args, segment_names=Settings.from_config(current_app.config).segment_names)
    if parsed.problems:
        names = {"from": "--from", "to": "--to", "where": "--where", "version": "--version", "period": "--period"}
        problem = parsed.problems[0]
        raise click.ClickException(names.get(problem.split(":")[0], "") + problem[problem.find(":"):])
    return parsed.filter


def _today():
    return local_date(utcnow(), current_app.config["TIMEZONE"])


@click.command("export-results")
@with_appcontext
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(results_export.FORMATS), default="csv", show_default=True,
              help="csv or jsonl to stdout or --output; xlsx needs --output.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout.")
@click.option("--from", "start", type=DAY,
              help="First day (YYYY-MM-DD, local time); default: the last 12 complete periods.")
@click.option("--to", "end", type=DAY, help="Last day, inclusive.")
@click.option("--where", help="Only one segment: ATTRIBUTE=VALUE, e.g. location=Leeds.")
@click.option("--version", help="Only responses to this survey version (a number).")
@click.option("--period", help="week, month (the default) or quarter.")
@click.option("--bom", is_flag=True, help=BOM_HELP)
def export_results_command(slug: str, fmt: str, output: str | None, bom: bool, **filters):
    """The results page's numbers as rows: trend per period, segments, answer counts, the latest change."""
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a binary workbook: give --output FILE.")
    if bom and fmt != "csv":
        raise click.UsageError("--bom is for --format csv: only a CSV file starts with a byte-order mark.")
    survey = _survey(slug)
    chosen = _results_filter(filters)
    audit_log.record_export("results", f"survey:{survey.id}", now=utcnow(), fmt=fmt, filter_args=chosen.args())
    board = dashboard.build(survey, chosen, today=_today(), settings=Settings.from_config(current_app.config))
    with (_open_output(output, "wb" if fmt == "xlsx" else "w") if output else nullcontext(sys.stdout)) as out:
        results_export.write_results(board, out, fmt, bom=bom)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has surveys.")
def seed_demo_command(if_empty: bool):
    """Load a realistic demo: surveys, contacts in several locations and 18 months of responses."""
    if if_empty and not demo.database_is_empty():
        click.echo(demo.remembered_login() or "The database already has data; demo not loaded.")
        return
    try:
        login = demo.seed(now=utcnow())
    except demo.DemoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(login.describe())


@click.command("send-survey")
@with_appcontext
@click.argument("slug")
@click.option("--where", "where", multiple=True, metavar="ATTR=VALUE",
              help="Only contacts with this attribute value; repeat for more (same attribute: any of them).")
@click.option("--at", "at", type=TIME,
              help="Send at this time (ISO 8601, UTC unless it has an offset) instead of now.")
@click.option("--reminders", type=click.IntRange(0, outreach.MAX_REMINDERS), default=0, show_default=True,
              help="Reminders to contacts who have not answered.")
@click.option("--reminder-days", type=click.IntRange(1, 60), default=3, show_default=True,
              help="Days between the invitation and each reminder.")
@click.option("--subject", help="The email's subject; may name the contact: {contact.name|there}.")
@click.option("--opening", help="The email's opening line (after the greeting); may name the contact.")
@click.option("--sender-name", help="The name the email comes from (the address stays MAIL_FROM's).")
@click.option("--dry-run", is_flag=True,
              help="Only say who would be invited (counts and a sample) if sent now, and show the email of the "
                   "first; send nothing.")
def send_survey_command(slug: str, where: tuple[str, ...], at: datetime | None, reminders: int, reminder_days: int,
                        subject: str | None, opening: str | None, sender_name: str | None, dry_run: bool):
    """Start a campaign: email the survey to every contact, or to a segment, now or later."""
    survey = _survey(slug)
    now = utcnow()
    try:
        segment = outreach.parse_segment(where)
        wording = outreach.check_wording(subject, opening, sender_name)
        if dry_run:
            audience = outreach.preview_audience(segment, now=max(at or now, now))
            email = outreach.preview_email(survey, segment, wording, now=max(at or now, now))
        else:
            campaign, report = outreach.send_campaign(survey, segment=segment, at=at, reminders=reminders,
                                                      reminder_days=reminder_days, now=now, wording=wording)
    except outreach.OutreachError as error:
        raise click.ClickException(str(error)) from None
    if dry_run:
        click.echo(f"{plural(audience.matched, 'contact')} {'matches' if audience.matched == 1 else 'match'}; "
                   f"{audience.skipped_cap} skipped by the frequency cap, "
                   f"{audience.skipped_unsubscribed} unsubscribed; {audience.invited} would be invited")
        for contact in audience.sample:
            click.echo(f"  {mail.address(contact.name, contact.email)}")
        click.echo(f"\nFrom: {email.sender}\nSubject: {email.rendered.subject}\n\n{email.rendered.text}")
        return
    if report is None:
        click.echo(f"campaign {campaign.id} scheduled for {campaign.scheduled_at:%Y-%m-%d %H:%M} UTC; "
                   "`flask dispatch --loop` sends it then")
        return
    click.echo(f"campaign {campaign.id}: {report.matched} contacts matched, {report.queued} invitations queued, "
               f"{report.skipped_cap} skipped by the frequency cap, {report.skipped_unsubscribed} unsubscribed")


@click.command("dispatch")
@with_appcontext
@click.option("--once", "mode", flag_value="once", default=True, help="One pass, then exit (the default).")
@click.option("--loop", "mode", flag_value="loop", help="Keep running: a pass every HEARKEN_DISPATCH_INTERVAL s.")
def dispatch_command(mode: str):
    """Send due email: invitations, reminders and notifications; launch due campaigns."""
    if mode == "loop":
        dispatch.run_forever(interval=current_app.config["DISPATCH_INTERVAL"],
                             detect_every=current_app.config["DETECT_INTERVAL"], echo=click.echo)
        return
    report = dispatch.run_once()
    click.echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}, "
               f"cancelled {report.cancelled}")
    hooks = report.webhooks
    if hooks.delivered + hooks.retried + hooks.failed:
        click.echo(f"webhooks: {hooks.delivered} delivered, {hooks.retried} retrying, {hooks.failed} failed")
    for line in report.errors:
        click.echo(f"  {line}", err=True)


@click.command("create-api-token")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the token may do.")
@click.option("--scope", "conditions", multiple=True, metavar="ATTR=VALUE",
              help="Limit the token's data to customers with this attribute value (repeatable; a repeated "
                   "attribute allows either value, different attributes must all hold).")
def create_api_token_command(name: str, role: str, conditions: tuple[str, ...]):
    """Create an API token for another system. It is printed once and stored only as a hash."""
    try:
        scope = scopes.check(scopes.parse_pairs(conditions), attributes=_segment_names())
        _token, secret = api_tokens.create_token(name, role, now=utcnow(), scope=scope)
    except (api_tokens.TokenError, scopes.ScopeError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(secret)


def _segment_names() -> tuple[str, ...]:
    return Settings.from_config(current_app.config).segment_names


@click.command("set-scope")
@with_appcontext
@click.argument("email")
@click.argument("conditions", nargs=-1, metavar="[ATTR=VALUE]...")
@click.option("--clear", is_flag=True, help="Remove the scope: the person sees everything their role allows.")
def set_scope_command(email: str, conditions: tuple[str, ...], clear: bool):
    """Limit what a person sees to customers with these attribute values (location=Leeds; a repeated
    attribute allows either value, different attributes must all hold), or --clear it."""
    if clear == bool(conditions):
        raise click.UsageError("give ATTR=VALUE conditions, or --clear (not both)")
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the address {email.strip()[:320]!r}")
    try:
        wanted = {} if clear else scopes.parse_pairs(conditions)
        names = _segment_names()
        scope = scopes.set_user_scope(user, wanted, attributes=names, actor="cli", actor_id=None, now=utcnow())
    except scopes.ScopeError as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    known = scopes.known_values(names)
    for name, values in scope.conditions if scope else ():
        for value in values:
            if value not in known.get(name, []):
                click.echo(f"note: no response or contact has {name}={value} yet", err=True)
    click.echo(f"{user.email} now sees {scopes.describe(user.scope)}.")


@click.command("revoke-api-token")
@with_appcontext
@click.argument("name")
def revoke_api_token_command(name: str):
    """Stop an API token working at once (its record and last use are kept)."""
    token = api_tokens.find_token(name)
    if token is None:
        raise click.ClickException(f"no API token named {name!r}")
    api_tokens.revoke_token(token, now=utcnow())
    click.echo(f"revoked {name!r}")


@click.command("detect-trends")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print every significant finding as JSON (docs/formats.md).")
@click.option("--now", type=TIME,
              help="Detect as if it were this time (ISO 8601, UTC unless it has an offset); the latest "
                   "complete period is the one before it.")
def detect_trends_command(as_json: bool, now: datetime | None):
    """Test every survey, rating/NPS/number/ranking question and segment; store new alerts and email subscribers."""
    try:
        report = trends.run(now=now or utcnow())
    except trends.TrendError as error:
        raise click.ClickException(str(error)) from None
    findings = report.detection.findings
    if as_json:
        click.echo(json.dumps([{**f.as_json(), "new": report.is_new(f)} for f in findings], indent=2,
                              ensure_ascii=False))
        return
    click.echo(f"{report.surveys} surveys, {report.detection.tests_run} tests, {len(findings)} significant, "
               f"{len(report.new_alerts)} new alerts, {len(report.detection.shortfalls)} series with too few "
               "responses")
    for finding in findings:
        click.echo(f"  {'NEW ' if report.is_new(finding) else ''}{finding.direction}: {trends.describe(finding)}")


@click.command("send-scorecards")
@with_appcontext
@click.option("--now", type=TIME,
              help="Send as if it were this time (ISO 8601, UTC unless it has an offset): the scorecard covers "
                   "the last complete week before it.")
def send_scorecards_command(now: datetime | None):
    """Queue the weekly staff scorecard for everyone who opted in (once per person and week)."""
    queued = scorecard.send_scorecards(now=now or utcnow(), cases=followups.scorecard_cases)
    click.echo(f"{queued} scorecard{'s' if queued != 1 else ''} queued")


@click.command("check-deploy")
@with_appcontext
def check_deploy_command():
    """List every unsafe production setting; exit 1 if there is any."""
    found = deploy_checks.problems(current_app.config, os.environ)
    for problem in found:
        click.echo(f"- {problem}")
    if found:
        click.echo(f"{len(found)} setting{'s' if len(found) != 1 else ''} to fix before going live "
                   "(docs/deployment.md).")
        raise SystemExit(1)
    click.echo("No unsafe settings found.")


@click.command("import-contacts")
@with_appcontext
@click.argument("file", type=click.File("rb"))
def import_contacts_command(file):
    """Upsert contacts from CSV: email (required), name, and any other column as a segment attribute."""
    report = contacts.import_contacts(file, now=utcnow())
    for line, reason in report.errors:
        click.echo(f"{file.name}: line {line}: {reason}", err=True)
    if report.file_error:
        raise click.ClickException(f"{file.name}: {report.summary()}")
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


def _refuse_file(file, problems, summary: str):
    """Every problem on its own line (stderr), then exit 1 with the summary."""
    for problem in problems:
        click.echo(f"{file.name}: {problem}", err=True)
    raise click.ClickException(f"{file.name}: {summary}")


@click.command("import-responses")
@with_appcontext
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
def import_responses_command(slug: str, file):
    """Import historical responses from CSV into a survey: all or nothing; every problem names its row and
    column. Rows imported before (the same content) are skipped. Shows its progress on a terminal."""
    survey = _survey(slug)
    job = cli_jobs.run_here("response_import", file, actor="cli", survey=survey,
                            input_name=jobs.file_name(file.name))
    cli_jobs.refused_or_failed(job, file.name)
    click.echo(jobs.result_line(job))


@click.command("export-archive")
@with_appcontext
@click.argument("slug")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout.")
def export_archive_command(slug: str, output: str | None):
    """Write a survey with every version and every response as one JSON archive, for import-archive on
    another Hearken."""
    survey = _survey(slug)
    audit_log.record_export("responses", f"survey:{survey.id}", now=utcnow(), fmt="archive", filter_args={})
    with _open_output(output, "w") if output else nullcontext(sys.stdout) as out:
        count = archives.write_archive(survey, out, now=utcnow())
    if output:  # on stdout, only the archive
        versions = len(survey.versions)
        click.echo(f"wrote {survey.slug} ({versions} version{'s' if versions != 1 else ''}, {count} "
                   f"response{'s' if count != 1 else ''}) to {output}")


@click.command("import-archive")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--slug", help="Create the survey under this address instead of the archive's.")
def import_archive_command(file, slug: str | None):
    """Create a survey, its versions and its responses from an archive written by export-archive."""
    try:
        outcome = archives.import_archive(file, slug=slug, now=utcnow(), actor="cli")
    except archives.ArchiveError as error:
        _refuse_file(file, error.problems, str(error))
    click.echo(outcome.summary())


@click.command("erase-contact")
@with_appcontext
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_contact_command(email: str, yes: bool):
    """Erase a contact's personal data on request; their answers stay, anonymised."""
    try:
        address = normalise_email(email)
    except InvalidAddress as error:
        raise click.ClickException(str(error)) from None
    contact = contacts.find_contact(address)
    if contact is None:
        raise click.ClickException(f"no contact with the email {address}")
    if not yes:
        click.confirm(f"Erase {address} for good?", abort=True)
    count = contacts.erase_contact(contact, actor="cli", actor_id=None, now=utcnow())
    click.echo(f"Erased the contact; {count} responses kept anonymised.")


@click.command("forget-erasure")
@with_appcontext
@click.argument("email")
def forget_erasure_command(email: str):
    """Let imports add an erased customer again, at their own request (deletes the address's tombstone)."""
    try:
        address = normalise_email(email)
    except InvalidAddress as error:
        raise click.ClickException(str(error)) from None
    if not erasures.forget(address, now=utcnow(), actor="cli"):
        raise click.ClickException(f"no erasure is recorded for {address}")
    click.echo(f"{address} may be imported again; nothing of their past was kept.")


@click.command("changes-digest")
@with_appcontext
@click.option("--quarter", required=True, metavar="YYYYQn", help="e.g. 2026Q3")
@click.option("--send", is_flag=True, help="Queue it for every opted-in customer (default: preview only).")
def changes_digest_command(quarter: str, send: bool):
    """The quarter's digest for customers who agreed to be contacted (the three biggest things done, then
    what is in progress and planned): preview, then --send."""
    try:
        prepared = changes.digest(quarter, now=utcnow())
        if not send:
            click.echo(f"Subject: {prepared.subject}\nTo: {prepared.recipients} customers\n\n{prepared.text}")
            return
        count = changes.send_digest(quarter, now=utcnow())
    except changes.ChangeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Queued the {prepared.quarter} digest for {count} customers; `flask dispatch` sends it.")


@click.command("purge-audit")
@with_appcontext
def purge_audit_command():
    """Delete audit log entries older than HEARKEN_AUDIT_RETENTION_DAYS (the dispatcher does it every pass)."""
    removed = audit_log.purge_expired(now=utcnow())
    click.echo(f"Deleted {plural(removed, 'audit entry', 'audit entries')} older than "
               f"{plural(audit_log.retention_days(), 'day')}.")


COMMANDS = [create_user_command, invite_user_command, reset_two_factor_command, import_survey_command,
            export_survey_command, export_translations_command,
            import_translations_command, survey_link_command,
            export_responses_command, export_results_command, seed_demo_command, send_survey_command,
            dispatch_command, create_api_token_command, set_scope_command, revoke_api_token_command,
            detect_trends_command,
            send_scorecards_command, check_deploy_command,
            import_contacts_command, erase_contact_command, forget_erasure_command, changes_digest_command,
            import_responses_command,
            export_archive_command, import_archive_command, purge_audit_command]


class MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's command group, imported when it runs (`extensions.migrations`)."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # Before any application context: the command line's application, as Flask's own commands find it.
        migrations(click.get_current_context().ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as commands

        # The context is the real group's, so its options, its callback and its --help all apply.
        return commands.make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
    app.cli.add_command(MigrationCommands("db", help="Perform database migrations (Flask-Migrate)."))

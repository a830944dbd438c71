"""`flask --app app <command>`: each command parses its input, calls one domain function, reports.
Rejected input exits 1 with a message saying what and where; usage errors exit 2 (click's default)."""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime

import click
from flask import Flask
from flask.cli import with_appcontext

from survey import accounts, authoring, demo, exports
from survey.clock import utcnow
from survey.definitions import DefinitionError, parse_survey, survey_definition
from survey.invitations import InvitationError, personal_invitation
from survey.links import external_url
from survey.models import ROLES


def _survey(slug: str):
    survey = authoring.find_survey(slug)
    if survey is None:
        raise click.ClickException(f"no survey with the slug {slug!r}")
    return survey


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


@click.command("import-survey")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--draft", is_flag=True, help="Keep a new survey as a draft instead of publishing it.")
def import_survey_command(file, draft: bool):
    """Create a survey from a JSON definition, or publish it as a new version of the existing slug."""
    try:
        data = json.loads(file.read().decode("utf-8"))
        spec = parse_survey(data)
        survey, created = authoring.import_survey(spec, actor=None, now=utcnow(), publish=not draft)
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{file.name}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
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
    except InvitationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(external_url("respond.personal_survey", token=invitation.token))


@click.command("export-responses")
@with_appcontext
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv", show_default=True,
              help="csv: the import format; json: one array; jsonl: one object per line.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Only responses given or changed on or after this date (UTC).")
def export_responses_command(slug: str, fmt: str, since: datetime | None):
    """Stream every response of a survey to standard output."""
    survey = _survey(slug)
    out = sys.stdout
    if fmt == "csv":
        exports.write_csv(survey, out, since)
    else:
        exports.write_json(survey, out, since, lines=fmt == "jsonl")


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


COMMANDS = [create_user_command, import_survey_command, export_survey_command, survey_link_command,
            export_responses_command, seed_demo_command]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)

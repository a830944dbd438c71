"""Flask-WTF forms for the manager pages and the respond page (CSRF on every POST)."""
import json
import math
import re
from functools import lru_cache

from babel.support import NullTranslations, Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms import TextAreaField as _TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from survey.authoring.logic import EDITOR_OPERATORS, editor_fields, simple_condition
from survey.models import QUESTION_TYPES, CaseStatus, ChangeStatus
from survey.strict_json import JsonError, parse_json
from survey.web.request_text import one_line_break

TYPE_LABELS = {
    "rating": "Rating scale (e.g. extremely dissatisfied … extremely satisfied)",
    "nps": "Net Promoter Score (0–10)",
    "choice": "Single choice",
    "multi": "Multiple choice",
    "yesno": "Yes / no",
    "text": "Text",
    "matrix": "Matrix (several statements on one rating scale)",
    "numeric": "Number",
    "date": "Date",
    "ranking": "Ranking (put options in order)",
}


class Form(FlaskForm):
    """The base of every form: hidden inputs (the CSRF token, the respond page's keys) are rendered without
    an id. A page often has several forms, each with its token (`hidden_tag()`), and an id must be unique
    in a page; nothing points at a hidden input by id (no label, no link). An explicit id still wins."""

    class Meta:
        def render_field(self, field, render_kw):
            if isinstance(field.widget, HiddenInput):
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)

        def get_translations(self, form):
            # WTForms' own messages ("Not a valid integer value") in the page's language. Flask-WTF's
            # version of this reads WTForms' catalogue from disk on every request that builds a form
            # (flask_wtf/i18n.py): 0.4-1 ms of each survey page and submission. A process keeps one per
            # language instead; the languages are the few Flask-Babel's locale selector can return.
            return wtforms_catalogue(str(get_locale()))


@lru_cache(maxsize=64)
def wtforms_catalogue(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class TextAreaField(_TextAreaField):
    """Line breaks kept as LF (request_text.one_line_break), so `Length` counts as the browser did."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = one_line_break(self.data)


class LoginForm(Form):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


# What each role may do, in words (the API tokens page and the people page).
ROLE_CHOICES = [SelectChoice("agent", "agent: read surveys, contacts, cases, changes"),
                SelectChoice("analyst", "analyst: and responses, results, alerts"),
                SelectChoice("editor", "editor: and create surveys, contacts, events, imports"),
                SelectChoice("admin", "admin: everything, people and settings included")]
PASSWORD_HINT = "At least 10 characters. A few unrelated words are easy to remember and hard to guess."


class ForgotPasswordForm(Form):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])


class NewPasswordForm(Form):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1000)],
                             description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class InvitationForm(NewPasswordForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)],
                             description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)],
                            render_kw={"autocomplete": "current-password"})


class CurrentPasswordForm(Form):
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})


class TwoFactorCodeForm(Form):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)],
                       description="The 6 digits your authenticator app shows now, or one of your recovery codes.",
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"})


class InviteForm(Form):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)],
                        description="Their work address: the invitation goes there.")
    role = SelectField("Role", choices=ROLE_CHOICES, default="analyst")


class RoleForm(Form):
    role = SelectField("Role", choices=ROLE_CHOICES)


class AccountPolicyForm(Form):
    require_admin_two_factor = BooleanField("Admins must use two-factor authentication (single sign-on "
                                            "accounts excepted: their provider asks for a second factor)")


class ActionForm(Form):
    """A button that changes something: carries only the CSRF token."""


class NewSurveyForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    starter = SelectField("Start from", validators=[Optional()])


class DetailsForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField("Introduction", validators=[Optional(), Length(max=2000)])
    every_response = BooleanField("Every response opens a follow-up case (a complaint form: each one is someone "
                                  "to get back to)")


class AddressForm(Form):
    slug = StringField("Web address", validators=[DataRequired(), Length(max=80)],
                       description="The end of the public link, /s/…: lower-case letters, digits and inner hyphens. "
                                   "It can change only while the survey is a draft.")


class ConditionFields(Form):
    """Display logic without JSON: "show only if <subject> <operator> <value>", the subjects (earlier
    questions, a contact attribute) set per survey by `_offer`. A condition more complex than one comparison
    (from an imported definition) is kept as the subject "kept", its JSON in a hidden field. The question
    editor adds "end the survey if" (fields named end_…); a section has only "show"."""

    show_subject = SelectField("Depends on", choices=[], validate_choice=False)
    show_attribute = StringField("Contact attribute", validators=[Optional(), Length(max=64)],
                                 description="When the condition is on the contact: name, email or an attribute "
                                             "such as location.")
    show_operator = SelectField("Comparison", choices=[SelectChoice(*item) for item in EDITOR_OPERATORS.items()],
                                validate_choice=False)
    show_value = StringField("Value", validators=[Optional(), Length(max=200)],
                             description="Rating and matrix statement: a scale position (1 is the worst); NPS: "
                                         "0–10; number: a number within the question's limits; yes/no: yes or "
                                         "no; choice: an option as written.")
    show_kept = HiddenField()

    def _offer(self, name: str, earlier: list[tuple[str, str]], condition, extra=(), *, fill: bool) -> None:
        subjects = [(f"answers.{key}", label) for key, label in earlier]
        kept = [("kept", "the condition of the imported definition")] if (
            condition is not None and editor_fields(condition) is None) else []
        none = ("", "(always show it)" if name == "show" else "(never end early)")
        contact = ("contact", "a contact attribute")
        getattr(self, f"{name}_subject").choices = [SelectChoice(*choice) for choice in
                                                    (none, *kept, *subjects, *extra, contact)]
        if fill and condition is not None:
            self._fill(name, condition)

    def _fill(self, name: str, condition) -> None:
        fields = editor_fields(condition)
        if fields is None:
            getattr(self, f"{name}_subject").data = "kept"
            getattr(self, f"{name}_kept").data = json.dumps(condition)
            return
        subject, operator, value = fields
        if subject.startswith("contact."):
            getattr(self, f"{name}_attribute").data = subject.split(".", 1)[1]
            subject = "contact"
        elif name == "end" and subject == f"answers.{self.key.data}":
            subject = "self"
        getattr(self, f"{name}_subject").data = subject
        getattr(self, f"{name}_operator").data = operator
        getattr(self, f"{name}_value").data = value

    def _condition(self, name: str, types: dict[str, str]) -> object:
        subject = getattr(self, f"{name}_subject").data or ""
        if not subject:
            return None
        if subject == "kept":
            try:
                return parse_json((getattr(self, f"{name}_kept").data or "null").encode())
            except JsonError:
                return None
        if subject == "self" and "type" in self:  # a question's own answer (its end condition)
            subject = f"answers.{(self.key.data or '').strip()}"
            types = {**types, (self.key.data or "").strip(): self.type.data}
        elif subject == "contact":
            subject = f"contact.{(getattr(self, f'{name}_attribute').data or '').strip().lower()}"
        question_type = types.get(subject.split(".", 1)[1]) if subject.startswith("answers.") else None
        return simple_condition(subject, getattr(self, f"{name}_operator").data or "==",
                                getattr(self, f"{name}_value").data or "", question_type)


class QuestionForm(ConditionFields):
    key = StringField("Key", validators=[DataRequired(), Length(max=64)],
                      description="Lower-case letters, digits and _. Results line questions up by key.")
    type = SelectField("Type", choices=[SelectChoice(t, TYPE_LABELS[t]) for t in QUESTION_TYPES])
    text = TextAreaField("Question", validators=[DataRequired(), Length(max=2000)])
    options = TextAreaField("Scale labels or options, one per line",
                            description="Rating and matrix: worst first, the top box last. Choice, multiple "
                                        "choice and ranking: one option per line. Not used by NPS, yes/no, "
                                        "text, number and date.")
    statements = TextAreaField(
        "Statements (matrix), one per line", validators=[Optional(), Length(max=20000)],
        description="Each rated on the scale above and analysed as its own series, e.g. “wait: Wait time”: "
                    "a key (a-z, 0-9, _), a colon, the statement. Without a key one is made from the text.")
    other = BooleanField("Add “Other, please specify” (single and multiple choice)")
    minimum = StringField("Smallest answer accepted (number and date, optional)",
                          validators=[Optional(), Length(max=40)],
                          description="A number, or for a date question a date written 2026-03-31.")
    maximum = StringField("Largest answer accepted (number and date, optional)",
                          validators=[Optional(), Length(max=40)])
    integer = BooleanField("Whole numbers only (number questions)")
    # The standard question a rating is ("ces"), kept through an edit of its wording.
    preset = HiddenField(validators=[Optional(), Length(max=10)])
    why = StringField("Why we ask this (optional)", validators=[Optional(), Length(max=500)])
    required = BooleanField("Answer required")
    long = BooleanField("Long answer (text questions)")
    follow_up_at = IntegerField(
        "Open a follow-up at or below (optional)", validators=[Optional()],
        description="Rating: a scale position (1 is the worst); NPS: 0–9. Empty: the bottom two boxes, NPS 0–6.")

    # "End the survey after this question if …" (the "show only if" fields are ConditionFields').
    end_subject = SelectField("Depends on", choices=[], validate_choice=False)
    end_attribute = StringField("Contact attribute", validators=[Optional(), Length(max=64)])
    end_operator = SelectField("Comparison", choices=[SelectChoice(*item) for item in EDITOR_OPERATORS.items()],
                                validate_choice=False)
    end_value = StringField("Value", validators=[Optional(), Length(max=200)])
    end_kept = HiddenField()
    section = SelectField("Section (page)", choices=[], validate_choice=False)

    def offer_conditions(self, earlier: list[tuple[str, str]], sections: list[tuple[str, str]],
                         show_if=None, end_if=None, *, fill: bool, own: list[tuple[str, str]] | None = None) -> None:
        """Offer `earlier` answers ((answer key, label): logic.editor_subjects) as subjects, and `sections`
        ((key, title)) to choose from; with `fill`, show the question's own conditions in the fields. `own`: a
        matrix's statements, which its end condition reads instead of "this question"."""
        self._offer("show", earlier, show_if, fill=fill)
        self._offer("end", earlier, end_if, [(f"answers.{key}", label) for key, label in own] if own
                    else [("self", "the answer to this question")], fill=fill)
        self.section.choices = [SelectChoice(*choice) for choice in sections]
        if not sections:
            del self.section

    def definition(self, types: dict[str, str] | None = None) -> dict:
        """The question in the JSON definition format, for survey.authoring.definitions.parse_question.
        `types`: the survey's question types by key (a condition's value is typed as its subject's answers)."""
        data = {"key": self.key.data.strip(), "type": self.type.data, "text": self.text.data,
                "required": self.required.data, "why": self.why.data or ""}
        for name in ("show", "end"):
            if (condition := self._condition(name, types or {})) is not None:
                data[f"{name}_if"] = condition
        if "section" in self and self.section.data:
            data["section"] = self.section.data
        lines = [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]
        if self.type.data in ("rating", "matrix"):
            data["scale"] = lines
        elif self.type.data in ("choice", "multi", "ranking"):
            data["options"] = lines
        data.update(self._type_settings())
        if self.type.data == "text":
            data["long"] = self.long.data
        if self.follow_up_at.data is not None:
            data["follow_up_at"] = self.follow_up_at.data
        return data

    def _type_settings(self) -> dict:
        """What only the question's type has: Other, limits, whole numbers, statements."""
        data: dict = {}
        if self.type.data in ("choice", "multi"):
            data["other"] = self.other.data
        if self.type.data in ("numeric", "date"):
            for name, field in (("min", self.minimum), ("max", self.maximum)):
                if (text := (field.data or "").strip()):
                    data[name] = text if self.type.data == "date" else limit_number(text)
        if self.type.data == "numeric":
            data["integer"] = self.integer.data
        if self.type.data == "rating" and self.preset.data:
            data["preset"] = self.preset.data
        if self.type.data == "matrix":
            data["statements"] = [statement_line(line) for line in (self.statements.data or "").splitlines()
                                  if line.strip()]
        return data

    def show_problems(self, problems: list[str]) -> None:
        """Attach "field: message" problems from the definition parser to the matching inputs."""
        for problem in problems:
            name, _, message = problem.partition(": ")
            name = name.split("[")[0]
            target = {"scale": "options", "show_if": "show_value", "end_if": "end_value", "min": "minimum",
                      "max": "maximum"}.get(name, name)
            field = getattr(self, target, None) if target in self._fields else None
            (field or self.key).errors = [*(field or self.key).errors, message if field else problem]


class SectionForm(ConditionFields):
    """A section (a page of the survey): its title, introduction and "show this section only if"; a new one
    also says where it starts."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)],
                        description="Shown above the page's questions, e.g. “What went wrong”.")
    key = StringField("Key (optional)", validators=[Optional(), Length(max=64)],
                      description="Lower-case letters, digits and _; made from the title when left empty.")
    intro = TextAreaField("Introduction (optional)", validators=[Optional(), Length(max=2000)])
    first = SelectField("Starts at", choices=[], validate_choice=False,
                        description="The new page takes this question and the ones after it on the same page.")

    def offer_conditions(self, earlier: list[tuple[str, str]], show_if=None, *, fill: bool = False,
                         starts: list[tuple[str, str]] | None = None) -> None:
        """Offer `earlier` answers ((answer key, label)) as the condition's subjects; `starts` ((key, text)): the
        questions a new
        section can start at (None: an existing section, which has no such field)."""
        self._offer("show", earlier, show_if, fill=fill)
        if starts is None:
            del self.first
        else:
            self.first.choices = [SelectChoice(key, text[:80]) for key, text in starts]

    def definition(self, key: str, types: dict[str, str]) -> dict:
        """The section in the JSON definition format, for survey.authoring.definitions.parse_section."""
        data: dict = {"key": key, "title": (self.title.data or "").strip(), "intro": (self.intro.data or "").strip()}
        if (condition := self._condition("show", types)) is not None:
            data["show_if"] = condition
        return data

    def show_problems(self, problems: list[str]) -> None:
        """Attach "field: message" problems (the parser's, or the logic check's "sections[i] (key).field: …")
        to the matching inputs."""
        for problem in problems:
            where, _, message = problem.partition(": ")
            name = where.rsplit(".", 1)[-1]
            field = {"show_if": self.show_value, "title": self.title, "intro": self.intro,
                     "key": self.key}.get(name)
            (field or self.title).errors = [*(field or self.title).errors, message if field else problem]


class SplitForm(Form):
    title = StringField("Title of the first page", validators=[DataRequired(), Length(max=200)],
                        description="Every question goes on this page; add more pages after it.")


def statement_line(line: str) -> dict:
    """A matrix statement as the editor takes it: "key: text", or the text alone (its key made from it)."""
    key, colon, text = line.partition(":")
    if colon and re.fullmatch(r"\s*[a-z][a-z0-9_]*\s*", key):
        return {"key": key.strip(), "text": text.strip()}
    made = re.sub(r"[^a-z0-9]+", "_", line.strip().casefold()).strip("_")[:40]
    return {"key": made if made[:1].isalpha() else f"s_{made}", "text": line.strip()}


def limit_number(text: str) -> int | float | str:
    """A limit typed in the editor as a number ("3,5" too), or the text itself for the definition's parser
    to refuse by name."""
    cleaned = text.replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() else number


def statement_lines(statements) -> str:
    return "\n".join(f"{statement['key']}: {statement['text']}" for statement in statements)


class CampaignEmailForm(Form):
    """Who a campaign goes to and its email's wording: what the email preview shows (query arguments)."""

    segment = TextAreaField("Only contacts with (optional)", validators=[Optional(), Length(max=2000)],
                            description="One attribute=value per line, e.g. location=Leeds. Lines with the same "
                                        "attribute mean any of those values. Empty: every contact.")
    email_subject = StringField("Email subject (optional)", validators=[Optional(), Length(max=200)],
                                description="Empty: the survey's title and your organisation's name. May name the "
                                            "contact: {contact.name|there}, {contact.location}.")
    email_opening = TextAreaField("Opening line (optional)", validators=[Optional(), Length(max=1000)],
                                  description="The sentence after “Hello …,”. Empty: “… would like to know how "
                                              "we did.” May name the contact, as the subject.")
    email_sender_name = StringField("Sender name (optional)", validators=[Optional(), Length(max=100)],
                                    description="The name the email comes from, e.g. “Ann at Acme Support”. Empty: "
                                                "your organisation's name. The address stays the same.")


class CampaignForm(CampaignEmailForm):
    """A campaign: who, its email, when, reminders."""

    at = DateTimeLocalField("Send at (UTC, optional)", validators=[Optional()], format="%Y-%m-%dT%H:%M",
                            description="Leave empty to send now.")
    reminders = IntegerField("Reminders to non-responders", default=1,
                             validators=[InputRequired(), NumberRange(0, 5)])
    reminder_days = IntegerField("Days before each reminder", default=3,
                                 validators=[InputRequired(), NumberRange(1, 60)])
    # The segment and wording whose audience and email were shown: Send sends only what was previewed
    # (changed after its preview, it is previewed again instead).
    previewed = HiddenField()


class ContactsImportForm(Form):
    file = FileField("Contacts (CSV, UTF-8)", validators=[FileRequired("Choose a CSV file.")],
                     description="A header row with an email column; name is optional; every other column "
                                 "becomes a segment attribute such as location or team.")


class BrandingForm(Form):
    accent_colour = StringField(
        "Accent colour", validators=[Length(max=40)],
        description="For buttons, links and the page header: # and six hexadecimal digits, like #1f4fa3. White "
                    "text on it must reach a contrast of 4.5:1 (WCAG AA). Leave empty for Hearken's blue.")
    logo = FileField("Logo", description="A PNG, JPEG or WebP picture, at most 512 KB and 16 to 2000 pixels a "
                                         "side (SVG is not accepted). Leave empty to keep the current logo.")
    remove_logo = BooleanField("Remove the logo")


class ApiTokenForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)],
                       description="What uses it, e.g. “help desk” or “BI export”.")
    role = SelectField("Role", choices=ROLE_CHOICES, default="analyst")
    scope = TextAreaField("Data scope (optional)", validators=[Optional(), Length(max=2000)],
                          description="Limit the token to some customers: one attribute=value per line, e.g. "
                                      "location=Leeds (a second line team=Billing must hold too; a repeated "
                                      "attribute allows either value). Empty: everything.")


class EraseForm(Form):
    confirm = StringField("Type the contact's email address to confirm", validators=[DataRequired()])


class ChangeForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    you_said = TextAreaField("You said", validators=[DataRequired(), Length(max=2000)],
                             description="What customers told us, in a sentence or two, in their terms.")
    we_did = TextAreaField("We did", validators=[DataRequired(), Length(max=10000)],
                           description="What changed. Markdown: **bold**, lists, links.")
    category = StringField("Category or touchpoint", validators=[Optional(), Length(max=80)])
    status = SelectField("Status", choices=[SelectChoice(ChangeStatus.PLANNED, "Planned"),
                                            SelectChoice(ChangeStatus.IN_PROGRESS, "In progress"),
                                            SelectChoice(ChangeStatus.DONE, "Done")])
    changed_on = DateField("Date of the change", validators=[InputRequired()])
    impact_survey = SelectField("Measure the effect on (optional): survey", validators=[Optional()])
    impact_question = StringField("Rating question key", validators=[Optional(), Length(max=64)])
    impact_segment = StringField("Segment (optional)", validators=[Optional(), Length(max=260)],
                                 description="attribute=value, e.g. location=Leeds; empty for all customers.")


class ImpactChoiceForm(Form):
    """Publish the measured impact's numbers or not: sent by the button pressed (`yes` or `no`)."""

    impact_numbers = SelectField("The measured effect on the public page",
                                 choices=[SelectChoice("yes", "Publish the numbers"),
                                          SelectChoice("no", "Publish without the numbers")],
                                 validators=[Optional()])


class ChangeLinksForm(Form):
    responses = TextAreaField("Responses that led to it (numbers)", validators=[Optional(), Length(max=5000)],
                              description="Response numbers as shown on contact pages, separated by commas.")
    alerts = SelectMultipleField("Alerts that led to it", coerce=int, validators=[Optional()])


class QuoteForm(Form):
    response_id = HiddenField()
    text = TextAreaField("Quote (the customer's own words; trim, do not rewrite)",
                         validators=[DataRequired(), Length(max=600)])


class ComplaintForm(Form):
    # Customers' words: lazy, so each is looked up in the customer's language when the form is drawn.
    kind = RadioField(_l("What would you like to send?"), default="complaint",
                      choices=[SelectChoice("complaint", _l("A complaint")),
                               SelectChoice("suggestion", _l("A suggestion"))])
    message = TextAreaField(_l("What happened, or what should we do?"),
                            validators=[DataRequired(), Length(max=5000)])
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("Email (optional, so we can reply)"), validators=[Optional(), Length(max=320)])
    phone = StringField(_l("Phone (optional, if you would rather we call)"), validators=[Optional(), Length(max=40)])
    # A field people never see: bots fill it in, and their message is dropped without telling them.
    website = StringField("Leave this empty", validators=[Optional()])
    # Identifies this rendering of the form: sending it twice (a double click, Back then Send) is one complaint.
    submission_key = HiddenField()


class CaseStatusForm(Form):
    status = SelectField("Status", choices=[SelectChoice(CaseStatus.NEW, "New"),
                                            SelectChoice(CaseStatus.CONTACTED, "Contacted"),
                                            SelectChoice(CaseStatus.RESOLVED, "Resolved"),
                                            SelectChoice(CaseStatus.UNREACHABLE, "Could not reach")])
    problem_fixed = SelectField("Is the customer's problem fixed?", validators=[Optional()],
                                choices=[SelectChoice("", "—"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")])
    root_cause = SelectField("Root cause (needed to resolve)", validators=[Optional()])
    change_id = SelectField("Led to a change (optional)", validators=[Optional()])
    note = TextAreaField("Note (what was said, what happens next)", validators=[Optional(), Length(max=5000)])


class NoteForm(Form):
    text = TextAreaField("Add a note", validators=[DataRequired(), Length(max=5000)])


class TranslationFileForm(Form):
    po_file = FileField("Translated PO file", validators=[FileRequired("Choose the PO file to upload.")])


class ImportForm(Form):
    definition = FileField("Survey definition (JSON)", validators=[FileRequired()])


class RespondForm(Form):
    # Identifies this rendering of the form: resubmitting it (double click, back button, retry) is
    # recognised and stored once.
    submission_key = HiddenField()
    version = HiddenField()
    # "1" on a form shown again after it was refused: sending it deletes the copy kept of it
    # (responding.hold_refused_form); any other public form has none to delete.
    corrects = HiddenField()
    consent_quote = BooleanField(_l("You may quote my comments anonymously (without my name or any contact "
                                    "details)."))
    consent_contact = BooleanField(_l("You may contact me about my answers."))


class WebhookEndpointForm(Form):
    url = StringField("Endpoint URL", validators=[DataRequired(), Length(max=2000)],
                      description="Where Hearken POSTs each event, e.g. https://crm.example.com/hooks/hearken.")
    description = StringField("Description (optional)", validators=[Optional(), Length(max=200)])
    # No DataRequired: it would mark every checkbox required. survey.webhooks.events asks for at least one event.
    events = SelectMultipleField("Events", widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    # Choices from survey.webhooks.events.SCHEME_LABELS (set by the view). A post without the field keeps what the
    # endpoint has, and a new endpoint gets Standard Webhooks.
    signature_scheme = RadioField("How deliveries are signed", default="standard")


PRIORITY_CHOICES = [SelectChoice("high", "High (half the times)"), SelectChoice("normal", "Normal"),
                    SelectChoice("low", "Low")]


class TeamForm(Form):
    """A team and its response-time standard; survey.followups.teams.parse checks it and names each problem."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    lead = SelectField("Team lead (told when a case is overdue)", validators=[Optional()])
    rule_attribute = SelectField("Attribute", validators=[Optional()])
    rule_values = StringField("Attribute values (separated by commas)", validators=[Optional(), Length(max=10000)],
                              description="For example: Leeds, York. Compared ignoring upper and lower case.")
    timezone = StringField("Time zone", validators=[Optional(), Length(max=64)], default="Europe/London",
                           description="Where the team works, e.g. Europe/London.")
    monday_open, monday_close = StringField("Monday opens"), StringField("Monday closes")
    tuesday_open, tuesday_close = StringField("Tuesday opens"), StringField("Tuesday closes")
    wednesday_open, wednesday_close = StringField("Wednesday opens"), StringField("Wednesday closes")
    thursday_open, thursday_close = StringField("Thursday opens"), StringField("Thursday closes")
    friday_open, friday_close = StringField("Friday opens"), StringField("Friday closes")
    saturday_open, saturday_close = StringField("Saturday opens"), StringField("Saturday closes")
    sunday_open, sunday_close = StringField("Sunday opens"), StringField("Sunday closes")
    holidays = TextAreaField("Holidays (one date a line, e.g. 2026-12-25)", validators=[Optional(), Length(max=20000)])
    first_contact_hours = StringField("Time to first contact, in working hours", default="8")
    resolve_hours = StringField("Time to resolve, in working hours", default="40")
    priority_low_score = SelectField("Priority of a low score", choices=PRIORITY_CHOICES, default="normal")
    priority_complaint = SelectField("Priority of a complaint", choices=PRIORITY_CHOICES, default="normal")
    priority_contact_request = SelectField("Priority of a request to be contacted", choices=PRIORITY_CHOICES,
                                           default="normal")


class RootCauseForm(Form):
    code = StringField("Code", validators=[DataRequired(), Length(max=60)], description="Short, e.g. DELIVERY-LATE.")
    label = StringField("What it means (optional)", validators=[Optional(), Length(max=200)])


class TeamMemberForm(Form):
    user = SelectField("Add a member", validators=[DataRequired(message="Choose who joins the team.")])


class ChatChannelForm(Form):
    kind = SelectField("Where", choices=[SelectChoice("slack", "Slack"), SelectChoice("teams", "Microsoft Teams")])
    url = StringField("Incoming webhook URL", validators=[DataRequired(), Length(max=2000)],
                      description="Slack: an incoming webhook. Microsoft Teams: a Workflows “post to a channel when "
                                  "a webhook request is received” URL.")
    events = SelectMultipleField("Post", widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 choices=[SelectChoice("alert", "new alerts"), SelectChoice("overdue", "overdue cases"),
                                          SelectChoice("complaint", "new complaints")])


class ThemeForm(Form):
    """A theme's name and terms: accepting a proposal, or editing an accepted theme. One per theme on the themes
    page, each with its own prefix so their fields' ids differ."""

    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    terms = TextAreaField("Terms a comment must mention", validators=[DataRequired(), Length(max=2000)],
                          render_kw={"rows": 2},
                          description="Words or phrases, one a line or separated by commas; end one with * for "
                                      "any ending (wait* finds waited and waiting). Add each language's words.")


class MergeThemeForm(Form):
    into = SelectField("Merge into", coerce=int, validators=[InputRequired()])

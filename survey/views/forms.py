"""Flask-WTF forms for the manager pages and the respond page (CSRF on every POST)."""
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from survey.models import QUESTION_TYPES, CaseStatus, ChangeStatus
from survey.web.request_text import one_line_break

TYPE_LABELS = {
    "rating": "Rating scale (e.g. extremely dissatisfied … extremely satisfied)",
    "nps": "Net Promoter Score (0–10)",
    "choice": "Single choice",
    "multi": "Multiple choice",
    "yesno": "Yes / no",
    "text": "Text",
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


class TextAreaField(_TextAreaField):
    """Line breaks kept as LF (request_text.one_line_break), so `Length` counts as the browser did."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = one_line_break(self.data)


class LoginForm(Form):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


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


class QuestionForm(Form):
    key = StringField("Key", validators=[DataRequired(), Length(max=64)],
                      description="Lower-case letters, digits and _. Results line questions up by key.")
    type = SelectField("Type", choices=[SelectChoice(t, TYPE_LABELS[t]) for t in QUESTION_TYPES])
    text = TextAreaField("Question", validators=[DataRequired(), Length(max=2000)])
    options = TextAreaField("Scale labels or options, one per line",
                            description="Rating: worst first, the top box last. Choice and multiple choice: "
                                        "one option per line. Not used by NPS, yes/no and text.")
    why = StringField("Why we ask this (optional)", validators=[Optional(), Length(max=500)])
    required = BooleanField("Answer required")
    long = BooleanField("Long answer (text questions)")
    follow_up_at = IntegerField(
        "Open a follow-up at or below (optional)", validators=[Optional()],
        description="Rating: a scale position (1 is the worst); NPS: 0–9. Empty: the bottom two boxes, NPS 0–6.")

    def definition(self) -> dict:
        """The question in the JSON definition format, for survey.authoring.definitions.parse_question."""
        data = {"key": self.key.data.strip(), "type": self.type.data, "text": self.text.data,
                "required": self.required.data, "why": self.why.data or ""}
        lines = [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]
        if self.type.data == "rating":
            data["scale"] = lines
        elif self.type.data in ("choice", "multi"):
            data["options"] = lines
        if self.type.data == "text":
            data["long"] = self.long.data
        if self.follow_up_at.data is not None:
            data["follow_up_at"] = self.follow_up_at.data
        return data

    def show_problems(self, problems: list[str]) -> None:
        """Attach "field: message" problems from the definition parser to the matching inputs."""
        for problem in problems:
            name, _, message = problem.partition(": ")
            name = name.split("[")[0]
            target = {"scale": "options"}.get(name, name)
            field = getattr(self, target, None) if target in self._fields else None
            (field or self.key).errors = [*(field or self.key).errors, message if field else problem]


class CampaignForm(Form):
    segment = TextAreaField("Only contacts with (optional)", validators=[Optional(), Length(max=2000)],
                            description="One attribute=value per line, e.g. location=Leeds. Lines with the same "
                                        "attribute mean any of those values. Empty: every contact.")
    at = DateTimeLocalField("Send at (UTC, optional)", validators=[Optional()], format="%Y-%m-%dT%H:%M",
                            description="Leave empty to send now.")
    reminders = IntegerField("Reminders to non-responders", default=1,
                             validators=[InputRequired(), NumberRange(0, 5)])
    reminder_days = IntegerField("Days before each reminder", default=3,
                                 validators=[InputRequired(), NumberRange(1, 60)])


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
    role = SelectField("Role", choices=[SelectChoice("agent", "agent: read surveys, contacts, cases, changes"),
                                        SelectChoice("analyst", "analyst: and responses, results, alerts"),
                                        SelectChoice("editor", "editor: and create surveys, contacts, events, "
                                                               "imports"),
                                        SelectChoice("admin", "admin: everything")], default="analyst")


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
    kind = RadioField("What would you like to send?", default="complaint",
                      choices=[SelectChoice("complaint", "A complaint"), SelectChoice("suggestion", "A suggestion")])
    message = TextAreaField("What happened, or what should we do?", validators=[DataRequired(), Length(max=5000)])
    name = StringField("Your name (optional)", validators=[Optional(), Length(max=200)])
    email = StringField("Email (optional, so we can reply)", validators=[Optional(), Length(max=320)])
    phone = StringField("Phone (optional, if you would rather we call)", validators=[Optional(), Length(max=40)])
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
    consent_quote = BooleanField("You may quote my comments anonymously (without my name or any contact details).")
    consent_contact = BooleanField("You may contact me about my answers.")


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


class ChatChannelForm(Form):
    kind = SelectField("Where", choices=[SelectChoice("slack", "Slack"), SelectChoice("teams", "Microsoft Teams")])
    url = StringField("Incoming webhook URL", validators=[DataRequired(), Length(max=2000)],
                      description="Slack: an incoming webhook. Microsoft Teams: a Workflows “post to a channel when "
                                  "a webhook request is received” URL.")
    events = SelectMultipleField("Post", widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 choices=[SelectChoice("alert", "new alerts"), SelectChoice("overdue", "overdue cases"),
                                          SelectChoice("complaint", "new complaints")])

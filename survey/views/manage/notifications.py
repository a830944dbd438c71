"""The organisation's Slack and Microsoft Teams channels (admins): alerts, overdue cases and new complaints of
every team, beside the channels each team has of its own (on the team's page). Test and remove are the team
pages' own buttons (manage.teams.test_channel, delete_channel), which come back here for these channels."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from survey.clock import utcnow
from survey.views.forms import ActionForm, ChatChannelForm
from survey.views.manage.blueprint import section
from survey.webhooks import chat

bp = section("notifications", __name__, read="admin", url_prefix="/notifications")


def _page(form: ChatChannelForm | None = None, status: int = 200):
    channels = chat.all_channels()
    return render_template("manage/notifications.html", channels=channels,
                           latest=chat.latest_deliveries(channels), host_of=chat.host_of, action=ActionForm(),
                           form=form or ChatChannelForm(formdata=None, events=list(chat.EVENTS)),
                           kind_labels=chat.KIND_LABELS, event_labels=chat.EVENT_LABELS), status


@bp.route("/")
def index():
    return _page()


@bp.route("/", methods=["POST"])
def add_channel():
    form = ChatChannelForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        chat.add_channel(None, form.kind.data or "", form.url.data or "", tuple(form.events.data or ()), now=utcnow())
    except chat.ChannelError as error:
        for name, message in error.problems.items():
            field = getattr(form, name, form.url)
            field.errors = [*field.errors, message]
        return _page(form, status=400)
    flash("Channel added. Use Send a test message to check it.")
    return redirect(url_for(".index"))

"""Confirming destructive actions, the same way for each (closing a survey, removing a question from a live
survey, deleting a webhook endpoint or a change entry), and without JavaScript.

The action's URL answers GET with a page saying what will happen and one button that posts to it with
`confirm=yes` (and the CSRF token). A POST without it — the Delete button of the page that lists the thing,
an old form, a crafted request — changes nothing and is sent (303) to that page. The view is marked with
`blueprint.form_page`, so that only those who may post see the page.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask import redirect, render_template, request
from flask.typing import ResponseReturnValue

from survey.views.forms import ActionForm


def confirmed() -> bool:
    return request.method == "POST" and request.form.get("confirm") == "yes"


def confirmation(*, title: str, consequences: Sequence[str], button: str, back: str) -> ResponseReturnValue:
    """The confirmation page (GET), or the way to it (an unconfirmed POST)."""
    if request.method == "POST":
        return redirect(request.full_path.rstrip("?"), 303)
    return render_template("manage/confirm.html", title=title, consequences=consequences, button=button,
                           back=back, action=ActionForm(), target=request.full_path.rstrip("?"))

"""The base form's WTForms messages: in the page's language, from a catalogue loaded once per process."""
from __future__ import annotations

from unittest import mock

from babel.support import Translations
from wtforms import IntegerField

from survey.views.forms import Form, wtforms_catalogue


class NumberForm(Form):
    class Meta:
        csrf = False

    number = IntegerField()


def test_wtforms_messages_follow_the_page_language(app):
    with app.test_request_context("/s/any?lang=fr", method="POST", data={"number": "many"}):
        form = NumberForm()
        assert not form.validate()
        french = form.number.errors[0]
    with app.test_request_context("/s/any?lang=en", method="POST", data={"number": "many"}):
        form = NumberForm()
        form.validate()
        assert form.number.errors == ["Not a valid integer value."]
    assert french != "Not a valid integer value." and french == wtforms_catalogue("fr").gettext(
        "Not a valid integer value.")


def test_the_catalogue_is_read_once_per_process_not_once_per_request(app):
    wtforms_catalogue.cache_clear()
    with mock.patch.object(Translations, "load", wraps=Translations.load) as load:
        for _ in range(3):
            with app.test_request_context("/s/any?lang=de", method="POST", data={"number": "x"}):
                form = NumberForm()
                form.validate()
                assert form.number.errors and form.number.errors != ["Not a valid integer value."]
    assert load.call_count == 1  # Flask-WTF's own translations read it from disk in every request

from types import SimpleNamespace

from survey.authoring.piping import Placeholder, contact_values, fill, placeholders


def test_placeholders_are_found_in_order_with_their_fallbacks():
    text = "Dear {contact.name|customer}, you rated {contact.location} {answers.rating}. {other} {answers.Bad}"
    assert placeholders(text) == (
        Placeholder("contact", "name", "customer"),
        Placeholder("contact", "location", ""),
        Placeholder("answers", "rating", ""),
    )


def test_fill_uses_the_value_then_the_fallback_then_nothing():
    text = "Dear {contact.name|customer}, you rated {contact.location|our} branch {answers.rating}."
    assert fill(text, contact={"name": "Ada", "location": "Leeds"}, answers={"rating": "2 of 5"}) == (
        "Dear Ada, you rated Leeds branch 2 of 5.")
    assert fill(text, contact={"name": "  "}, answers={}) == "Dear customer, you rated our branch ."


def test_fill_never_renders_a_value_as_a_template_or_placeholder():
    value = "{{ config.SECRET_KEY }} {answers.rating} <b>"
    assert fill("Hi {contact.name}", contact={"name": value}, answers={"rating": "5"}) == f"Hi {value}"


def test_text_without_placeholders_is_unchanged_french_spacing_included():
    assert fill("Pourquoi ? {x} {contact.}", contact={"name": "A"}) == "Pourquoi ? {x} {contact.}"


def test_contact_values_let_name_and_email_win_over_attributes():
    contact = SimpleNamespace(attributes={"location": "Leeds", "name": "attr"}, name="Ada", email="a@example.com")
    assert contact_values(contact) == {"location": "Leeds", "name": "Ada", "email": "a@example.com"}
    assert contact_values(None) == {}

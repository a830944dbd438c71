"""The brand at work: the admins' page, the logo and the colour served by Hearken, customer pages and
emails wearing them, the privacy notice, and why each customer email came."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey import brand, mail, outreach
from survey.accounts import api_tokens
from survey.extensions import db
from survey.models import Branding, Contact, OutboxMessage
from survey.web.headers import CONTENT_SECURITY_POLICY
from tests.conftest import BASE_URL
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import log_in, post_form, text_of
from tests.survey.test_brand import SVG, picture

PAGE = "/manage/branding/"
PRIVACY = "https://example.com/privacy?from=hearken&x=1"


@pytest.fixture
def admin(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    return client


def upload(client, accent="", logo: bytes | None = None, name="logo.png", **extra):
    data = {"accent_colour": accent, **extra}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), name)
    return post_form(client, PAGE, data, content_type="multipart/form-data")


def stored(app) -> SimpleNamespace | None:
    """The branding row's columns, logo included."""
    with app.app_context():
        row = db.session.scalars(select(Branding)).one_or_none()
        if row is None:
            return None
        return SimpleNamespace(accent_colour=row.accent_colour, updated_at=row.updated_at, logo=row.logo)


def test_an_admin_sets_the_brand_and_customer_pages_wear_it(app, admin):
    with app.app_context():
        make_survey()
    saved = upload(admin, "#767676", picture("PNG", (300, 100)))
    assert saved.status_code == 303
    page = admin.get("/s/support-csat").get_data(as_text=True)
    sheet = re.search(r'<link rel="stylesheet" href="(/brand/accent/767676\.css)">', page).group(1)
    logo = re.search(r'<img class="logo" src="(/brand/logo/[0-9a-f]{16}\.png)" alt="Hearken" width="300" '
                     r'height="100">', page).group(1)
    css = admin.get(sheet)
    assert css.mimetype == "text/css" and "--brand: #767676;" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    served = admin.get(logo)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == picture("PNG", (300, 100))
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Hearken serves both, so the policy is today's, with no inline style and no other origin.
    assert served.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for path in ("/s/support-csat", "/changes", "/complain"):
        response = admin.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert sheet in response.get_data(as_text=True) and logo in response.get_data(as_text=True), path
    settings = admin.get(PAGE).get_data(as_text=True)
    assert 'value="#767676"' in settings and "300 × 100 pixels" in settings


def test_without_a_brand_pages_keep_hearkens_look(app, client):
    with app.app_context():
        make_survey()
    page = client.get("/s/support-csat").get_data(as_text=True)
    assert "/brand/" not in page and '<a class="brand" href="/">Hearken</a>' in page
    assert client.get("/brand/logo/0123456789abcdef.png").status_code == 404
    assert client.get("/brand/accent/777777.css").status_code == 404  # fails AA: never served
    assert client.get("/brand/accent/1F4FA3.css").status_code == 404  # one address per colour


def test_a_logo_replaced_after_an_email_went_out_still_shows_the_current_one(app, admin):
    upload(admin, "", picture("PNG"))
    with app.app_context():
        old = brand.current().logo_file
    upload(admin, "", picture("JPEG", colour=(0, 0, 0)), name="new.jpg")
    moved = admin.get(f"/brand/logo/{old}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(".jpg")
    assert "immutable" not in moved.headers.get("Cache-Control", "")
    assert admin.get(moved.headers["Location"]).mimetype == "image/jpeg"


@pytest.mark.parametrize("accent, logo, field, words", [
    ("#777777", None, "accent_colour", "white text on #777777 has a contrast of 4.48:1"),
    ("orange", None, "accent_colour", "is not a colour"),
    ("", SVG, "logo", "SVG file, which can carry script"),
    ("", b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024), "logo", "a logo may be at most 512 KB"),
])
def test_a_refused_setting_is_named_at_its_field_and_changes_nothing(app, admin, accent, logo, field, words):
    upload(admin, "#1f4fa3")
    before = stored(app).updated_at
    refused = upload(admin, accent, logo)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and words in text_of(refused)
    assert f'id="{field}-error"' in html and f'aria-describedby="{field}-hint {field}-error"' in html
    assert 'class="error-summary"' in html
    after = stored(app)
    assert (after.accent_colour, after.updated_at, after.logo) == ("#1f4fa3", before, None)


def test_the_logo_is_removed_on_request_and_kept_otherwise(app, admin):
    upload(admin, "", picture("PNG"))
    upload(admin, "#1f4fa3")
    assert stored(app).logo is not None
    assert "Remove the logo" in text_of(admin.get(PAGE))
    upload(admin, "#1f4fa3", remove_logo="y")
    assert stored(app).logo is None and "Remove the logo" not in text_of(admin.get(PAGE))


def test_only_admins_change_the_brand_and_a_forged_post_changes_nothing(app, client):
    with app.app_context():
        make_user(email="editor@example.com", role="editor")
    log_in(client, "editor@example.com")
    assert client.get(PAGE).status_code == 403
    assert "Branding" not in text_of(client.get("/manage/"))
    client.post("/logout", data={})
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    assert client.post(PAGE, data={"accent_colour": "#000000"}).status_code == 400  # no CSRF token
    assert stored(app) is None


def test_the_settings_page_previews_a_page_header_and_an_email(app, admin):
    upload(admin, "#767676", picture("PNG"))
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'class="brand-preview"' in page and 'class="button-primary">Send my answers' in page
    frame = re.search(r'<iframe class="email-preview" title="[^"]+" sandbox src="([^"]+)"', page).group(1)
    email = admin.get(frame)
    html = email.get_data(as_text=True)
    assert "background:#767676" in html and f'src="{BASE_URL}/brand/logo/' in html
    assert "asking a group of our customers" in html
    assert "sandbox" in email.headers["Content-Security-Policy"]
    assert f"img-src data: 'self' {BASE_URL}" in email.headers["Content-Security-Policy"]


# --- emails ----------------------------------------------------------------------------------------------

def bodies(kind: str) -> tuple[str, str]:
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).first()
    return row.text_body, row.html_body


def test_customer_emails_link_the_logo_wear_the_colour_and_link_the_privacy_notice(app, ctx):
    app.config["PRIVACY_URL"] = PRIVACY
    saved = brand.save("#767676", picture("PNG", (300, 100)), remove_logo=False, actor_id=None, now=NOW)
    mail.queue_invitation(make_invitation(make_survey(), email="ann@example.com"), now=NOW)
    db.session.commit()
    text, html = bodies("invitation")
    # A link from the base URL, not an attachment: the outbox keeps every email of a campaign.
    assert f'<img src="{BASE_URL}/brand/logo/{saved.logo_file}" alt="Hearken" width="144" height="48"' in html
    assert db.session.scalars(select(OutboxMessage.images)).one() is None
    assert "border:1px solid #767676;" in html and "color:#767676;" in html and "#2459a9" not in html
    assert 'href="https://example.com/privacy?from=hearken&amp;x=1" style="color:#52606d;">Privacy notice</a>' in html
    assert f"Privacy notice: {PRIVACY}\n" in text


def test_a_logo_with_a_name_that_needs_escaping_is_escaped_once(app, ctx):
    app.config["ORGANISATION_NAME"] = 'Zoë & "Co" <Ltd>'
    brand.save("", picture("PNG"), remove_logo=False, actor_id=None, now=NOW)
    mail.queue_invitation(make_invitation(make_survey(), email="ann@example.com"), now=NOW)
    db.session.commit()
    text, html = bodies("invitation")
    assert 'alt="Zoë &amp; &#34;Co&#34; &lt;Ltd&gt;"' in html
    assert 'You received this because Zoë & "Co" <Ltd> asked you personally for your views.' in text


def test_without_a_privacy_address_emails_have_no_privacy_link(ctx):
    mail.queue_invitation(make_invitation(make_survey(), email="ann@example.com"), now=NOW)
    db.session.commit()
    text, html = bodies("invitation")
    assert "Privacy notice" not in text and "Privacy notice" not in html


def test_each_customer_email_says_why_it_came(app, ctx):
    """A campaign's, an event's and a personal invitation each say why they came, in both parts."""
    survey = make_survey()
    db.session.add(Contact(email="cam@example.com", name="Cam", attributes={}, created_at=NOW))
    db.session.commit()
    outreach.launch(outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=1, now=NOW),
                    now=NOW)
    token, _secret = api_tokens.create_token("shop", "editor", now=NOW)
    outreach.record_event(token, email="event@example.com", survey_slug=survey.slug, now=NOW, delay=timedelta(0))
    mail.queue_invitation(make_invitation(survey, email="one@example.com"), now=NOW)
    db.session.commit()
    rows = {row.recipient.rpartition("<")[2].rstrip(">"): row for row in db.session.scalars(select(OutboxMessage))}
    for address, why in (
            ("cam@example.com", "You received this because you are a customer of Hearken, and we are asking a "
                                "group of our customers how we are doing."),
            ("event@example.com", "You received this because you dealt with Hearken recently, and we ask "
                                  "customers afterwards how it went."),
            ("one@example.com", "You received this because Hearken asked you personally for your views.")):
        assert why in rows[address].text_body and why in rows[address].html_body, address


def test_a_reminder_says_it_is_one(ctx):
    survey = make_survey()
    invitation = make_invitation(survey, email="ann@example.com")
    mail.queue_invitation(invitation, now=NOW, reminder=True)
    db.session.commit()
    text, html = bodies("reminder")
    assert "You received this reminder because we invited you to this survey and have not had your answers" in text
    assert "You received this reminder because" in html


# --- pages ------------------------------------------------------------------------------------------------

def test_customer_pages_link_the_privacy_notice_and_a_personal_link_says_why(app, client):
    app.config["PRIVACY_URL"] = PRIVACY
    with app.app_context():
        survey = make_survey()
        invitation = make_invitation(survey, email="ann@example.com")
        token = invitation.token
        contact = invitation.contact
        contact.unsubscribe_token = "u" * 32
        db.session.commit()
    link = '<a href="https://example.com/privacy?from=hearken&amp;x=1">Privacy notice</a>'
    for path in ("/s/support-csat", f"/r/{token}", "/changes", "/complain", f"/unsubscribe/{'u' * 32}", "/"):
        page = client.get(path).get_data(as_text=True)
        assert link in page and page.index("</main>") < page.index(link), path
    personal = text_of(client.get(f"/r/{token}"))
    assert "We sent you this personal link to ask you personally for your views." in personal
    for path in ("/s/support-csat", "/changes"):
        assert "personal link" not in text_of(client.get(path)), path


def test_the_changes_page_is_rendered_again_when_the_brand_changes(app, admin):
    first = admin.get("/changes")
    upload(admin, "#767676")
    again = admin.get("/changes", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "/brand/accent/767676.css" in again.get_data(as_text=True)


def test_a_privacy_address_that_is_not_a_web_address_is_never_linked(migrated, instance_path):
    from tests.conftest import build_app

    app = build_app(migrated, instance_path, PRIVACY_URL="javascript:alert(1)")
    assert app.config["PRIVACY_URL"] is None
    assert "Privacy notice" not in app.test_client().get("/complain").get_data(as_text=True)

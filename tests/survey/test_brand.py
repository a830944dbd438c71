"""The brand's rules: the accent colour's contrast (WCAG 2.x), the logo's format, size and dimensions, and
saving them (refused settings change nothing)."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from survey import brand
from survey.extensions import db
from survey.models import Branding
from tests.factories import NOW


def picture(kind: str = "PNG", size: tuple[int, int] = (120, 40), colour=(31, 79, 163)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize("first, second, ratio", [
    ("#767676", "#ffffff", "4.54:1"), ("#777777", "#ffffff", "4.48:1"), ("#000000", "#ffffff", "21.00:1"),
    ("#ffffff", "#ffffff", "1.00:1"), ("#595959", "#ffffff", "7.00:1"),
])
def test_contrast_ratios_are_wcag_s(first, second, ratio):
    assert brand.ratio_text(brand.contrast_ratio(first, second)) == ratio
    assert brand.contrast_ratio(first, second) == brand.contrast_ratio(second, first)


def test_a_ratio_just_below_the_line_is_never_printed_as_passing():
    assert brand.ratio_text(4.4999) == "4.49:1"


@pytest.mark.parametrize("text, stored", [("#767676", "#767676"), (" #1F4FA3 ", "#1f4fa3"), ("", None),
                                          (None, None)])
def test_an_accent_with_enough_contrast_for_white_text_is_kept(text, stored):
    assert brand.parse_accent(text) == stored


@pytest.mark.parametrize("text, words", [
    ("#777777", "white text on #777777 has a contrast of 4.48:1; WCAG AA needs at least 4.5:1"),
    ("#ffcc00", "contrast of 1.5"), ("red", "“red” is not a colour"), ("#12345", "is not a colour"),
    ("1f4fa3", "is not a colour"), ("#1f4fa3;}body{x:y", "is not a colour"),
])
def test_an_accent_that_fails_aa_or_is_not_a_colour_is_refused_by_name(text, words):
    with pytest.raises(brand.BrandError) as refused:
        brand.parse_accent(text)
    assert words in refused.value.problems["accent_colour"]


def test_the_hover_shade_is_darker_so_it_keeps_its_contrast():
    assert brand.shade("#767676") == "#585858"
    assert brand.contrast_ratio(brand.shade("#767676"), "#ffffff") > brand.contrast_ratio("#767676", "#ffffff")
    assert brand.stylesheet("#767676") == ":root { --brand: #767676; --brand-dark: #585858; }\n"


@pytest.mark.parametrize("kind, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                                ("WEBP", "image/webp")])
def test_png_jpeg_and_webp_logos_are_read_with_their_size(kind, content_type):
    logo = brand.read_logo(picture(kind, (300, 100)))
    assert (logo.content_type, logo.width, logo.height) == (content_type, 300, 100)
    assert len(logo.digest) == 16


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize("data, words", [
    (b"", "the file is empty"),
    (SVG, "this file is an SVG file, which can carry script"),
    (b"GIF89a" + b"\0" * 40, "a logo must be a PNG, JPEG or WebP picture; this file is not one"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "starts like a PNG picture but cannot be read as one"),
    (picture("PNG")[:60], "cannot be read as one"),
    (picture("PNG", (10, 40)), "the picture is 10 × 40 pixels; each side must be 16 to 2000 pixels"),
    (picture("PNG", (2001, 20)), "2001 × 20 pixels"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (512 * 1024), "the file is 512 KB; a logo may be at most 512 KB"),
])
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused_by_name(data, words):
    with pytest.raises(brand.BrandError) as refused:
        brand.read_logo(data)
    assert words in refused.value.problems["logo"]


def test_a_picture_whose_bytes_say_png_is_png_whatever_it_is_called(ctx):
    """The type served is the one the bytes say; a JPEG uploaded as logo.png is served as image/jpeg."""
    saved = brand.save("", picture("JPEG"), remove_logo=False, actor_id=None, now=NOW)
    assert saved.logo_type == "image/jpeg" and saved.logo_file.endswith(".jpg")


def test_saving_keeps_the_logo_unless_it_is_replaced_or_removed(ctx):
    first = brand.save("#1f4fa3", picture("PNG"), remove_logo=False, actor_id=None, now=NOW)
    assert first.accent == "#1f4fa3" and first.has_logo
    kept = brand.save("", None, remove_logo=False, actor_id=None, now=NOW)
    assert kept.accent is None and kept.logo_digest == first.logo_digest
    replaced = brand.save("", picture("PNG", colour=(0, 0, 0)), remove_logo=False, actor_id=None, now=NOW)
    assert replaced.logo_digest != first.logo_digest
    removed = brand.save("", None, remove_logo=True, actor_id=None, now=NOW)
    assert not removed.has_logo and brand.current() == removed
    assert db.session.scalars(select(Branding)).one().logo is None


def test_a_refused_field_changes_nothing_and_every_problem_is_named(ctx):
    brand.save("#1f4fa3", picture("PNG"), remove_logo=False, actor_id=None, now=NOW)
    before = brand.current()
    with pytest.raises(brand.BrandError) as refused:
        brand.save("#777777", SVG, remove_logo=False, actor_id=None, now=NOW)
    assert set(refused.value.problems) == {"accent_colour", "logo"}
    db.session.rollback()
    db.session.info.clear()
    assert brand.current() == before


@pytest.mark.parametrize("url, problem", [
    (None, "is not set"), ("", "is not set"), ("javascript:alert(1)", "must be an http:// or https:// address"),
    ("https://example.com/privacy\" onmouseover=x", "must be an http"), ("https://example.com/privacy", None),
])
def test_the_privacy_address_must_be_a_web_address(url, problem):
    found = brand.privacy_url_problem(url)
    assert (found is None) if problem is None else (problem in found)

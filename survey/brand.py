"""The organisation's brand on customer pages and emails: an accent colour, a logo, the privacy notice.

The accent colour is refused when white text on it fails WCAG AA (4.5:1). White is the only text colour
used on it, on purpose: the same colour is also the links' colour on the white page, and white-on-accent
and accent-on-white have the same ratio, so one check covers buttons, the header and links.

The logo is a PNG, JPEG or WebP picture recognised by its first bytes (not by its name or the type the
browser claims), at most 512 KB and 16–2000 pixels a side. SVG is refused rather than cleaned: it can
carry script and references to other sites, a sanitiser is one more parser to get exactly right, and mail
clients do not show SVG anyway. Hearken serves the logo itself, at an address holding a hash of its bytes
(so it is cached for good and the Content-Security-Policy's img-src 'self' covers it); emails link to it
from HEARKEN_BASE_URL rather than carry it, because the outbox stores every email: a 100 000-email
campaign would otherwise store the picture 100 000 times.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.local import LocalProxy

from survey import database
from survey.extensions import db
from survey.links import external_url
from survey.models import Branding, audit

AA_CONTRAST = 4.5
ON_ACCENT = "#ffffff"  # the text colour on the accent: see the module's docstring
MAX_LOGO_BYTES = 512 * 1024
MIN_SIDE, MAX_SIDE = 16, 2000
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
ROW_ID = 1
_CACHE_KEY = "hearken_brand"
# Read straight through the driver (database.read_row): a survey page's only other database work is one
# such read, and a session's transaction alone would cost it ≈0.4 ms.
_BRAND_ROW = select(Branding.accent_colour, Branding.logo_type, Branding.logo_digest, Branding.logo_width,
                    Branding.logo_height, Branding.updated_at).where(Branding.id == ROW_ID)


class BrandError(ValueError):
    """Refused settings: `problems` maps each field (accent_colour, logo) to what was wrong with it."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = problems


# --- the accent colour ----------------------------------------------------------------------------------

def _channel(value: int) -> float:
    """One sRGB channel (0–255) made linear, as WCAG 2.x defines relative luminance."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two #rrggbb colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ratio_text(ratio: float) -> str:
    """Rounded to two decimals as contrast checkers print it, except that 4.4999 is "4.49:1", never
    "4.50:1": a refused colour must not be shown as passing."""
    shown = round(ratio, 2)
    if ratio < AA_CONTRAST <= shown:
        shown = AA_CONTRAST - 0.01
    return f"{shown:.2f}:1"


def parse_accent(text: str | None) -> str | None:
    """The accent colour as stored (#rrggbb, lower case), None for Hearken's own; BrandError otherwise."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if not HEX_COLOUR.fullmatch(value):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise BrandError({"accent_colour": f"“{shown}” is not a colour: write # and six hexadecimal digits, "
                                           "like #1f4fa3"})
    ratio = contrast_ratio(value, ON_ACCENT)
    if ratio < AA_CONTRAST:
        raise BrandError({"accent_colour": f"white text on {value} has a contrast of {ratio_text(ratio)}; "
                                           "WCAG AA needs at least 4.5:1, so choose a darker colour"})
    return value


def shade(colour: str, amount: float = 0.25) -> str:
    """`colour` mixed with black: the hover colour (darker, so it keeps its contrast with white)."""
    channels = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in channels)


def stylesheet(accent: str) -> str:
    """The tiny stylesheet that puts the accent on every page (the CSP forbids inline styles)."""
    return f":root {{ --brand: {accent}; --brand-dark: {shade(accent)}; }}\n"


# --- the logo ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def _sniffed(data: bytes) -> str | None:
    """The format the first bytes say, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def read_logo(data: bytes) -> Logo:
    """The uploaded logo, checked; BrandError saying what is wrong with it otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise BrandError({"logo": "the file is empty"})
    if len(data) > MAX_LOGO_BYTES:
        raise BrandError({"logo": f"the file is {len(data) // 1024} KB; a logo may be at most 512 KB"})
    kind = _sniffed(data)
    if kind is None:
        what = "an SVG file, which can carry script" if b"<svg" in data[:1024].lower() else "not one"
        raise BrandError({"logo": f"a logo must be a PNG, JPEG or WebP picture; this file is {what}"})
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            width, height = image.size
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                raise BrandError({"logo": f"the picture is {width} × {height} pixels; each side must be "
                                          f"{MIN_SIDE} to {MAX_SIDE} pixels"})
            image.load()  # a truncated or corrupt file fails here, not in a customer's browser
    except BrandError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise BrandError({"logo": f"the file starts like a {kind} picture but cannot be read as one"}) from None
    return Logo(data, FORMATS[kind], width, height)


# --- the brand as pages and emails read it -----------------------------------------------------------------

@dataclass(frozen=True)
class Brand:
    accent: str | None = None
    logo_type: str | None = None
    logo_digest: str | None = None
    logo_width: int | None = None
    logo_height: int | None = None
    updated_at: datetime | None = None

    @property
    def has_logo(self) -> bool:
        return self.logo_digest is not None

    @property
    def link_colour(self) -> str:
        """The colour of links and buttons in emails (which cannot use the stylesheet)."""
        return self.accent or "#2459a9"

    @property
    def logo_file(self) -> str | None:
        if self.logo_digest is None or self.logo_type is None:
            return None
        return f"{self.logo_digest}.{EXTENSIONS[self.logo_type]}"

    def logo_src(self, *, external: bool = False) -> str | None:
        """The logo's address: the uploaded one, else HEARKEN_LOGO_URL (kept from before uploads; the app
        drops a bad one at start). `external`: absolute, for emails and sharing previews."""
        if self.logo_file is not None:
            return external_url("brand.logo", filename=self.logo_file) if external \
                else url_for("brand.logo", filename=self.logo_file)
        configured = current_app.config.get("LOGO_URL")
        if configured and external and configured.startswith("/"):
            return current_app.config["BASE_URL"].rstrip("/") + configured
        return configured or None

    def email_logo_size(self, height: int = 48, most_width: int = 200) -> tuple[int, int] | None:
        """(width, height) in CSS pixels for the emails' <img>: clients that ignore max-height need both."""
        if not self.logo_width or not self.logo_height:
            return None
        scale = min(height / self.logo_height, most_width / self.logo_width, 1.0)
        return max(1, round(self.logo_width * scale)), max(1, round(self.logo_height * scale))

    @property
    def stylesheet_url(self) -> str | None:
        return url_for("brand.accent", colour=self.accent[1:]) if self.accent else None


def current() -> Brand:
    """The brand now, read once per database session (a request; a dispatcher's pass): each customer page
    and email asks for it several times, and a campaign launch renders in one session."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        try:
            row = database.read_row(_BRAND_ROW)
        except SQLAlchemyError as error:
            # An error page after a database error still renders, in Hearken's own colours; the caller's
            # transaction has failed anyway, so nothing rendered here is ever committed.
            current_app.logger.warning("the brand could not be read: %s", type(error).__name__)
            return Brand()
        cached = Brand() if row is None else Brand(*row)
        db.session.info[_CACHE_KEY] = cached
    return cached


def logo_bytes(filename: str) -> tuple[bytes, str] | None:
    """The stored logo and its type when `filename` is the current logo's address."""
    row = db.session.get(Branding, ROW_ID)
    if row is None or row.logo is None or row.logo_type is None or filename != current().logo_file:
        return None
    return row.logo, row.logo_type


def save(accent_colour: str | None, logo: bytes | None, *, remove_logo: bool, actor_id: int | None,
         now: datetime) -> Brand:
    """Set the accent colour (empty: Hearken's own) and, when given, a new logo, or remove the logo. Every
    field is checked before anything is written: BrandError names each refused one, and nothing changes."""
    problems: dict[str, str] = {}
    accent = checked_logo = None
    try:
        accent = parse_accent(accent_colour)
    except BrandError as error:
        problems.update(error.problems)
    if logo is not None and not remove_logo:
        try:
            checked_logo = read_logo(logo)
        except BrandError as error:
            problems.update(error.problems)
    if problems:
        raise BrandError(problems)
    row = db.session.get(Branding, ROW_ID)
    if row is None:
        row = Branding(id=ROW_ID)
        db.session.add(row)
    row.accent_colour, row.updated_at, row.updated_by_id = accent, now, actor_id
    if remove_logo:
        row.logo = row.logo_type = row.logo_digest = row.logo_width = row.logo_height = None
    elif checked_logo is not None:
        row.logo, row.logo_type, row.logo_digest = checked_logo.data, checked_logo.content_type, checked_logo.digest
        row.logo_width, row.logo_height = checked_logo.width, checked_logo.height
    audit.record("branding.changed", "branding", now=now, actor_id=actor_id,
                 actor=f"user:{actor_id}" if actor_id else None, accent_colour=accent,
                 logo="removed" if remove_logo else "new" if checked_logo is not None else "kept")
    db.session.commit()
    db.session.info.pop(_CACHE_KEY, None)
    return current()


# --- the privacy notice --------------------------------------------------------------------------------------

def privacy_url_problem(url: str | None) -> str | None:
    """Why HEARKEN_PRIVACY_URL cannot be linked to, or None. Only http(s) addresses: the value goes into
    every customer page's and email's href."""
    if not url:
        return "HEARKEN_PRIVACY_URL is not set: customer pages and emails have no privacy-notice link"
    if not re.fullmatch(r"https?://[^\s<>\"']+", url):
        return f"HEARKEN_PRIVACY_URL {url!r} must be an http:// or https:// address: no link is shown"
    return None


def init_app(app: Flask) -> None:
    """`brand` in every template (read only when a template uses it), and a bad privacy address dropped
    (and named in the log and by `flask check-deploy`) rather than linked."""
    url = app.config.get("PRIVACY_URL")
    if url and (problem := privacy_url_problem(url)):
        app.logger.warning("%s", problem)
        app.config["PRIVACY_URL"] = None

    proxy: Any = LocalProxy(current)

    @app.context_processor
    def brand_in_templates() -> dict[str, Any]:
        return {"brand": proxy}

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from survey.extensions import Model


class Branding(Model):
    """The organisation's brand on customer pages and emails: one row (id 1), in the database so that every
    process behind the load balancer shows the same brand the moment an admin saves it.

    The logo's bytes are deferred: every customer page reads the row for its colour and the logo's address,
    and only the logo's own route needs the picture."""

    __tablename__ = "branding"

    id: Mapped[int] = mapped_column(primary_key=True)
    accent_colour: Mapped[str | None] = mapped_column(String(7))  # "#1f4fa3"; None: Hearken's own blue
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_type: Mapped[str | None] = mapped_column(String(16))  # image/png, image/jpeg or image/webp
    # The first 16 hex digits of the logo's SHA-256: its address, so it can be cached for ever.
    logo_digest: Mapped[str | None] = mapped_column(String(16))
    logo_width: Mapped[int | None]
    logo_height: Mapped[int | None]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

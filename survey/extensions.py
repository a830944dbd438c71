"""Unbound extension objects; `create_app` binds them to an application."""
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CheckConstraint, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause (a mapping may be on a join); every model here has a table.
        __table__: ClassVar[Table]


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """CHECK (`column` IN values), named ck_<table>_<column>: the database refuses a status no code handles (a
    typo in an UPDATE's values, a hand-edited row) instead of keeping a row that every query then passes over."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


db = SQLAlchemy(model_class=Base)

# Models derive from `Model`. At run time it is Flask-SQLAlchemy's `db.Model` (which adds the app-bound
# session); a type checker cannot follow an attribute of an instance as a base class, so it is told that
# `Model` is the declarative base the tables are mapped on, which is what their types come from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
# Customer pages and emails in the customer's language (survey/translations/, survey/web/locale.py).
babel = Babel()
login = LoginManager()
csrf = CSRFProtect()
# Counters in memory by default; HEARKEN_RATELIMIT_STORAGE_URI=redis://… shares them between processes.
limiter = Limiter(key_func=get_remote_address)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migrations(app: Flask):
    """Flask-Migrate on `app`, set up when first needed (`flask db …`, `survey.database.upgrade`): Alembic
    and Mako take 0.1 s to import, which every other command and every web process paid for nothing."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        # Batch mode lets later migrations alter SQLite tables (which has no ALTER COLUMN).
        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    return app.extensions["migrate"]

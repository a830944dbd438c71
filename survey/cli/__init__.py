"""The `flask` commands, each a few lines around a domain verb; the demo data; deployment checks."""
from survey.cli.commands import init_app

__all__ = ["init_app"]

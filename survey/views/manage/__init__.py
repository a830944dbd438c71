"""The manager pages: one blueprint, `manage` (/manage), with a child section per subject, each declaring
the roles it needs; one guard enforces them all (blueprint.py)."""
from survey.views.manage import (
    alerts,
    api_tokens,
    branding,
    cases,
    changelog,
    contacts,
    exports,
    imports,
    jobs,
    responses,
    results,
    sending,
    surveys,
    teams,
    themes,
    webhooks,
)
from survey.views.manage.blueprint import bp

for child in (surveys, cases, contacts, sending, alerts, results, responses, exports, imports, jobs, changelog,
              api_tokens, webhooks, branding, teams, themes):
    bp.register_blueprint(child.bp)

__all__ = ["bp"]

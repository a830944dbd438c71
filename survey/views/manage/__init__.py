"""The manager pages: one blueprint, `manage` (/manage), with a child section per subject, each declaring
the roles it needs; one guard enforces them all (blueprint.py)."""
from survey.views.manage import (
    alerts,
    api_tokens,
    audit,
    branding,
    cases,
    changelog,
    contacts,
    exports,
    imports,
    jobs,
    notifications,
    people,
    responses,
    results,
    scopes,
    sending,
    surveys,
    teams,
    themes,
    webhooks,
)
from survey.views.manage.blueprint import bp

for child in (surveys, cases, contacts, sending, alerts, results, responses, exports, imports, jobs, changelog,
              api_tokens, webhooks, branding, teams, notifications, audit, people, themes):
    bp.register_blueprint(child.bp)
bp.register_blueprint(teams.members_bp)

__all__ = ["bp", "scopes"]  # scopes: its view is on `bp` itself

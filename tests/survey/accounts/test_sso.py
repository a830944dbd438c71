"""Single sign-on's decisions on verified claims (the protocol is tested end to end in tests/oidc): the
settings, the role map, which claim values count, and the accounts a sign-in may link or create."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.accounts import sso
from survey.extensions import db
from survey.models import User
from tests.factories import NOW, make_user

CONFIG = {"OIDC_ISSUER": "https://login.example.com/realms/staff", "OIDC_CLIENT_ID": "hearken",
          "OIDC_CLIENT_SECRET": "s3cret", "OIDC_ROLE_CLAIM": "realm_access.roles",
          "OIDC_ROLE_MAP": "cx-agents=agent, cx-admins=admin,cx-analysts=analyst"}


def settings(**changes) -> sso.Settings:
    return sso.settings_from({**CONFIG, **changes})


def test_settings_name_what_is_missing_or_wrong():
    assert settings().role_map == {"cx-agents": "agent", "cx-admins": "admin", "cx-analysts": "analyst"}
    assert settings().provider_name == "single sign-on"
    cases = [({"OIDC_CLIENT_SECRET": ""}, "needs HEARKEN_OIDC_CLIENT_SECRET"),
             ({"OIDC_ISSUER": None, "OIDC_CLIENT_ID": None}, "needs HEARKEN_OIDC_ISSUER, HEARKEN_OIDC_CLIENT_ID"),
             ({"OIDC_ISSUER": "http://login.example.com"}, "must be an https:// URL"),
             ({"OIDC_SCOPES": "email profile"}, "must include openid"),
             ({"OIDC_DEFAULT_ROLE": "manager"}, "HEARKEN_OIDC_DEFAULT_ROLE is 'manager'"),
             ({"OIDC_ROLE_MAP": "cx-admins"}, "'cx-admins' is not written value=role"),
             ({"OIDC_ROLE_MAP": "cx=boss"}, "maps to 'boss'"),
             ({"OIDC_ROLE_MAP": "cx=agent,cx=admin"}, "maps 'cx' twice")]
    for changes, message in cases:
        with pytest.raises(sso.ConfigurationError, match=message):
            settings(**changes)


def test_claim_values_read_strings_lists_and_nested_objects():
    claims = {"groups": ["a", 3, "b"], "hd": "example.com", "realm_access": {"roles": ["x"]}}
    assert sso.claim_values(claims, "groups") == ["a", "b"]
    assert sso.claim_values(claims, "hd") == ["example.com"]
    assert sso.claim_values(claims, "realm_access.roles") == ["x"]
    assert sso.claim_values(claims, "realm_access.missing") == sso.claim_values(claims, "hd.x") == []


def test_the_most_privileged_mapped_role_wins_then_the_default_else_refused():
    roles = {"realm_access": {"roles": ["cx-agents", "cx-admins", "cx-analysts", "other"]}}
    assert sso.access_for(roles, settings()).role == "admin"
    assert sso.access_for({"realm_access": {"roles": ["other"]}}, settings(OIDC_DEFAULT_ROLE="agent")).role == "agent"
    with pytest.raises(sso.SignInRefused, match="has no role in Hearken"):
        sso.access_for({"realm_access": {"roles": ["other"]}}, settings())


def claims(subject="s-1", **changes):
    return {"sub": subject, "email": "manager@example.com", "email_verified": True,
            "realm_access": {"roles": ["cx-analysts"]}, **changes}


def test_refusals_change_nothing(ctx):
    user = make_user(email="manager@example.com", role="editor")
    cases = [(claims(sub=""), "names nobody"),
             (claims(email=None, subject="s-2"), "did not tell Hearken your email address"),
             (claims(email="not an address", subject="s-2"), "cannot use"),
             (claims(email_verified="true"), "does not say the address is verified")]  # a string is not true
    for refused, message in cases:
        with pytest.raises(sso.SignInRefused, match=message):
            sso.sign_in(refused, settings(), now=NOW)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert (user.oidc_subject, user.role) == (None, "editor")


def test_an_account_linked_at_this_issuer_is_not_linked_again_but_one_from_another_issuer_is(ctx):
    user = make_user(email="manager@example.com", role="editor")
    assert sso.sign_in(claims(), settings(), now=NOW) == user
    with pytest.raises(sso.SignInRefused, match="already linked to another"):
        sso.sign_in(claims(subject="s-2"), settings(), now=NOW)
    db.session.rollback()
    moved = settings(OIDC_ISSUER="https://login.microsoftonline.com/tenant/v2.0")
    assert sso.sign_in(claims(subject="entra-7"), moved, now=NOW) == user
    assert (user.oidc_issuer, user.oidc_subject) == (moved.issuer, "entra-7")


SCOPED = {"OIDC_SCOPE_MAP": "leeds-managers=location:Leeds, york-managers=location:York, billing=team:Billing",
          "SEGMENT_ATTRIBUTES": ("location", "team")}


def test_the_scope_map_is_checked_and_its_groups_add_up_to_a_scope():
    assert settings(**SCOPED).scope_map == {"leeds-managers": ("location", "Leeds"),
                                            "york-managers": ("location", "York"), "billing": ("team", "Billing")}
    for changes, message in [({"OIDC_SCOPE_MAP": "leeds=Leeds"}, "'leeds=Leeds' is not written value=attribute:value"),
                             ({"OIDC_SCOPE_MAP": "leeds=city:Leeds"}, "names 'city', which is not one of"),
                             ({"OIDC_SCOPE_MAP": "x=location:Leeds,x=location:York"}, "maps 'x' twice")]:
        with pytest.raises(sso.ConfigurationError, match=message):
            settings(**{**SCOPED, **changes})

    def scope_of(*groups):
        return sso.access_for({"realm_access": {"roles": ["cx-analysts", *groups]}}, settings(**SCOPED)).scope

    assert scope_of() is None  # in no mapped group: everything the role allows
    assert scope_of("leeds-managers") == {"location": ["Leeds"]}
    assert scope_of("york-managers", "leeds-managers") == {"location": ["Leeds", "York"]}  # either
    assert scope_of("leeds-managers", "billing") == {"location": ["Leeds"], "team": ["Billing"]}  # both


def test_each_sign_in_sets_the_scope_from_the_groups_and_the_log_says_so(ctx):
    from survey.models import AuditEntry

    groups = {"realm_access": {"roles": ["cx-analysts", "leeds-managers"]}}
    user = sso.sign_in(claims(**groups), settings(**SCOPED), now=NOW)
    assert user.scope == {"location": ["Leeds"]}
    user = sso.sign_in(claims(realm_access={"roles": ["cx-analysts"]}), settings(**SCOPED), now=NOW)
    assert user.scope is None  # left the group: the provider is the source of truth
    changes = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "user.scope_changed")
                                 .order_by(AuditEntry.id)).all()
    assert [(c["from"], c["to"], c["by"]) for c in changes] == [
        (None, {"location": ["Leeds"]}, "single sign-on"), ({"location": ["Leeds"]}, None, "single sign-on")]
    user.scope = {"location": ["York"]}  # set in Hearken; without the map a sign-in leaves it alone
    db.session.commit()
    assert sso.sign_in(claims(**groups), settings(), now=NOW).scope == {"location": ["York"]}

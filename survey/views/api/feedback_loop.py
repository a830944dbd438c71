"""Closing the loop, read-only: trend alerts, follow-up cases, and the published change entries (what the
public /changes page shows, with its measured impact)."""
from __future__ import annotations

from dataclasses import asdict

from flask import jsonify, request

from survey import alerts, changes, followups
from survey.clock import utcnow
from survey.extensions import db
from survey.links import external_url
from survey.models import Alert, ChangeEntry, FollowUpCase
from survey.models.alerts import ALERT_STATUSES
from survey.models.followups import CASE_STATUSES
from survey.transfer.exports import iso
from survey.views.api.parameters import PAGE_PARAMS, cursor, page_body
from survey.views.api.registry import ID, ApiError, Param, operation
from survey.views.api.schemas import ref


def _one(model, record_id: int, noun: str):
    found = db.session.get(model, record_id)
    if found is None:
        raise ApiError(404, "not_found", f"no {noun} with the id {record_id}", f"{noun}_id")
    return found


def _status(allowed: tuple[str, ...]) -> str | None:
    status = request.args.get("status")
    if status is not None and status not in allowed:
        raise ApiError(400, "invalid_parameter", f"status must be one of {', '.join(allowed)}", "status")
    return status


# --- alerts ---------------------------------------------------------------------------------------------

def alert_body(alert: Alert) -> dict:
    return {"id": alert.id, "survey": alert.survey.slug, "question": alert.question_key, "metric": alert.metric,
            "kind": alert.kind, "segment": dict(alert.segment or {}), "period_before": alert.period_before,
            "period_after": alert.period_after, "n_before": alert.n_before, "n_after": alert.n_after,
            "value_before": alert.value_before, "value_after": alert.value_after, "difference": alert.difference,
            "ci_low": alert.ci_low, "ci_high": alert.ci_high, "p_value": alert.p_value, "q_value": alert.q_value,
            "method": alert.method, "direction": alert.direction, "status": alert.status,
            "created_at": iso(alert.created_at), "case_id": alert.case_id}


@operation("/alerts", "GET", role="analyst", summary="List trend alerts (drops and rises)", tag="Alerts",
           params=(Param("status", {"enum": list(ALERT_STATUSES)}, "only alerts in this status"), *PAGE_PARAMS),
           responses={200: ("A page of alerts, oldest first", ref("AlertPage"))}, scoped=True)
def list_alerts():
    after, limit = cursor()
    return jsonify(page_body(alerts.alerts_after(after=after, limit=limit, status=_status(ALERT_STATUSES)), alert_body))


@operation(f"/alerts/<{ID}:alert_id>", "GET", role="analyst", summary="Read an alert", tag="Alerts",
           responses={200: ("The alert", ref("Alert")), 404: ("No alert with that id", ref("Error"))}, scoped=True)
def read_alert(alert_id: int):
    return jsonify(alert_body(_one(Alert, alert_id, "alert")))


# --- follow-up cases -----------------------------------------------------------------------------------

def case_body(case: FollowUpCase) -> dict:
    now = utcnow()
    return {"id": case.id, "reason": case.reason, "status": case.status, "summary": case.summary, "team": case.team,
            "owner": case.owner.email if case.owner else None,
            "contact_email": case.contact.email if case.contact else None, "response_id": case.response_id,
            "opened_at": iso(case.opened_at), "due_at": iso(case.due_at),
            "first_contact_at": iso(case.first_contact_at) if case.first_contact_at else None,
            "resolved_at": iso(case.resolved_at) if case.resolved_at else None,
            "overdue": followups.is_overdue(case, now), "problem_fixed": case.problem_fixed,
            "change_id": case.change_id, "team_id": case.team_id, "priority": case.priority,
            "resolve_due_at": iso(case.resolve_due_at) if case.resolve_due_at else None,
            "escalated_at": iso(case.escalated_at) if case.escalated_at else None,
            "root_cause": case.root_cause.code if case.root_cause else None}


@operation("/cases", "GET", role="agent", summary="List follow-up cases", tag="Follow-up cases",
           params=(Param("status", {"enum": list(CASE_STATUSES)}, "only cases in this status"), *PAGE_PARAMS),
           responses={200: ("A page of cases, oldest first", ref("CasePage"))}, scoped=True)
def list_cases():
    after, limit = cursor()
    return jsonify(page_body(followups.cases_after(after=after, limit=limit, status=_status(CASE_STATUSES)),
                             case_body))


@operation(f"/cases/<{ID}:case_id>", "GET", role="agent", summary="Read a follow-up case", tag="Follow-up cases",
           responses={200: ("The case", ref("Case")), 404: ("No case with that id", ref("Error"))}, scoped=True)
def read_case(case_id: int):
    return jsonify(case_body(_one(FollowUpCase, case_id, "case")))


# --- change entries ------------------------------------------------------------------------------------

def change_body(public: changes.PublicChange) -> dict:
    impact = public.impact
    return {"id": public.id, "title": public.title, "you_said": public.you_said, "we_did_html": public.we_did_html,
            "category": public.category, "status": public.status, "changed_on": public.changed_on.isoformat(),
            "published_at": iso(public.published_at), "updated_at": iso(public.updated_at),
            "raised_by": public.raised_by, "quotes": list(public.quotes),
            "impact": None if impact is None else {
                **{k: v for k, v in asdict(impact).items() if k not in ("low", "high")},
                "ci_low": impact.low, "ci_high": impact.high, "verdict": impact.verdict},
            "impact_numbers": public.impact_numbers,
            "url": external_url("public.changes") + f"#change-{public.id}"}


@operation("/changes", "GET", role="agent", summary="List published change entries", tag="Changes",
           params=(Param("category", {"type": "string", "maxLength": 80}, "only this category"),),
           description="What the public /changes page shows (newest first, at most 100), with the measured "
                       "before/after impact where an entry names one.",
           responses={200: ("Published entries", {"type": "object", "required": ["data"], "additionalProperties": False,
                                                  "properties": {"data": {"type": "array", "items": ref("Change")}}})})
def list_changes():
    found = changes.public_changes(category=request.args.get("category") or None, now=utcnow())
    return jsonify({"data": [change_body(entry) for entry in found]})


@operation(f"/changes/<{ID}:change_id>", "GET", role="agent", summary="Read a published change entry", tag="Changes",
           responses={200: ("The entry", ref("Change")), 404: ("No published entry with that id", ref("Error"))})
def read_change(change_id: int):
    entry = _one(ChangeEntry, change_id, "change")
    if entry.published_at is None or entry.deleted_at is not None:
        raise ApiError(404, "not_found", f"no published change with the id {change_id}", "change_id")
    return jsonify(change_body(changes.public_change(entry, now=utcnow())))

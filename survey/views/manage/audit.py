"""The audit log (admins): who did what and when, newest first, filtered by actor, action and dates, and the
same entries as CSV (streamed; the export is itself logged)."""
from __future__ import annotations

from flask import Response, render_template, request, stream_with_context

from survey.clock import utcnow
from survey.ids import parse_id
from survey.transfer import audit_log
from survey.views.manage.blueprint import section

bp = section("audit", __name__, read="admin", url_prefix="/audit")


@bp.route("/")
def index():
    parsed = audit_log.parse_filter(request.args)
    chosen = parsed.filter if not parsed.problems else audit_log.AuditFilter()
    before = parse_id(request.args.get("before", ""))
    return render_template("manage/audit.html", page=audit_log.page(chosen, before=before), f=parsed.filter,
                           problems=parsed.problems, actors=audit_log.actor_choices(),
                           actions=audit_log.action_choices(), retention=audit_log.retention_days(),
                           paged=before is not None), 400 if parsed.problems else 200


@bp.route("/audit.csv")
def export_csv():
    parsed = audit_log.parse_filter(request.args)
    if parsed.problems:
        return Response("Nothing was exported. " + " ".join(parsed.problems.values()) + "\n", status=400,
                        mimetype="text/plain")
    audit_log.record_export("audit", "audit_log", now=utcnow(), fmt="csv", filter_args=parsed.filter.args())
    return Response(stream_with_context(audit_log.csv_chunks(parsed.filter)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                             "Cache-Control": "no-store"})

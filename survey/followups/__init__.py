"""Closing the loop: follow-up cases for unhappy customers and complaints, with owners and
response-time standards."""
from survey.followups.cases import (
    COMPLAINTS_PER_SENDER,
    CaseError,
    ComplaintInput,
    FollowUpCase,
    TooManyComplaints,
    add_note,
    assign,
    case_for_response,
    cases_after,
    complaint_problems,
    due_after,
    earlier_cases,
    escalate_overdue,
    is_overdue,
    list_cases,
    open_for_response,
    open_manually,
    record_complaint,
    remind_overdue,
    set_status,
)
from survey.followups.compliance import MIN_CASES, compliance, recurring_causes, scorecard_cases
from survey.followups.teams import TeamError, TeamInput, owners_for, root_causes, teams_in_order

__all__ = [
    "COMPLAINTS_PER_SENDER", "MIN_CASES", "CaseError", "ComplaintInput", "FollowUpCase", "TeamError", "TeamInput",
    "TooManyComplaints", "add_note", "assign", "case_for_response", "cases_after", "complaint_problems", "compliance",
    "due_after", "earlier_cases", "escalate_overdue", "is_overdue", "list_cases", "open_for_response", "open_manually",
    "owners_for",
    "record_complaint", "recurring_causes", "remind_overdue", "root_causes", "scorecard_cases", "set_status",
    "teams_in_order",
]

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
    is_overdue,
    list_cases,
    open_for_response,
    open_manually,
    record_complaint,
    remind_overdue,
    set_status,
    standards,
)

__all__ = [
    "COMPLAINTS_PER_SENDER", "CaseError", "ComplaintInput", "FollowUpCase", "TooManyComplaints", "add_note",
    "assign", "case_for_response", "cases_after", "complaint_problems", "due_after", "earlier_cases", "is_overdue",
    "list_cases", "open_for_response", "open_manually", "record_complaint", "remind_overdue", "set_status",
    "standards",
]

"""Customers answering: answers parsed and validated, stored exactly once, drafts, refused forms kept."""
from survey.responding.submission import REFUSED_KEPT, ResponseDraft, read_stamp

__all__ = ["REFUSED_KEPT", "ResponseDraft", "read_stamp"]

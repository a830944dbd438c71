"""Request plumbing shared by every blueprint: security headers, size limits, body checks, the NUL guard,
rate limits and log redaction. Nothing here knows a domain verb."""

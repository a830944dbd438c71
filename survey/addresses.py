"""Email addresses as Hearken stores them: one shared rule for contacts, accounts, complaints and imports."""
from __future__ import annotations


class InvalidAddress(ValueError):
    """Not an address Hearken can store or send to; the message says why."""


def normalise_email(email: str) -> str:
    """The address as stored: validated, lower-cased (matching is case-insensitive), and in ASCII, as every
    mail server takes it: an international domain in its xn-- form. Characters outside ASCII before the @
    need a server that speaks SMTPUTF8, which Hearken does not ask for, so such an address is refused here
    rather than failing every campaign it is in."""
    # Imported here: email_validator (with idna and dnspython's names) is 30 ms of every process's start,
    # and most processes — a command, a worker serving survey pages — never check an address.
    from email_validator import EmailNotValidError, validate_email

    try:
        ascii_email = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError as error:
        raise InvalidAddress(f"{email!r} is not a valid email address: {error}") from None
    assert ascii_email is not None  # None only for an address that needs SMTPUTF8, refused above
    return ascii_email.lower()

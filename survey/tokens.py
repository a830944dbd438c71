"""Unguessable tokens for links (personal survey links, unsubscribe links, form submission keys)."""
import secrets


def new_token() -> str:
    """256 bits from the CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)

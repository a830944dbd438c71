"""Blueprints, one per audience: respond (customers answering), public (the changes page, complaints),
unsubscribe, auth, errors, api/ (the JSON API) and manage/ (every manager page)."""

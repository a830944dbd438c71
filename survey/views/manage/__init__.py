"""The manager pages, one module per subject."""

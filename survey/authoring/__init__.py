"""Authoring questionnaires: the JSON definition format (definitions), editing and versions (editing),
and the starter surveys (starters)."""
from survey.authoring.editing import (
    AuthoringError,
    add_ces_question,
    add_question,
    add_section,
    change_status,
    create_survey,
    duplicate_survey,
    find_survey,
    import_survey,
    list_surveys,
    move_question,
    remove_question,
    remove_section,
    split_into_sections,
    unique_slug,
    update_question,
    update_section,
)

__all__ = [
    "AuthoringError", "add_ces_question", "add_question", "add_section", "change_status", "create_survey",
    "duplicate_survey", "find_survey", "import_survey", "list_surveys", "move_question", "remove_question",
    "remove_section", "split_into_sections", "unique_slug", "update_question", "update_section",
]

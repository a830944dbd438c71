"""Manager accounts: users and their roles, passwords, data scopes, API tokens, the login device cookie."""
from survey.accounts.users import PASSWORD_METHOD, AccountError, create_user, find_user

__all__ = ["AccountError", "PASSWORD_METHOD", "create_user", "find_user"]

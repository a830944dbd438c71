"""Manager accounts: users and their roles, passwords, API tokens, the login device cookie."""
from survey.accounts.users import PASSWORD_METHOD, AccountError, create_user

__all__ = ["AccountError", "PASSWORD_METHOD", "create_user"]

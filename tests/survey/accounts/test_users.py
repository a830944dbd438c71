"""The hash an unknown email's password is checked against is a real hash of the current method and work
factor (so a wrong email costs what a wrong password costs), written as a literal so that importing the
application does not compute one (0.3 s per process)."""
from werkzeug.security import check_password_hash, generate_password_hash

from survey.accounts import users as accounts


def test_the_dummy_hash_has_the_parameters_of_a_new_hash_and_checks():
    fresh = generate_password_hash("x", method=accounts.PASSWORD_METHOD)
    assert accounts._DUMMY_HASH.split("$")[0] == fresh.split("$")[0]  # method and work factor
    assert len(accounts._DUMMY_HASH) == len(fresh)
    assert check_password_hash(accounts._DUMMY_HASH, "not a real password")

"""Users and their passwords (argon2), shared by the admin pages and ``seawall user``."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from seawall.accounts.roles import ROLES
from seawall.errors import InvalidInput
from seawall.store.accounts_models import User
from seawall.store.web_models import LoginAttempt

_hasher = PasswordHasher()
# Verified when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("seawall-dummy-password")

MIN_PASSWORD_LENGTH = 10


class UserError(InvalidInput, ValueError):
    """A user request that cannot be carried out (shown to the user)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True when ``password`` is the user's; as slow for no user as for a real one."""
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None


def refresh_hash(user: User, password: str) -> None:
    """Re-hash a just-verified password when the hashing parameters have changed."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str) -> User:
    """Add a user; the caller audits and commits."""
    username = username.strip()
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UserError("username must be 1-100 characters without spaces")
    if find_user(session, username):
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def unlock(session: Session, user: User) -> bool:
    """Clear the login delay after repeated failed logins (forget the failures counted
    against the name); False if there was nothing to clear."""
    if user.locked_until is None and not user.failed_logins:
        return False
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == user.username,
                                               LoginAttempt.success.is_(False)))
    user.locked_until = None
    user.failed_logins = 0
    return True

"""Password hashes: argon2id at OWASP's parameters, older hashes upgraded at the next login.

OWASP's password storage cheat sheet (2025): argon2id with 19 MiB of memory, 2 iterations,
1 lane. Accounts made before (werkzeug's scrypt or pbkdf2 hashes) still log in; their hash
is replaced by an argon2id one on that login.
"""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash


@cache
def _hasher(time_cost, memory_kib):
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher():
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])


def hash_password(password):
    return hasher().hash(password)


def verify_password(password_hash, password):
    """True when the password matches the stored hash (argon2id, or an older werkzeug one)."""
    if not password_hash:
        return False
    if password_hash.startswith("$argon2"):
        try:
            return hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(password_hash, password)


def needs_rehash(password_hash):
    """An older scheme or weaker parameters than the configured ones."""
    if not password_hash.startswith("$argon2id$"):
        return True
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(time_cost, memory_kib):
    return _hasher(time_cost, memory_kib).hash("not a password of anyone")


def waste_a_check(password):
    """Take as long as checking a real account's password (for unknown addresses)."""
    config = current_app.config
    dummy = _dummy_hash(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])
    verify_password(dummy, password)

"""Random tokens are stored only as hashes: a copy of the database opens no session or visit."""

import hashlib


def hash_token(token: str) -> str:
    """The SHA-256 of a random token, as stored in the database."""
    return hashlib.sha256(token.encode()).hexdigest()

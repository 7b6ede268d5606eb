"""API token checks."""

import hashlib
import hmac


def hash_token(token: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", token.encode(), salt, 200_000).hex()


def token_matches(presented: str, stored_hash: str, salt: bytes) -> bool:
    return hmac.compare_digest(hash_token(presented, salt), stored_hash)


def bearer_token(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    return token or None

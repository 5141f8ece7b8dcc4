"""The umpire's passphrase: a salted scrypt hash, never the passphrase itself.

In hot-seat the teams share the terminal with the umpire, so the umpire console is behind a
passphrase set at the start (``--umpire-pass`` or prompted). A save keeps only the hash (in its
``meta``), so a resumed game stays locked and nobody can read the passphrase out of the file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms, 16 MB; enough for a classroom, cheap to check
MIN_LENGTH = 4


def hash_passphrase(passphrase: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>`` of ``passphrase`` (a fresh random salt unless given)."""
    if len(passphrase) < MIN_LENGTH:
        raise ValueError(f"the umpire passphrase needs at least {MIN_LENGTH} characters")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify(passphrase: str, stored: str) -> bool:
    """Whether ``passphrase`` matches a ``hash_passphrase`` result (False for a malformed one)."""
    try:
        kind, salt_hex, digest_hex = stored.split("$")
        salt, want = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if kind != "scrypt" or not salt or len(want) != 32:
        return False
    got = hashlib.scrypt(passphrase.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return hmac.compare_digest(got, want)

"""Strict signatures for links, sessions and form tokens (itsdangerous).

itsdangerous decodes base64 leniently: characters outside the alphabet are skipped and
the spare bits of the last character are ignored, so one valid signature has many
spellings. A token is accepted here only in the exact spelling the product issues."""

from __future__ import annotations

import re
from collections.abc import Sequence

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import Signer
from itsdangerous.timed import TimestampSigner

TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_TOKEN_LENGTH = 1024  # every token the product issues is far shorter
_SIGNATURE = re.compile(rb"[A-Za-z0-9_-]+")


def canonical_signature(sig: bytes) -> bool:
    """The signature part is exactly what encoding its own bytes gives."""
    if not _SIGNATURE.fullmatch(sig):
        return False
    try:
        return base64_encode(base64_decode(sig)) == sig
    except Exception:  # malformed base64: refused like a wrong signature
        return False


class StrictSigner(Signer):
    """A signer that verifies only canonical spellings; TimestampSigner keeps Signer's
    verify_signature, so one override serves both through the MRO."""

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        raw = sig.encode("ascii", "replace") if isinstance(sig, str) else sig
        return canonical_signature(raw) and super().verify_signature(value, sig)


class StrictTimestampSigner(StrictSigner, TimestampSigner):
    pass


def well_formed(token: object) -> bool:
    """A token as the product spells them: URL-safe characters, bounded length."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH \
        and TOKEN_ALPHABET.fullmatch(token) is not None


def serializer(secrets: Sequence[str], salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(list(secrets), salt=salt, signer=StrictSigner)


def timed_serializer(secrets: Sequence[str], salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(secrets), salt=salt, signer=StrictTimestampSigner)

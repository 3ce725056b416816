"""EncryptedTextField: X access tokens and secrets are stored encrypted (Fernet) with FIELD_ENCRYPTION_KEY."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: str) -> MultiFernet:
    # Any passphrase works as a key: it is stretched to Fernet's 32 bytes. The first key encrypts, all decrypt,
    # so a key can be rotated by prepending the new one.
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(k.strip().encode()).digest())) for k in keys.split(",")]
    )


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted X credential cannot be read with FIELD_ENCRYPTION_KEY: was the key changed?"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; Python code only ever sees the plain value."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

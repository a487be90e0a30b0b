"""Flask's signed session cookie, with its signing serializer made once per secret key instead
of twice per request (to read the cookie and to write it). The cookie is the same, byte for
byte: same keys (SECRET_KEY, then SECRET_KEY_FALLBACKS), salt, serializer and signature."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionCookie(SecureCookieSessionInterface):
    """Flask's `SecureCookieSessionInterface`, keeping the serializer per secret key."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer

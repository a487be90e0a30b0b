"""The security headers every response carries (set in `create_app`'s after-request hook)."""

from __future__ import annotations

#: Pages load only the app's own files: no inline script, no third-party anything.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: The same, for the one document this site shows inside its own page (the desk's receipt print).
CONTENT_SECURITY_POLICY_SAME_ORIGIN_FRAME = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors 'self'"
)

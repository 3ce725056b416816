"""Content-Security-Policy on every answer: scripts only from Perch's own static files (no inline <script>, no
inline event handlers, no eval), so customer text that slipped past escaping still could not run.

Styles keep 'unsafe-inline': the emoji picker's shadow DOM and Django admin's widgets set inline styles, and a
style cannot run code. htmx's own inline indicator styles are switched off in base.html (includeIndicatorStyles).
"""

from django.conf import settings

DEFAULT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https://pbs.twimg.com",  # X serves profile images from its CDN
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(get_response):
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy)
        return response

    return middleware

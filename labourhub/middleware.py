import re
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from labourhub.scoping_sql import mfa_missing_as_loaded

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9\-_.]{1,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane one from the proxy) for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response


class NoStoreMiddleware:
    """Pages, exports and API answers for a signed-in user carry personal data: no browser or proxy
    may keep a copy (`Cache-Control: no-store`). API answers get it whoever asks (token clients
    are only known inside the view). Static files are served before this and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response


class MFARequiredMiddleware:
    """Users whose roles reach personal data beyond canvassing must set up MFA before any page opens."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and mfa_missing_as_loaded(request.user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Set up two-factor authentication first."}, status=403)
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)

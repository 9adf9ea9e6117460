"""The address of the client, as seen through our own proxies.

Behind the TLS proxy every request's REMOTE_ADDR is the proxy. Each proxy of ours appends the
address it received the request from to X-Forwarded-For, so with TRUSTED_PROXY_COUNT = n the
client is the n-th entry from the right; anything further left was written by the client and is
not believed. With 0 (the default) the header is ignored. Used by the sign-in rate limits (the
account adapter) and the audit log.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's address, or REMOTE_ADDR when the header is missing, too short or not an address."""
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return peer
    return _address(hops[-proxies]) or peer


def _address(text):
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:443
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None

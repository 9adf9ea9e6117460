"""The SMS provider's callbacks (labourhub/sms.py): delivery receipts and incoming texts. Public
URLs, as the provider calls them, but every request must carry a valid X-Twilio-Signature (an HMAC
of the URL and the posted fields with the account's auth token): unsigned or forged → 403."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from labourhub import sms

_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed(request: HttpRequest) -> bool:
    # The URL the provider was given (SITE_URL + path), not the one a proxy rewrote.
    url = settings.SITE_URL + request.get_full_path()
    params = {name: request.POST.getlist(name) for name in request.POST}
    return sms.signature_valid(url=url, params=params, given=request.headers.get("X-Twilio-Signature", ""))


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    if not sms.sms_enabled() or not _signed(request):
        return HttpResponseForbidden("Not signed by the SMS provider.")
    sms.sms_status_record(
        sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    if not sms.sms_enabled() or not _signed(request):
        return HttpResponseForbidden("Not signed by the SMS provider.")
    sms.sms_inbound_record(sender=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # No reply of our own: the provider answers STOP and START itself.
    return HttpResponse(_EMPTY_TWIML, content_type="text/xml")

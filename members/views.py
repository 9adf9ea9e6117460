import json

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from members import services
from members.models import BounceEvent


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookies or token
def unsubscribe(request, token):
    """One click from the email (or the provider's button) and no more member email. Shows nothing
    about the member: whoever holds the link may use it, but learns nothing from it."""
    recipient = services.recipient_from_token(token)
    if recipient is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        services.email_unsubscribe(recipient=recipient)
        return render(request, "members/unsubscribed.html")
    return render(request, "members/unsubscribe.html")


@csrf_exempt  # called by the email provider; each event carries our signed recipient token
@require_POST
def bounce_webhook(request):
    """Bounce and complaint events from a provider: {"events": [{"token", "type", "reason"}]}.
    The token is the X-LabourHub-Recipient header of the message, which providers echo back."""
    try:
        events = json.loads(request.body or b"")["events"]
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": 'Expected JSON like {"events": [{"token": ..., "type": "hard"}]}'}, status=400
        )
    recorded, rejected = 0, []
    for number, event in enumerate(events):
        recipient = (
            services.recipient_from_token(str(event.get("token", ""))) if isinstance(event, dict) else None
        )
        kind = event.get("type") if isinstance(event, dict) else None
        if recipient is None or kind not in BounceEvent.Kind.values:
            rejected.append(number)
            continue
        services.bounce_record(
            recipient=recipient, kind=kind, reason=str(event.get("reason", ""))[:500], source="webhook"
        )
        recorded += 1
    return JsonResponse({"recorded": recorded, "rejected": rejected}, status=200 if not rejected else 400)

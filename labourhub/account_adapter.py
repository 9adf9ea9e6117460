from datetime import timedelta

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.utils import timezone

from labourhub.client_ip import client_ip
from labourhub.tasks import account_email_send


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        html = next((content for content, mime in message.alternatives if mime == "text/html"), None)
        fields = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "html": html,
        }
        transaction.on_commit(lambda: account_email_send.delay(**fields))

    def get_client_ip(self, request):
        # Behind our proxies, the client's own address (see labourhub.client_ip): rate limits count
        # each client, not the proxy that all of them come through.
        return client_ip(request) or super().get_client_ip(request)

    def is_reauthentication_required(self, *, app, **kwargs):
        # Officers are sent to set up MFA straight after typing their password, then shown their
        # recovery codes; asking for the password again during those first minutes adds steps and
        # protects nothing. Once MFA is older than the reauthentication window, allauth's rule holds.
        user = getattr(context.request, "user", None)
        if app == "allauth.mfa" and user is not None and user.is_authenticated:
            window_start = timezone.now() - timedelta(seconds=account_settings.REAUTHENTICATION_TIMEOUT)
            if not Authenticator.objects.filter(user=user, created_at__lt=window_start).exists():
                return False
        return super().is_reauthentication_required(app=app, **kwargs)

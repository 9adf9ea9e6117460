from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

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

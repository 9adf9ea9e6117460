"""The privacy notice where data is collected (issue 16, item 5): the line canvassers, callers and
tellers read out, and the link on forms and emails."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


def short_link(constituency):
    """The notice's short link as read out: host and path, no scheme (labourhub.example/p/E14001063)."""
    url = f"{settings.SITE_URL}{reverse('privacy_notice_short', args=[constituency.gss_code])}"
    return url.split("://", 1)[-1]


@register.inclusion_tag("labourhub/privacy_script.html")
def privacy_script(constituency):
    """The one line read out at the door, on the phone and outside the polling station."""
    return {"constituency": constituency, "short_link": short_link(constituency)}


@register.inclusion_tag("labourhub/privacy_link.html")
def privacy_link(constituency):
    """ "How we use your information": the notice's link under a form that collects data."""
    return {"constituency": constituency}


@register.simple_tag
def privacy_notice_url(constituency):
    """The notice's full address, for emails."""
    return f"{settings.SITE_URL}{reverse('privacy_notice', args=[constituency.gss_code])}"

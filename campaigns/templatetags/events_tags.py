"""The member page's "Sessions you can join" (members/me.html includes it): one tap to sign up."""

from django import template

from campaigns import events_services

register = template.Library()


@register.inclusion_tag("campaigns/events/_member_upcoming.html", takes_context=True)
def member_upcoming_events(context, member):
    upcoming = events_services.upcoming_for_member(member=member) if member is not None else []
    return {"upcoming": upcoming, "csrf_token": context.get("csrf_token")}

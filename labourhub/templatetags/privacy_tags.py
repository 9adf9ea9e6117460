"""`{% if request.user|may_protect_data:constituency %}`: the subject access and erasure buttons on a
person's page show only to those who may use them there (Action.PROTECT_DATA)."""

from django import template

from labourhub.scoping import Action, can

register = template.Library()


@register.filter
def may_protect_data(user, constituency):
    return bool(user and user.is_authenticated and can(user, Action.PROTECT_DATA, constituency))

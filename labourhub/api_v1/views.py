"""The user's own API tokens: make one (its secret shown once), list them, revoke one."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from labourhub.api_v1.forms import TokenForm
from labourhub.api_v1.models import ApiToken
from labourhub.api_v1.services import api_token_create, api_token_revoke
from labourhub.scoping_sql import mfa_missing


@login_required
def token_list(request):
    needs_mfa = mfa_missing(request.user)
    form, secret = TokenForm(request.POST or None), None
    if request.method == "POST" and not needs_mfa and form.is_valid():
        day = form.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
            if day is not None
            else None
        )
        token, secret = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=expires_at,
            request=request,
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)[:200]
    status = 403 if request.method == "POST" and needs_mfa else 200
    return render(
        request,
        "labourhub/api_tokens.html",
        {"form": form, "tokens": tokens, "secret": secret, "needs_mfa": needs_mfa},
        status=status,
    )


@login_required
def token_revoke(request, pk):
    """Asks first (GET), revokes on POST."""
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404("No such token of yours.")
    if request.method != "POST":
        return render(request, "labourhub/api_token_revoke.html", {"token": token})
    api_token_revoke(user=request.user, token=token, request=request)
    messages.success(request, f"Token “{token.name}” revoked: it stops working at once.")
    return redirect("api_tokens")

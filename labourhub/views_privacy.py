"""A CLP's privacy notice (issue 16, item 5): public, no sign-in, read at the door through its short
link; its details as controller edited by the CLP secretary and the data protection lead."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from labourhub.forms import PrivacyNoticeForm
from labourhub.models import Constituency, PrivacyNotice
from labourhub.privacy_notice import data_sources, retention_schedule
from labourhub.services import privacy_notice_update
from labourhub.views_retention import get_protected_constituency

EDITABLE = list(PrivacyNoticeForm.base_fields)


def _public_constituency(gss):
    constituency = Constituency.objects.filter(gss_code=gss.upper()).first()
    if constituency is None:
        raise Http404("No CLP with that code.")
    return constituency


def privacy_notice(request, gss):
    """Public: the CLP's own details, what the code and settings say about sources and retention."""
    constituency = _public_constituency(gss)
    return render(
        request,
        "labourhub/privacy_notice.html",
        {
            "constituency": constituency,
            "notice": PrivacyNotice.for_constituency(constituency),
            "sources": data_sources(constituency),
            "retention": retention_schedule(),
        },
    )


def privacy_notice_short(request, gss):
    """The short link the canvassers read out: /p/E14001063."""
    return redirect("privacy_notice", gss=_public_constituency(gss).gss_code)


@login_required
def privacy_notice_edit(request, pk):
    constituency = get_protected_constituency(request, pk)
    notice = PrivacyNotice.for_constituency(constituency)
    if request.method == "POST":
        form = PrivacyNoticeForm(request.POST)
        if form.is_valid():
            privacy_notice_update(user=request.user, constituency=constituency, **form.cleaned_data)
            messages.success(request, "The privacy notice is saved.")
            return redirect(reverse("privacy_notice_edit", args=[constituency.pk]))
    else:
        form = PrivacyNoticeForm(initial={name: getattr(notice, name) for name in EDITABLE})
    return render(
        request,
        "labourhub/privacy_notice_edit.html",
        {"constituency": constituency, "notice": notice, "form": form},
    )

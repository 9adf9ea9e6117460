"""The pages of subject access and erasure, shared by the person's pages of the apps (the elector's
page in voters, the member's page in members): each app's view looks its row up through scoping with
Action.PROTECT_DATA and hands the person here. The mechanism: labourhub/privacy.py."""

from django.http import HttpResponse
from django.shortcuts import render

from labourhub import privacy
from labourhub.forms import ErasureForm


def subject_access_response(request, person, file_name, *, after=None):
    """One click: the zip of everything held, audited. `after(export)` notes it elsewhere (a request's
    timeline)."""
    export = privacy.subject_access_export(person=person, user=request.user, request=request)
    if after is not None:
        after(export)
    response = HttpResponse(export.archive(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def erase_page(request, person, *, name, back_url, after=None):
    """GET: what erasing (or an objection) would remove, and the notes that may name them; POST: do it,
    then `after(result)` notes it elsewhere (a request's timeline)."""
    person = privacy.person_linked(person)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = privacy.person_erase(
            person=person,
            user=request.user,
            reason=form.cleaned_data["reason"],
            erase=form.cleaned_data["what"] == ErasureForm.ERASE,
            request=request,
        )
        if after is not None:
            after(result)
        return render(request, "labourhub/privacy/erased.html", {"result": result, "back_url": back_url})
    return render(
        request,
        "labourhub/privacy/erase.html",
        {
            "name": name,
            "form": form,
            "erase_preview": privacy.erasure_preview(person, erase=True),
            "object_preview": privacy.erasure_preview(person, erase=False),
            "mentions": privacy.mentions(person),
            "back_url": back_url,
        },
        status=400 if form.is_bound else 200,
    )

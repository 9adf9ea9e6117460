"""Who else is on a case (further constituents, third parties with authority, linked cases) and
the office's agency directory (issue 15 items 2 and 4). Each view starts with one access-checked
lookup (the case through the seal, or the office the user works in); writes go through
casework.services, and each page showing a case is audited as the case page is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from casework import services
from casework.forms import AgencyForm, CaseLinkForm, ConstituentForm, ThirdPartyForm
from casework.models import Agency, OfficeMembership
from casework.views import (
    REFERENCE,
    _cases,
    _find_electors,
    _office_electors,
    add_errors,
    elector_asked,
    elector_posted,
    get_case_for_user,
    get_office_for_user,
)

AGENCY_PAGE = 200
FOUND_SHOWN = 25  # register matches listed when adding a constituent; more asks for a narrower search


def _page(request, template, case, form, status=200, **extra):
    services.case_viewed(user=request.user, case=case, request=request)
    return render(request, template, {"case": case, "form": form, **extra}, status=status)


@login_required
def case_constituents(request, pk):
    """Add a further constituent to the case: find them on the register of the office's area (GET
    ?find=, then ?elector=) or enter them fresh."""
    case = get_case_for_user(request, pk)
    find = request.GET.get("find", "")[:100]
    electors = _office_electors(request, case.office)
    chosen = None
    form = ConstituentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data, chosen = elector_posted(form, electors)
        if not form.errors:
            try:
                person = services.case_constituent_add(user=request.user, case=case, elector=chosen, **data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"{person.name} added to the case.")
                return redirect("casework:case", pk=case.pk)
    elif chosen := elector_asked(request, electors):
        form = ConstituentForm(initial={"elector": chosen.pk})
    found = list(_find_electors(electors, find).order_by("surname", "first_names")[: FOUND_SHOWN + 1])
    return _page(request, "casework/case_constituents.html", case, form, 400 if form.errors else 200,
                 find=find, found=found[:FOUND_SHOWN], more_found=len(found) > FOUND_SHOWN, chosen=chosen)  # fmt: skip


@login_required
def case_third_parties(request, pk):
    """Add a third party acting with the constituent's authority (POST), or record that the
    authority was withdrawn (POST withdraw=<id>)."""
    case = get_case_for_user(request, pk)
    if request.method == "POST" and request.POST.get("withdraw"):
        party = (
            case.third_parties.filter(pk=request.POST["withdraw"]).first()
            if request.POST["withdraw"].isdigit()
            else None
        )
        if party is None:
            raise Http404("No such third party on this case.")
        try:
            services.third_party_withdraw(user=request.user, case=case, third_party=party)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{party.name}'s authority is withdrawn: nothing more goes to them.")
        return redirect("casework:case", pk=case.pk)
    form = ThirdPartyForm(request.POST or None, request.FILES or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("form_upload")
        try:
            party = services.third_party_add(
                user=request.user,
                case=case,
                form_upload=(upload.name, upload.read()) if upload else None,
                **data,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, f"{party.name} can act for the constituent while their authority is live."
            )
            return redirect("casework:case", pk=case.pk)
    if form.errors and request.FILES.get("form_upload") and "form_upload" not in form.errors:
        # A browser never keeps a chosen file across a page with errors: say so, or the form's
        # next submit would say no form was attached.
        form.add_error(
            "form_upload", "Choose the signed form again: a file is not kept when the form has an error."
        )
    return _page(request, "casework/case_third_parties.html", case, form, 400 if form.errors else 200)


@login_required
def case_links(request, pk):
    """Link the case to another of the same office, found by its reference among the cases the
    caseworker sees."""
    case = get_case_for_user(request, pk)
    form = CaseLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        match = REFERENCE.match(form.cleaned_data["reference"])
        other = None
        if match is None:
            form.add_error("reference", "Write a case reference such as ANY/12/2026.")
        else:
            prefix, seq, year = match.groups()
            found = _cases(request.user).filter(reference_prefix=prefix.upper(), reference_seq=int(seq))
            if year:
                found = found.filter(reference_year=int(year))
            other = found.order_by("-reference_year").first()
            if other is None:
                form.add_error("reference", "No case you can see has that reference.")
        if other is not None:
            try:
                services.case_link(user=request.user, case=case, other=other, kind=form.cleaned_data["kind"],
                                   reason=form.cleaned_data["reason"])  # fmt: skip
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Linked to {other.reference}.")
                return redirect("casework:case", pk=case.pk)
    return _page(request, "casework/case_links.html", case, form, 400 if form.errors else 200)


def _lead_of(membership):
    return membership.role == OfficeMembership.Role.LEAD


@login_required
def agencies(request, pk):
    """The office's agency directory: its own agencies and the shared ones, with their contact
    routes and response targets. Any caseworker of the office reads it; the office lead adds (POST)."""
    office, membership = get_office_for_user(request, pk)
    form = AgencyForm(request.POST or None)
    if request.method == "POST":
        if not _lead_of(membership):
            raise PermissionDenied("Only the office lead may add to the directory.")
        if form.is_valid():
            try:
                agency = services.agency_save(user=request.user, office=office, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"{agency.name} is in the directory.")
                return redirect("casework:agencies", pk=office.pk)
    q = request.GET.get("q", "").strip()[:100]
    rows = Agency.objects.for_office(office)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(contact_route__icontains=q))
    context = {
        "office": office,
        "is_lead": _lead_of(membership),
        "form": form,
        "q": q,
        "agencies": rows.order_by("name")[:AGENCY_PAGE],
    }
    return render(request, "casework/agencies.html", context, status=400 if form.errors else 200)


@login_required
def agency_edit(request, pk, agency_pk):
    """The office lead edits one of the office's own agencies (the shared directory is the
    operator's, in the admin)."""
    office, membership = get_office_for_user(request, pk)
    if not _lead_of(membership):
        raise PermissionDenied("Only the office lead may edit the directory.")
    agency = Agency.objects.filter(office=office, pk=agency_pk).first()
    if agency is None:
        raise Http404("No such agency in this office's own directory.")
    fields = ("name", "kind", "response_working_days", "email", "phone", "portal_url", "postal_address",
              "contact_route")  # fmt: skip
    form = AgencyForm(request.POST or None, initial={f: getattr(agency, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_save(user=request.user, office=office, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("casework:agencies", pk=office.pk)
    context = {"office": office, "agency": agency, "form": form}
    return render(request, "casework/agency_edit.html", context, status=400 if form.errors else 200)

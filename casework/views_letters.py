"""Letters and emails from a case, and the office lead's templates. Each view starts with one
access-checked lookup (the case, the letter, or the office the user works in); writes go through
casework.services, and every letter shown is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from casework import letters, services
from casework.forms import LetterForm, LetterTemplateForm
from casework.models import Agency, Letter, LetterKind, OfficeMembership
from casework.views import add_errors, get_case_for_user, get_office_for_user
from labourhub.scoping import Action, get_for_user


def _agency(query, case):
    """The agency chosen in the query (?agency=) or the one the case awaits."""
    value = query.get("agency", "")
    if value.isdigit():
        return Agency.objects.for_office(case.office_id).filter(pk=value).first()
    return case.agency


def _third_party(query, case):
    """The third party chosen in the query (?third_party=), one of the case's own."""
    value = query.get("third_party", "")
    return case.third_parties.filter(pk=value).first() if value.isdigit() else None


def _prefill(case, kind, agency, user, third_party=None):
    """The form's first values: the merged template, addressed to the agency, a third party acting
    for the constituent, or the constituent."""
    subject, body = letters.draft(case=case, kind=kind, user=user, agency=agency)
    if letters.to_agency(kind) and agency is not None:
        route = agency.contact_route.strip()
        to_email = agency.email or (route if "@" in route and " " not in route else "")
        name = agency.name
        address = "" if to_email else (agency.postal_address or route)
    elif third_party is not None:
        name, to_email = third_party.name, third_party.email
        address = "\n".join(p for p in (third_party.organisation, *third_party.address.split(", ")) if p)
    else:
        name, to_email = case.name, case.email
        address = "\n".join(p for p in (*case.address.split(", "), case.postcode) if p)
    return {
        "kind": kind,
        "medium": Letter.Medium.EMAIL if to_email else Letter.Medium.LETTER,
        "agency": agency.pk if agency else None,
        "third_party": third_party.pk if third_party else None,
        "recipient_name": name,
        "recipient_address": address,
        "to_email": to_email,
        "subject": subject,
        "body": body,
    }


@login_required
def letter_new(request, pk):
    """Write a letter or an email on the case from one of the office's templates (GET: pre-filled
    from ?kind= and ?agency=; POST: print it or send it)."""
    case = get_case_for_user(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind") or LetterKind.ACKNOWLEDGEMENT
    if kind not in LetterKind.values:
        return render(
            request,
            "casework/letter_new.html",
            {
                "case": case,
                "problem": f"There is no kind of letter called {kind[:40]!r}.",
                "kinds": LetterKind.choices,
            },
            status=400,
        )
    if request.method == "POST":
        form = LetterForm(request.POST, case=case)
        if form.is_valid():
            try:
                letter = services.letter_create(user=request.user, case=case, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                if letter.medium == Letter.Medium.EMAIL:
                    messages.success(
                        request, f"The email to {letter.to_email} is queued: the worker sends it."
                    )
                    return redirect("casework:case", pk=case.pk)
                messages.success(request, "The letter is on the timeline, ready to print.")
                return redirect("casework:letter", pk=letter.pk)
        status = 400
    else:
        agency = _agency(request.GET, case)
        try:
            third_party = None if letters.to_agency(kind) else _third_party(request.GET, case)
            form = LetterForm(case=case, initial=_prefill(case, kind, agency, request.user, third_party))
        except letters.UnknownMergeField as error:
            return render(
                request,
                "casework/letter_new.html",
                {
                    "case": case,
                    "problem": f"The office's template cannot be used: {error}",
                    "kinds": LetterKind.choices,
                },
                status=400,
            )
        status = 200
    context = {
        "case": case,
        "form": form,
        "kind": LetterKind(kind),
        "kinds": LetterKind.choices,
        "signature": letters.signature(user=request.user, case=case),
    }
    return render(request, "casework/letter_new.html", context, status=status)


@login_required
def letter_detail(request, pk):
    """A letter as it went out: laid out to print (address block, date, reference, signature)."""
    letter = get_for_user(
        Letter, request, pk, Action.CASEWORK, related=("case__office", "created_by", "agency")
    )
    services.letter_viewed(user=request.user, letter=letter, request=request)
    context = {
        "letter": letter,
        "case": letter.case,
        "signature": letters.signature(user=letter.created_by, case=letter.case),
    }
    return render(request, "casework/letter.html", context)


def _lead_office(request, pk):
    office, membership = get_office_for_user(request, pk)
    if membership.role != OfficeMembership.Role.LEAD:
        raise PermissionDenied("Only the office lead edits its letter templates.")
    return office


@login_required
def office_templates(request, pk):
    """The office's four letters: its own wording or the shipped default of each."""
    office = _lead_office(request, pk)
    own = {t.kind: t for t in office.letter_templates.all()}
    rows = [(kind, label, own.get(kind)) for kind, label in LetterKind.choices]
    return render(request, "casework/letter_templates.html", {"office": office, "rows": rows})


@login_required
def office_template_edit(request, pk, kind):
    office = _lead_office(request, pk)
    if kind not in LetterKind.values:
        raise Http404(f"There is no kind of letter called {kind[:40]!r}.")
    current = letters.template_for(office, kind)
    form = LetterTemplateForm(
        request.POST or None, initial={"subject": current.subject, "body": current.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_template_save(user=request.user, office=office, kind=kind, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"The {LetterKind(kind).label.lower()} is saved.")
            return redirect("casework:letter_templates", pk=office.pk)
    context = {"office": office, "kind": LetterKind(kind), "form": form, "fields": letters.FIELDS}
    return render(request, "casework/letter_template_edit.html", context, status=400 if form.errors else 200)

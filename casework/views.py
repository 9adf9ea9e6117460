"""Casework pages: my cases, the office's cases, a case with its timeline, opening a case, and the
operator's counts. Each starts with one access-checked lookup; cases are read only through
`Case.objects.for_user(user, Action.CASEWORK)` (casework/models.py: its own seal), and every case
page shown is audited."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from casework import counts as casework_counts
from casework import services
from casework.forms import (
    AssignForm,
    CaseFilterForm,
    CaseOpenForm,
    ConsentForm,
    NoteForm,
    ReopenForm,
    StatusForm,
)
from casework.models import Case, CaseLink, LetterKind, Office, OfficeMembership
from labourhub.scoping import Action, get_for_user
from voters.models import Elector
from voters.search import COUNT_CAP, CappedPaginator

PAGE_SIZE = 50
# Chasers a page: the lists show the first page above their cases, with the count and a link to
# the rest (the chaser pages below), instead of up to 200 rows to scroll past.
CHASERS_PAGE_SIZE = 25
REFERENCE = re.compile(r"^\s*([A-Za-z]{2,8})\s*/\s*(\d+)\s*(?:/\s*(\d{4}))?\s*$")
POSTCODE = re.compile(r"^[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d?[A-Za-z]{0,2}$")


def _cases(user):
    return Case.objects.for_user(user, Action.CASEWORK)


def _memberships(user):
    return OfficeMembership.objects.in_force_for(user).select_related("office")


def get_office_for_user(request, pk):
    """The office `pk`, if the user works there now (404 otherwise), with their membership."""
    membership = _memberships(request.user).filter(office_id=pk).first() if str(pk).isdigit() else None
    if membership is None:
        raise Http404("No such office here.")
    return membership.office, membership


def get_case_for_user(request, pk):
    return get_for_user(
        Case, request, pk, Action.CASEWORK, related=("office", "topic__parent", "agency", "owner")
    )


class CasePaginator(CappedPaginator):
    """CappedPaginator over sealed cases: when the ids read first are all there is (at most
    COUNT_CAP), the page is read by those ids without compiling the seal a second time
    (`CaseQuerySet.listed_from_ids`); beyond the cap the page is read through the seal, in order."""

    def __init__(self, object_list, per_page):
        ids, rows = object_list.listed_from_ids(COUNT_CAP + 1)
        self.more_than_cap = len(ids) > COUNT_CAP
        Paginator.__init__(self, object_list if self.more_than_cap else rows, per_page)
        self.count = min(len(ids), COUNT_CAP)


def _case_url():
    """The case page's URL without its id: each row adds `<id>/`, instead of a `{% url %}` per row
    (reverse() was a fifth of drawing the list's 50 rows; tests/perf/bench_casework.py)."""
    return reverse("casework:case", args=[0]).removesuffix("0/")


def _listed(cases):
    return cases.select_related("topic__parent", "owner", "agency").order_by(
        "due_on", "-opened_on", "-reference_seq"
    )


def search_cases(cases, q):
    """By reference (ANY/12/2026 or ANY/12), postcode (with or without its space), or name."""
    q = q.strip()
    if not q:
        return cases
    if match := REFERENCE.match(q):
        prefix, seq, year = match.groups()
        found = cases.filter(reference_prefix=prefix.upper(), reference_seq=int(seq))
        return found.filter(reference_year=int(year)) if year else found
    if POSTCODE.match(q):
        compact = q.replace(" ", "").upper()
        spaced = f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact
        if len(compact) >= 5:
            return cases.matching(postcode_prefixes=(spaced, compact))
        return cases.matching(postcode_prefixes=(spaced, compact), name_query=_name_query(q))
    return cases.matching(name_query=_name_query(q))


NAME_WORD = re.compile(r"[^\W_]+")


def _name_query(q):
    """Names with a word starting with each word typed ("smi" finds Alice Smith; "a smith" too),
    through the full-text indexes of case and further constituents' names (migrations 0003, 0007:
    no pg_trgm in the embedded Postgres). Built only from letters and digits, so always valid; ""
    when nothing is left (then no name matches)."""
    words = NAME_WORD.findall(q.lower())[:6]
    return " & ".join(f"{word}:*" for word in words)


def _chasers_page(chasers, number=1):
    """A page of chasers to send (the longest late first), with their count."""
    return Paginator(chasers, CHASERS_PAGE_SIZE).get_page(number)


def _my_open_cases(request):
    """-> (the user's memberships, their own open cases in every office they work in)."""
    memberships = list(_memberships(request.user))
    if not memberships:
        raise PermissionDenied("You are not a caseworker of any office.")
    return memberships, _cases(request.user).mine(request.user).open()


@login_required
def my_cases(request):
    """The caseworker's own cases (assigned to them), overdue first, in every office they work in."""
    memberships, mine = _my_open_cases(request)
    overdue = mine.overdue()
    services.cases_listed(user=request.user, office=None, what="mine", request=request)
    context = {
        "memberships": memberships,
        "chasers": _chasers_page(mine.chasers_to_send()),
        "chasers_url": reverse("casework:my_chasers"),
        "overdue": _listed(overdue),
        "cases": _listed(mine.exclude(pk__in=overdue.values("pk")))[:200],
        "today": timezone.localdate(),
        "case_url": _case_url(),
    }
    return render(request, "casework/my_cases.html", context)


def _office_list(request, pk):
    """The office list's filters as asked: -> (office, membership, form, the cases they select, or
    None when the form is refused)."""
    office, membership = get_office_for_user(request, pk)
    form = CaseFilterForm(request.GET or None, office=office)
    if form.is_bound and not form.is_valid():
        return office, membership, form, None
    cases = Case.objects.in_office_for(request.user, membership)
    if not membership.sees_all:
        cases = cases.mine(request.user)
    data = form.cleaned_data if form.is_bound else {}
    status = data.get("status") or ""
    if status == "":
        cases = cases.open()
    elif status != "all":
        cases = cases.filter(status=status)
    if data.get("topic"):
        topic = data["topic"]
        cases = cases.filter(Q(topic=topic) | Q(topic__parent=topic))
    if data.get("owner"):
        cases = cases.filter(owner=data["owner"])
    if data.get("overdue"):
        cases = cases.overdue()
    return office, membership, form, search_cases(cases, data.get("q") or "")


def _refused(request, template, office, membership, form, **empty):
    context = {"office": office, "membership": membership, "form": form, "problem": form.problem(), **empty}
    return render(request, template, context, status=400)


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def office_cases(request, pk):
    office, membership, form, cases = _office_list(request, pk)
    if cases is None:
        page = Paginator(Case.objects.none(), PAGE_SIZE).get_page(1)
        return _refused(request, "casework/office_cases.html", office, membership, form, page=page)
    overdue = form.is_bound and form.cleaned_data["overdue"]
    page = CasePaginator(_listed(cases), PAGE_SIZE).get_page(request.GET.get("page"))
    services.cases_listed(user=request.user, office=office, what="office", request=request)
    query = _query_without_page(request)
    context = {
        "office": office,
        "membership": membership,
        "form": form,
        "page": page,
        "query": query,
        "today": timezone.localdate(),
        "chasers": _chasers_page(cases.chasers_to_send()) if overdue else None,
        "chasers_url": f"{reverse('casework:office_chasers', args=[office.pk])}?{query}",
        "case_url": _case_url(),
    }
    return render(request, "casework/office_cases.html", context)


@login_required
def office_chasers(request, pk):
    """Every chaser to send on the office's cases that the list's filters select, a page at a time
    (the overdue list shows the first page and links here with its filters)."""
    office, membership, form, cases = _office_list(request, pk)
    if cases is None:
        return _refused(request, "casework/office_chasers.html", office, membership, form)
    services.cases_listed(user=request.user, office=office, what="office chasers", request=request)
    context = {
        "office": office,
        "membership": membership,
        "form": form,
        "chasers": _chasers_page(cases.chasers_to_send(), request.GET.get("page")),
        "query": _query_without_page(request),
        "case_url": _case_url(),
    }
    return render(request, "casework/office_chasers.html", context)


@login_required
def my_chasers(request):
    """Every chaser to send on the caseworker's own open cases, a page at a time."""
    _, mine = _my_open_cases(request)
    services.cases_listed(user=request.user, office=None, what="my chasers", request=request)
    context = {
        "chasers": _chasers_page(mine.chasers_to_send(), request.GET.get("page")),
        "case_url": _case_url(),
    }
    return render(request, "casework/my_chasers.html", context)


@login_required
def case_detail(request, pk):
    case = get_case_for_user(request, pk)
    return _case_page(request, case)


def _case_page(request, case, *, status=200, **forms):
    """The case page. A refused form (`note_form`, `status_form`, `reopen_form`, `consent_form`,
    `assign_form`) is passed in bound, and shown again with its errors beside the boxes and what
    was typed."""
    services.case_viewed(user=request.user, case=case, request=request)
    # `case` came through the seal (get_case_for_user), so its own rows are read through it
    # rather than through the seal again: each sealed query costs ~4 ms of planning alone.
    assignments = list(case.assignments.select_related("user").order_by("assigned_at"))
    context = {
        "case": case,
        "timeline": case.timeline.select_related("author", "letter"),
        "assignees": [a.user for a in assignments],
        "consents": case.consents.select_related("recorded_by"),
        "constituents": case.constituents.all(),
        "third_parties": case.third_parties.select_related("authority_form", "verbal_recorded_by"),
        "links": _links(request.user, case),
        "chasers": list(case.chasers.to_send()),
        "letter_kinds": LetterKind.choices,
        "note_form": forms.get("note_form")
        or NoteForm(initial={"at": timezone.localtime().replace(second=0, microsecond=0)}),
        "status_form": forms.get("status_form") or (StatusForm(case=case) if case.is_open else None),
        "reopen_form": forms.get("reopen_form") or (ReopenForm() if not case.is_open else None),
        "consent_form": forms.get("consent_form") or ConsentForm(initial={"given_on": timezone.localdate()}),
        "assign_form": forms.get("assign_form")
        or AssignForm(case=case, initial={"assignees": [a.user_id for a in assignments]}),
    }
    return render(request, "casework/case.html", context, status=status)


class LinkShown:
    """One link on a case page: the other case and why, or, when the reader cannot see the other
    case (sensitive, or "my cases" only), only that a link exists."""

    def __init__(self, link, case, visible):
        outgoing = link.case_id == case.pk
        self.other = (link.other if outgoing else link.case) if visible else None
        self.reason = link.reason if visible else ""
        if link.kind == CaseLink.Kind.DUPLICATE:
            self.label = "Duplicate of" if outgoing else "Has a duplicate"
        else:
            self.label = link.get_kind_display()


def _links(user, case):
    """The case's links both ways (read through the sealed case), and which of the other cases
    `user` sees: one more query through the seal, only when there are links."""
    links = [*case.links_out.select_related("other"), *case.links_in.select_related("case")]
    if not links:
        return []
    others = {link.other_id if link.case_id == case.pk else link.case_id for link in links}
    visible = set(_cases(user).filter(pk__in=others).values_list("pk", flat=True))
    return [
        LinkShown(link, case, (link.other_id if link.case_id == case.pk else link.case_id) in visible)
        for link in links
    ]


def _back(case, problem=None, request=None):
    if problem is not None and request is not None:
        messages.error(request, problem)
    return redirect("casework:case", pk=case.pk)


def _message(error):
    if hasattr(error, "message_dict"):
        return "; ".join(" ".join(v) for v in error.message_dict.values())
    return " ".join(error.messages)


def add_errors(form, error):
    """A service's refusal shown on the form: beside the box it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@login_required
@require_POST
def case_note(request, pk):
    case = get_case_for_user(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_add(user=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
    if form.errors:
        return _case_page(request, case, note_form=form, status=400)
    messages.success(request, "Added to the timeline.")
    return _back(case)


@login_required
@require_POST
def case_status(request, pk):
    """Move the case on (or reopen it, when closed or cancelled)."""
    case = get_case_for_user(request, pk)
    if case.is_open:
        form = StatusForm(request.POST, case=case)
        if form.is_valid():
            try:
                services.case_move(user=request.user, case=case, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
        if form.errors:
            return _case_page(request, case, status_form=form, status=400)
    else:
        form = ReopenForm(request.POST)
        if form.is_valid():
            try:
                services.case_reopen(user=request.user, case=case, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_errors(form, error)
        if form.errors:
            return _case_page(request, case, reopen_form=form, status=400)
    messages.success(request, "Status changed.")
    return _back(case)


@login_required
@require_POST
def case_consent(request, pk):
    case = get_case_for_user(request, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(user=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
    if form.errors:
        return _case_page(request, case, consent_form=form, status=400)
    messages.success(request, "The constituent's answer is recorded.")
    return _back(case)


@login_required
@require_POST
def case_assign(request, pk):
    """Give the case an owner and assignees (each a caseworker of the office now)."""
    case = get_case_for_user(request, pk)
    form = AssignForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.case_assign(
                user=request.user,
                case=case,
                owner=form.cleaned_data["owner"],
                assignees=form.cleaned_data["assignees"],
            )
        except ValidationError as error:
            add_errors(form, error)
    if form.errors:
        return _case_page(request, case, assign_form=form, status=400)
    messages.success(request, "Owner and assignees saved.")
    return _back(case)


def _office_electors(request, office):
    """Electors on the register of the office's area, as the caseworker's grants allow."""
    area = Q(polling_district__constituency=office.constituency) | Q(
        polling_district__constituency__in=office.covers_constituencies.values("pk")
    )
    if office.covers_wards.exists():
        area = Q(polling_district__ward__in=office.covers_wards.values("pk"))
    return Elector.objects.for_user(request.user, Action.CASEWORK).filter(area).select_related("home")


def _find_electors(electors, find):
    find = find.strip()
    if not find:
        return electors.none()
    if POSTCODE.match(find) and len(find.replace(" ", "")) >= 5:
        return electors.filter(home__postcode=find.replace(" ", "").upper())
    words = find.split()
    found = electors.filter(surname__iexact=words[-1])
    if len(words) > 1:
        found = found.filter(first_names__istartswith=words[0])
    return found


def elector_posted(form, electors):
    """The valid `form`'s data without its `elector` id, and the elector it names if they are in
    `electors` (the register of the office's area); otherwise an error on the form, saying so."""
    data = dict(form.cleaned_data)
    elector_id = data.pop("elector")
    chosen = electors.filter(pk=elector_id).first() if elector_id else None
    if elector_id and chosen is None:
        form.add_error(None, "That elector is not on the register of this office's area.")
    return data, chosen


def elector_asked(request, electors):
    """The elector picked from the search results (GET ?elector=<id>), if in `electors`."""
    elector_id = request.GET.get("elector", "")
    return electors.filter(pk=elector_id).first() if elector_id.isdigit() else None


@login_required
def case_open(request, pk):
    office, _ = get_office_for_user(request, pk)
    find = request.GET.get("find", "")[:100]
    electors = _office_electors(request, office)
    chosen = None
    form = CaseOpenForm(request.POST or None, office=office, initial={"channel": Case.Channel.EMAIL})
    if request.method == "POST" and form.is_valid():
        data, chosen = elector_posted(form, electors)
        if not form.errors:
            try:
                case = services.case_open(user=request.user, office=office, elector=chosen, **data)
            except ValidationError as error:
                form.add_error(None, _message(error))
            else:
                messages.success(request, f"Case {case.reference} opened.")
                return redirect("casework:case", pk=case.pk)
    elif chosen := elector_asked(request, electors):
        form = CaseOpenForm(office=office, initial={"elector": chosen.pk, "channel": Case.Channel.EMAIL})
    context = {
        "office": office,
        "form": form,
        "find": find,
        "found": _find_electors(electors, find).order_by("surname", "first_names")[:25],
        "chosen": chosen,
    }
    return render(request, "casework/case_open.html", context, status=400 if form.errors else 200)


@login_required
def counts(request):
    """The platform operator's view of casework: how many cases each office holds, never a case."""
    if not request.user.is_superuser:
        raise PermissionDenied("Only the platform operator sees casework counts.")
    return render(request, "casework/counts.html", {"offices": casework_counts.per_office()})


def office_home_url(office: Office) -> str:
    return reverse("casework:office_cases", args=[office.pk])

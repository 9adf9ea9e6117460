"""The postal chase: postal voters among the promises, reminder calls and doors logged, address
labels. Canvassers and organisers (CANVASS in the election's CLP) see the list and log contacts;
labels (an export of addresses) need ORGANISE."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gotv import promises, services
from gotv.forms_ops import PostalContactForm
from gotv.models import PostalChaseContact
from gotv.views import get_election_for_user
from labourhub.scoping import Action, can
from labourhub.services import audit_record

SHOWN = 500
# Never contacted (NULL) or not yet saying it is posted: NOT (x = 'posted') alone drops the NULLs.
_still_to_chase = Q(chase_outcome__isnull=True) | ~Q(chase_outcome=PostalChaseContact.Outcome.POSTED)


def _postal_voters(election):
    """Postal voters among the promises, with their latest chase outcome and when."""
    latest = election.postal_chase_contacts.filter(elector=OuterRef("pk")).order_by("-at", "-pk")
    return (
        promises.promises(election)
        .filter(postal=True)
        .select_related("home")
        .annotate(
            chase_outcome=Subquery(latest.values("outcome")[:1]),
            chase_at=Subquery(latest.values("at")[:1]),
        )
    )


@login_required
def postal_chase(request, pk):
    election = get_election_for_user(request, pk, Action.CANVASS)
    voters = _postal_voters(election)
    show = request.GET.get("show", "to_chase")
    if show == "to_chase":
        voters = voters.filter(_still_to_chase)
    total = voters.count()
    outcomes = dict(PostalChaseContact.Outcome.choices)
    rows = [(voter, outcomes.get(voter.chase_outcome, "")) for voter in voters[:SHOWN]]
    return render(
        request,
        "gotv/postal_chase.html",
        {
            "election": election,
            "rows": rows,
            "total": total,
            "shown": SHOWN,
            "show": show,
            "closed": services.postal_chase_open(election),
            "may_print_labels": can(request.user, Action.ORGANISE, election.constituency),
            "form": PostalContactForm(),
            "channels": PostalChaseContact.CHANNEL_CHOICES,
            "outcomes": PostalChaseContact.Outcome.choices,
        },
    )


@login_required
@require_POST
def postal_chase_log(request, pk, elector_pk):
    election = get_election_for_user(request, pk, Action.CANVASS)
    elector = get_object_or_404(promises.promises(election).filter(postal=True), pk=elector_pk)
    form = PostalContactForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, f"Nothing logged for {elector.full_name}: {problems}")
    else:
        try:
            services.postal_chase_record(
                election=election, elector=elector, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{elector.full_name}: {form.cleaned_data['outcome'].replace('_', ' ')}."
            )
    show = "all" if request.POST.get("show") == "all" else "to_chase"
    return redirect(f"{reverse('gotv:postal_chase', args=[election.pk])}?show={show}")


@login_required
def postal_labels(request, pk):
    """Address labels for the postal voters still to chase (members' label layout, 3 x 7 on A4)."""
    election = get_election_for_user(request, pk, Action.ORGANISE)
    voters = list(
        _postal_voters(election)
        .filter(_still_to_chase)
        .order_by("home__postcode", "home__street", "home__house_number")[:2000]
    )
    audit_record(action="postal_chase.labels", request=request, obj=election, detail={"rows": len(voters)})
    labels = [(voter, [line for line in voter.home.address.split(", ") if line]) for voter in voters]
    return render(request, "gotv/postal_labels.html", {"election": election, "labels": labels})

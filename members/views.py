import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from labourhub.csv_export import safe_row
from labourhub.scoping import Action, can, constituencies_for, get_for_user, require
from labourhub.services import audit_record
from members import email_content, importers, reports, services
from members.forms import (
    ConsentForm,
    EmailForm,
    EmailStartForm,
    ImportMapForm,
    ImportUploadForm,
    MemberFilterForm,
    VolunteerForm,
    VolunteerSearchForm,
    audience_in_words,
)
from members.models import (
    BounceEvent,
    ElectorMatch,
    EmailSend,
    ImportMapping,
    Member,
    MemberImport,
    Volunteer,
)
from voters import contact_rule
from voters.models import Channel as ContactChannel

PAGE_SIZE = 50


def get_member_for_user(request, pk, action=Action.VIEW_MEMBERS):
    return get_for_user(Member, request, pk, action, related=("branch", "ward", "constituency"))


def get_email_send_for_user(request, pk, action=Action.MANAGE_MEMBERS):
    return get_for_user(EmailSend, request, pk, action, related=("constituency",))


def _filtered(request, action=Action.VIEW_MEMBERS):
    """(form, queryset) for the member filters in the query string, scoped to the user."""
    allowed = constituencies_for(request.user, action)
    form = MemberFilterForm(request.GET or None, constituencies=allowed)
    members = Member.objects.for_user(request.user, action)
    if form.is_bound and form.is_valid():
        members = members.matching(form.filters())
    elif form.is_bound:
        members = members.none()
    return form, members


# --- The secretary's pages ----------------------------------------------------------------


@login_required
def member_list(request):
    require(request.user, Action.VIEW_MEMBERS)
    form, members = _filtered(request)
    page = Paginator(members.select_related("branch"), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="members.list",
        request=request,
        scope_action=Action.VIEW_MEMBERS,
        detail={"query": request.GET.urlencode()},
    )
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "month_start": today.replace(day=1).isoformat(),
            "year_ago": today.replace(year=today.year - 1).isoformat(),
            "can_manage": can(request.user, Action.MANAGE_MEMBERS),
        },
    )


@login_required
def member_detail(request, pk):
    member = get_member_for_user(request, pk)
    form = ConsentForm()
    if request.method == "POST":
        member = get_member_for_user(request, pk, Action.MANAGE_MEMBERS)
        form = ConsentForm(request.POST)
        if form.is_valid():
            services.consent_record(
                member=member,
                source="officer",
                user=request.user,
                http_request=request,
                **form.cleaned_data,
            )
            messages.success(request, "Consent recorded.")
            return redirect("members:detail", pk=member.pk)
    audit_record(action="members.view", request=request, obj=member)
    return render(
        request,
        "members/detail.html",
        {
            "member": member,
            "consents": member.consents.select_related("recorded_by")[:50],
            "emails": member.emails.select_related("send").order_by("-planned_at")[:50],
            "volunteer": getattr(member, "volunteer", None),
            "form": form,
        },
    )


EXPORT_COLUMNS = [
    "membership_number",
    "title",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "phone",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "status",
    "joined_on",
    "arrears_since",
    "lapsed_on",
    "membership_type",
    "branch__name",
    "ward__name",
    "trade_union",
    "socialist_societies",
    "consent_email",
    "consent_sms",
    "consent_phone",
    "consent_post",
]


@login_required
def member_export(request):
    require(request.user, Action.MANAGE_MEMBERS)
    form, members = _filtered(request, Action.MANAGE_MEMBERS)
    rows = members.order_by("last_name", "first_name", "pk").values_list(*EXPORT_COLUMNS)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="members-{timezone.localdate():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow([c.replace("__name", "") for c in EXPORT_COLUMNS])
    count = 0
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(safe_row(row))
        count += 1
    audit_record(
        action="members.export",
        request=request,
        scope_action=Action.MANAGE_MEMBERS,
        detail={"query": request.GET.urlencode(), "rows": count},
    )
    return response


DEFAULT_LETTER = (
    "Dear {{first_name}},\n\nWe are writing to all our members without an email address to tell you about "
    "our next meeting. We would love to see you there.\n\nIn solidarity,\n\n{{constituency}} Labour Party"
)


@login_required
def member_letters(request):
    """Members with no email, as printable letters or address labels (print CSS: one letter a page)."""
    require(request.user, Action.MANAGE_MEMBERS)
    form, members = _filtered(request, Action.MANAGE_MEMBERS)
    letter = request.GET.get("letter") or DEFAULT_LETTER
    error = None
    try:
        email_content.check(subject="", body=letter)
    except email_content.ContentError as problem:
        error, letter = str(problem), DEFAULT_LETTER
    recipients = members.without_email().exclude(address_line1="")
    # The contact-frequency rule for post: members matched to an elector contacted recently are skipped.
    recipients, skipped, quiet_days = contact_rule.members_due(recipients, ContactChannel.POST)
    recipients = recipients.select_related("branch", "ward", "constituency")
    recipients = list(recipients.order_by("postcode", "last_name")[:2000])
    letters = [
        (
            member,
            email_content.fill(
                letter,
                services.merge_values(
                    send=EmailSend(constituency=member.constituency),
                    first_name=member.first_name,
                    last_name=member.last_name,
                    membership_number=member.membership_number,
                    branch=member.branch.name if member.branch else "",
                    ward=member.ward.name if member.ward else "",
                    unsubscribe_url="",
                ),
                str,
            ),
        )
        for member in recipients
    ]
    audit_record(
        action="members.letters",
        request=request,
        scope_action=Action.MANAGE_MEMBERS,
        detail={"rows": len(letters), "skipped_by_rule": skipped},
    )
    return render(
        request,
        "members/letters.html",
        {
            "form": form,
            "letters": letters,
            "letter": letter,
            "error": error,
            "labels": request.GET.get("format") == "labels",
            "skipped_by_rule": skipped,
            "quiet_days": " or ".join(str(days) for days in quiet_days),
        },
    )


@login_required
def membership_chart(request):
    """Members in good standing at the end of each of the last 24 months, per status."""
    require(request.user, Action.VIEW_MEMBERS)
    rows = reports.membership_by_month(constituencies=constituencies_for(request.user, Action.VIEW_MEMBERS))
    chart = {
        "labels": [row.month for row in rows],
        "members": [row.members for row in rows],
        "joined": [row.joined for row in rows],
        "lapsed": [row.lapsed for row in rows],
    }
    return render(request, "members/chart.html", {"rows": rows, "chart": chart})


@login_required
def volunteer_search(request):
    require(request.user, Action.VIEW_MEMBERS)
    form = VolunteerSearchForm(request.GET or None)
    volunteers = Volunteer.objects.for_user(request.user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["region"]:
            volunteers = Volunteer.objects.pool_for(request.user)
        if data["skill"]:
            volunteers = volunteers.with_skill(data["skill"])
        if data["available"]:
            volunteers = volunteers.filter(availability__contains=[data["available"]])
        for word in data["q"].split():
            volunteers = (
                volunteers.filter(member__last_name__istartswith=word)
                | volunteers.filter(member__first_name__istartswith=word)
                | volunteers.filter(other_skills__icontains=word)
            )
    page = Paginator(
        volunteers.select_related("member__constituency").order_by("member__last_name", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    audit_record(
        action="members.volunteers",
        request=request,
        scope_action=Action.VIEW_MEMBERS,
        detail={"query": request.GET.urlencode()},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/volunteers.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": can(request.user, Action.MANAGE_MEMBERS),
        },
    )


# --- Member email -----------------------------------------------------------------------


@login_required
def email_list(request):
    require(request.user, Action.MANAGE_MEMBERS)
    sends = EmailSend.objects.for_user(request.user).select_related("constituency")[:100]
    return render(request, "members/email_list.html", {"sends": sends})


@login_required
def email_compose(request, pk=None):
    require(request.user, Action.MANAGE_MEMBERS)
    send = get_email_send_for_user(request, pk) if pk else None
    if send is not None and send.state != EmailSend.State.DRAFT:
        return redirect("members:email_detail", pk=send.pk)
    allowed = constituencies_for(request.user, Action.MANAGE_MEMBERS)
    initial = (
        {"subject": send.subject, "body": send.body, "frequency_cap": send.frequency_cap} if send else {}
    )
    if send:
        initial["constituency"] = send.constituency
    form = EmailForm(request.POST or None, initial=initial, constituencies=allowed)
    # A new email's audience starts from the list filters it was opened from ("contact them").
    audience = MemberFilterForm(
        request.POST or (send.audience if send else request.GET or None), constituencies=allowed
    )
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        try:
            send = services.email_send_save(
                constituency=form.cleaned_data["constituency"],
                user=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                audience=audience.as_audience(),
                frequency_cap=form.cleaned_data["frequency_cap"],
                send=send,
            )
        except email_content.ContentError as problem:
            form.add_error(None, str(problem))
        else:
            return redirect("members:email_detail", pk=send.pk)
    return render(request, "members/email_compose.html", {"form": form, "audience": audience, "send": send})


@login_required
def email_detail(request, pk):
    send = get_email_send_for_user(request, pk)
    context = {"send": send, "report": send.report(), "start_form": EmailStartForm()}
    if send.state == EmailSend.State.DRAFT:
        try:
            context["preview"] = services.email_preview(send=send, user=request.user)
        except (email_content.ContentError, ValueError) as problem:
            context["preview_error"] = str(problem)
        context["audience_count"] = services.email_audience_due(send, request.user).count()
        context.update(_skipped_by_rule(send, request.user))
    context["bounces"] = (
        BounceEvent.objects.for_user(request.user, Action.MANAGE_MEMBERS)
        .filter(recipient__send=send)
        .select_related("recipient")[:20]
    )
    context["failures"] = send.recipients.filter(state="failed").order_by("id")[:20]
    return render(request, "members/email_detail.html", context)


@login_required
def email_progress(request, pk):
    send = get_email_send_for_user(request, pk)
    return render(request, "members/_email_progress.html", {"send": send, "report": send.report()})


@login_required
@require_POST
def email_test(request, pk):
    send = get_email_send_for_user(request, pk)
    services.email_send_test(send=send, user=request.user)
    messages.success(request, f"A test copy is on its way to {request.user.email}.")
    return redirect("members:email_detail", pk=send.pk)


@login_required
@require_POST
def email_start(request, pk):
    """Send (or schedule) only once the sender has confirmed the count and the audience in words: the
    first press shows "Send to 124 lapsed members in Anytown?", and the confirmation starts it only
    while the count is still the one confirmed."""
    send = get_email_send_for_user(request, pk)
    form = EmailStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That send time is not a date and time.")
        return redirect("members:email_detail", pk=send.pk)
    when = form.cleaned_data["when"]
    if send.state == EmailSend.State.DRAFT:
        count = services.email_audience_due(send, request.user).count()
        if form.cleaned_data["confirmed_count"] != count:
            confirm = EmailStartForm(initial={"when": when, "confirmed_count": count})
            context = {
                "send": send,
                "count": count,
                "audience": audience_in_words(send, count),
                "when": when,
                "changed": form.cleaned_data["confirmed_count"] is not None,
                "form": confirm,
                **_skipped_by_rule(send, request.user),
            }
            return render(request, "members/email_confirm.html", context)
    try:
        services.email_send_start(send=send, user=request.user, when=when)
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"Scheduled for {when:%d %b %Y %H:%M}." if when else "Sending now.")
    return redirect("members:email_detail", pk=send.pk)


def _skipped_by_rule(send, user):
    """The contact-frequency rule's count for the page that plans a send (voters.contact_rule)."""
    return {
        "skipped_by_rule": services.email_skipped_by_rule(send, user),
        "quiet_days": contact_rule.quiet_days(
            constituency=send.constituency_id, channel=ContactChannel.EMAIL
        ),
    }


@login_required
@require_POST
def email_stop(request, pk):
    """Cancel a send before anything went, or stop it mid-way; its page then reports what went."""
    send = get_email_send_for_user(request, pk)
    cancel = request.POST.get("what") == "cancel"
    try:
        if cancel:
            send = services.email_send_cancel(send=send, user=request.user)
        else:
            send = services.email_send_stop(send=send, user=request.user)
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request, "Cancelled: nothing was sent." if cancel else "Stopped: nothing more is sent."
        )
    return redirect("members:email_detail", pk=send.pk)


# --- Imports --------------------------------------------------------------------------


def get_member_import_for_user(request, pk, action=Action.MANAGE_MEMBERS):
    return get_for_user(MemberImport, request, pk, action, related=("constituency", "mapping"))


@login_required
def import_upload(request):
    require(request.user, Action.MANAGE_MEMBERS)
    allowed = constituencies_for(request.user, Action.MANAGE_MEMBERS)
    form = ImportUploadForm(request.POST or None, request.FILES or None, constituencies=allowed)
    if request.method == "POST" and form.is_valid():
        member_import = services.member_import_create(
            constituency=form.cleaned_data["constituency"],
            upload=form.cleaned_data["file"],
            user=request.user,
            http_request=request,
        )
        return redirect("members:import_map", pk=member_import.pk)
    imports = MemberImport.objects.for_user(request.user).select_related("constituency")[:20]
    return render(request, "members/import_upload.html", {"form": form, "imports": imports})


@login_required
def import_map(request, pk):
    member_import = get_member_import_for_user(request, pk)
    if member_import.state != MemberImport.State.WAITING or member_import.mapping_id:
        return redirect("members:import_detail", pk=member_import.pk)
    try:
        with member_import.file.open("rb") as file:
            headers = importers.read_headers(file, member_import.file_name)
    except importers.ImportRejected as rejected:
        messages.error(request, str(rejected))
        return redirect("members:import_upload")
    previous = (
        ImportMapping.objects.for_user(request.user, Action.MANAGE_MEMBERS)
        .filter(constituency=member_import.constituency)
        .order_by("-updated_at")
        .first()
    )
    initial = importers.guess_mapping(headers)
    if previous:
        initial |= {name: header for name, header in previous.columns.items() if header in headers}
    form = ImportMapForm(
        request.POST or None,
        headers=headers,
        initial_columns=initial,
        initial={"mapping_name": previous.name if previous else "Membership export"},
    )
    if request.method == "POST" and form.is_valid():
        services.member_import_queue(
            member_import=member_import,
            mapping_name=form.cleaned_data["mapping_name"],
            columns=form.columns(),
        )
        return redirect("members:import_detail", pk=member_import.pk)
    return render(
        request, "members/import_map.html", {"form": form, "import": member_import, "headers": headers}
    )


@login_required
def import_detail(request, pk):
    member_import = get_member_import_for_user(request, pk)
    template = "members/_import_progress.html" if request.htmx else "members/import_detail.html"
    return render(request, template, {"import": member_import})


# --- Matching members to the register ---------------------------------------------------


@login_required
def elector_matches(request):
    """Uncertain member-to-elector matches for an officer to confirm or reject."""
    require(request.user, Action.MANAGE_MEMBERS)
    allowed = constituencies_for(request.user, Action.MANAGE_MEMBERS)
    if request.method == "POST":
        constituency = get_object_or_404(allowed, pk=request.POST.get("constituency"))
        linked, proposed = services.member_match_electors(constituency=constituency, user=request.user)
        messages.success(request, f"{linked} linked for certain; {proposed} to review.")
        return redirect("members:matches")
    matches = (
        ElectorMatch.objects.for_user(request.user)
        .to_review()
        .select_related("member", "elector__home", "elector__polling_district")
    )
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(action="members.matches", request=request, scope_action=Action.MANAGE_MEMBERS)
    return render(request, "members/matches.html", {"page": page, "constituencies": allowed, "query": ""})


@login_required
@require_POST
def elector_match_decide(request, pk):
    match = get_object_or_404(ElectorMatch.objects.for_user(request.user).select_related("member"), pk=pk)
    try:
        services.elector_match_decide(
            match=match, confirm=request.POST.get("decision") == "confirm", user=request.user
        )
    except ValueError as problem:
        messages.error(request, str(problem))
    return redirect("members:matches")


# --- The member's own page -----------------------------------------------------------------


def _own_member(request):
    return (
        Member.objects.for_linked_user(request.user).select_related("branch", "ward", "constituency").first()
    )


@login_required
def my_record(request):
    member = _own_member(request)
    if member is None:
        return render(request, "members/me.html", {"member": None})
    volunteer = getattr(member, "volunteer", None)
    volunteer_form = VolunteerForm(
        request.POST if request.POST.get("part") == "volunteer" else None,
        initial={
            "skills": volunteer.skills,
            "other_skills": volunteer.other_skills,
            "availability": volunteer.availability,
            "help_other_clps": volunteer.help_other_clps,
        }
        if volunteer
        else None,
    )
    if request.method == "POST" and request.POST.get("part") == "consent":
        channel, granted = request.POST.get("channel", ""), request.POST.get("granted") == "yes"
        try:
            services.consent_record(
                member=member,
                channel=channel,
                granted=granted,
                wording=f"{'Agreed to' if granted else 'Stopped'} {channel} contact on their member page.",
                source="member page",
                user=request.user,
                http_request=request,
            )
        except ValueError as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, "Saved.")
        return redirect("members:me")
    if request.method == "POST" and volunteer_form.is_valid():
        services.volunteer_save(member=member, user=request.user, **volunteer_form.cleaned_data)
        messages.success(request, "Your volunteer profile is saved.")
        return redirect("members:me")
    return render(
        request,
        "members/me.html",
        {
            "member": member,
            "volunteer_form": volunteer_form,
            "channels": [(c, member.consent_for(c)) for c in ("email", "sms", "phone", "post")],
            "consents": member.consents.all()[:50],
            "emails": member.emails.select_related("send").order_by("-planned_at")[:50],
        },
    )


@login_required
def my_record_download(request):
    """Everything held on the signed-in member, as JSON (subject access)."""
    member = _own_member(request)
    if member is None:
        raise Http404("No membership record is linked to your account.")
    data = {
        "member": Member.objects.for_linked_user(request.user)
        .filter(pk=member.pk)
        .values(*EXPORT_COLUMNS, "date_of_birth", "joined_on")
        .get()
        | {"matched_to_the_electoral_register": member.elector_id is not None},
        "consents": list(member.consents.values("channel", "granted", "recorded_at", "wording", "source")),
        "emails": list(member.emails.values("send__subject", "state", "sent_at", "email", "unsubscribed_at")),
        "volunteer": {
            field: getattr(member.volunteer, field)
            for field in ("skills", "other_skills", "availability", "help_other_clps", "notes")
        }
        if hasattr(member, "volunteer")
        else None,
    }
    audit_record(action="members.own_download", request=request, obj=member)
    response = HttpResponse(
        json.dumps(data, indent=2, cls=DjangoJSONEncoder), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-membership-record.json"'
    return response


# --- What comes back from email ---------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookies or token
def unsubscribe(request, token):
    """One click from the email (or the provider's button) and no more member email. Shows nothing
    about the member: whoever holds the link may use it, but learns nothing from it."""
    recipient = services.recipient_from_token(token)
    if recipient is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        services.email_unsubscribe(recipient=recipient)
        return render(request, "members/unsubscribed.html")
    return render(request, "members/unsubscribe.html")


@csrf_exempt  # called by the email provider; each event carries our signed recipient token
@require_POST
def bounce_webhook(request):
    """Bounce and complaint events from a provider: {"events": [{"token", "type", "reason"}]}.
    The token is the X-LabourHub-Recipient header of the message, which providers echo back."""
    try:
        events = json.loads(request.body or b"")["events"]
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": 'Expected JSON like {"events": [{"token": ..., "type": "hard"}]}'}, status=400
        )
    recorded, rejected = 0, []
    for number, event in enumerate(events):
        recipient = (
            services.recipient_from_token(str(event.get("token", ""))) if isinstance(event, dict) else None
        )
        kind = event.get("type") if isinstance(event, dict) else None
        if recipient is None or kind not in BounceEvent.Kind.values:
            rejected.append(number)
            continue
        services.bounce_record(
            recipient=recipient, kind=kind, reason=str(event.get("reason", ""))[:500], source="webhook"
        )
        recorded += 1
    return JsonResponse({"recorded": recorded, "rejected": rejected}, status=200 if not rejected else 400)

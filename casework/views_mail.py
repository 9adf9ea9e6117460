"""Inbound correspondence pages: the office's mailbox (its lead connects it), the inbox (messages
taken in, and .eml upload for the office's caseworkers), attachments on a case (upload, download).

Every file is read through a scoped lookup (`get_for_user(Attachment | InboundMessage, ...)`,
which re-checks the case's visibility: sensitive cases only for assignees and the lead) and every
download is audited, by ids."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casework import attachments, inbound
from casework.forms_mail import AttachmentForm, EmlUploadForm, MailboxForm
from casework.models import Case, OfficeMembership
from casework.models_mail import Attachment, InboundMessage, OfficeMailbox
from casework.views import _case_page, _message, get_case_for_user, get_office_for_user
from labourhub.scoping import Action, get_for_user

HEADER_BYTES = 65536  # what is read of a message too big to file: enough for its headers


@login_required
def mailbox_settings(request, pk):
    office, membership = get_office_for_user(request, pk)
    if membership.role != OfficeMembership.Role.LEAD:
        raise PermissionDenied("Only the office lead connects the office's mailbox.")
    mailbox = OfficeMailbox.objects.filter(office=office).first()
    initial = (
        {f: getattr(mailbox, f) for f in ("host", "port", "security", "username", "folder", "enabled")}
        if mailbox
        else None
    )
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            inbound.mailbox_set(user=request.user, office=office, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _message(error))
        else:
            messages.success(request, "The mailbox is connected; new mail is read every few minutes.")
            return redirect("casework:mailbox", pk=office.pk)
    context = {"office": office, "form": form, "mailbox": mailbox}
    return render(request, "casework/mailbox.html", context, status=400 if form.errors else 200)


def _read_upload(upload):
    """The file's bytes, or only its first HEADER_BYTES when it is over the message limit (the
    rest is not read into memory); with its size."""
    if upload.size > settings.CASEWORK_MAX_MESSAGE_BYTES:
        return upload.read(HEADER_BYTES), upload.size
    return upload.read(), upload.size


def _result(request, name, filed):
    message = filed.message
    visible = Case.objects.for_user(request.user, Action.CASEWORK).filter(pk=message.case_id).exists()
    if not filed.created:
        return {"name": name, "text": "already taken in before; nothing new was filed.", "case": None}
    if message.state == InboundMessage.State.REFUSED:
        return {"name": name, "text": message.problem, "case": None, "problem": True}
    what = "opened a new case in triage" if message.state == InboundMessage.State.OPENED else "attached to"
    if not visible:
        return {"name": name, "text": "attached to a case of the office you do not work on.", "case": None}
    note = f" {message.problem}" if message.problem else ""
    return {"name": name, "text": what + note, "case": message.case, "problem": bool(message.problem)}


@login_required
def inbox(request, pk):
    """Messages taken in (from the mailbox or uploaded), and the .eml upload (one or many files)."""
    office, membership = get_office_for_user(request, pk)
    form = EmlUploadForm(request.POST, request.FILES) if request.method == "POST" else EmlUploadForm()
    results = []
    if request.method == "POST" and form.is_valid():
        for upload in form.cleaned_data["files"]:
            raw, size = _read_upload(upload)
            filed = inbound.message_file(
                office=office, raw=raw, source=InboundMessage.Source.UPLOAD, user=request.user, size=size
            )
            results.append(_result(request, attachments.clean_filename(upload.name), filed))
    taken_in = (
        InboundMessage.objects.for_user(request.user, Action.CASEWORK)
        .filter(office=office)
        .select_related("case")[:100]
    )
    context = {
        "office": office,
        "membership": membership,
        "form": form,
        "results": results,
        "taken_in": taken_in,
        "mailbox": OfficeMailbox.objects.filter(office=office).first(),
        "limit_mb": settings.CASEWORK_MAX_MESSAGE_BYTES // (1024 * 1024),
    }
    return render(request, "casework/inbox.html", context, status=400 if form.errors else 200)


@login_required
def message_raw(request, pk):
    """The message as received (.eml), for the office to read or save: scoped and audited."""
    message = get_for_user(InboundMessage, request, pk, Action.CASEWORK)
    if not message.raw_file:
        raise Http404("This message was too big to keep; it is in the office's mailbox.")
    attachments.message_downloaded(user=request.user, message=message, request=request)
    return FileResponse(
        open(attachments.stored_path(message.raw_file), "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=f"message-{message.pk}.eml",
        content_type="message/rfc822",
    )


@login_required
@require_POST
def case_attach(request, pk):
    """Attach a file on the case page; a refused file is said on the case page again (400)."""
    case = get_case_for_user(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Nothing attached: " + " ".join(form.errors.get("file", ["choose a file."])))
        return _case_page(request, case, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > settings.CASEWORK_MAX_ATTACHMENT_BYTES:
        data = upload.read(settings.CASEWORK_MAX_ATTACHMENT_BYTES + 1)  # enough to be refused
    else:
        data = upload.read()
    try:
        attachments.attachment_add(
            case=case, filename=upload.name, data=data, user=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, "Nothing attached: " + _message(error))
        return _case_page(request, case, status=400)
    messages.success(request, "Attached.")
    return redirect("casework:case", pk=case.pk)


@login_required
def attachment_download(request, pk):
    """An attachment, only where its case is seen (sensitive: assignees and the lead), audited."""
    attachment = get_for_user(Attachment, request, pk, Action.CASEWORK, related=("case",))
    attachments.attachment_downloaded(user=request.user, attachment=attachment, request=request)
    return FileResponse(
        open(attachments.stored_path(attachment.stored_as), "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachments.KINDS[attachment.kind][1],
    )

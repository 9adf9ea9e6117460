"""Inbound correspondence (issue 15, item 3): an office's mailbox, the messages taken in from it
or uploaded as .eml files, and attachments on cases. Imported by casework/models.py, so Django
finds these models in the casework app.

Sealed like cases. A message filed to a case is seen exactly where its case is; one that could
not be filed (malformed, too big) is kept, with the problem, for the office's members who see all
its cases (lead and all-cases caseworkers). Files (the raw message, attachments) are stored under
`settings.CASEWORK_FILES_DIR`, outside anything the web server serves, and read only through
casework/views_mail.py, which looks the row up through these querysets and audits the download.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Case, Office, OfficeMembership, TimelineEntry
from labourhub.scoping import Action, ScopedModel, ScopedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User


class OfficeMailbox(models.Model):
    """The IMAP mailbox an office already has, polled by the worker. The password is stored
    encrypted (casework/inbound.py: Fernet, keyed from SECRET_KEY) and never shown back in a page."""

    class Security(models.TextChoices):
        SSL = "ssl", "TLS from the start (IMAPS, usually port 993)"
        STARTTLS = "starttls", "STARTTLS (usually port 143)"
        NONE = "none", "None (only on a private network)"

    office = models.OneToOneField(Office, on_delete=models.CASCADE, related_name="mailbox")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=8, choices=Security.choices, default=Security.SSL)
    username = models.CharField(max_length=254)
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    enabled = models.BooleanField(default=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=500, blank=True, help_text="Why the last poll failed.")

    def __str__(self) -> str:
        return f"{self.username}@{self.host} for {self.office}"


class InboundMessageQuerySet(ScopedQuerySet):
    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        """Filed messages where their case is seen; unfiled ones (kept with their problem) by the
        office's members who see all its cases."""
        if (action or Action.CASEWORK) != Action.CASEWORK:
            return self.none()
        sees_all = (
            OfficeMembership.objects.in_force_for(user)
            .filter(Q(role=OfficeMembership.Role.LEAD) | Q(sees=OfficeMembership.Sees.ALL))
            .values("office")
        )
        return self.filter(
            Q(case__in=Case.objects.for_user(user, Action.CASEWORK))
            | Q(case__isnull=True, office__in=sees_all)
        )


class InboundMessage(ScopedModel):
    """One email taken in: from the office's mailbox or an uploaded .eml. Message-ID is unique per
    office, so a message read twice (a crash before it was marked seen, the same file uploaded
    again) is filed once."""

    scope_path = "office__constituency"
    scope_action = Action.CASEWORK

    class Source(models.TextChoices):
        MAILBOX = "mailbox", "Mailbox"
        UPLOAD = "upload", "Uploaded .eml"

    class State(models.TextChoices):
        ATTACHED = "attached", "Attached to a case"
        OPENED = "opened", "Opened a case"
        REFUSED = "refused", "Not filed (kept)"

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=998)
    source = models.CharField(max_length=8, choices=Source.choices)
    state = models.CharField(max_length=8, choices=State.choices)
    problem = models.TextField(blank=True, help_text="Why it was not filed, or what of it was refused.")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Plain text: the text part, or the HTML part stripped.")
    sent_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    raw_file = models.CharField(max_length=100, blank=True, help_text="Under CASEWORK_FILES_DIR.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    unscoped = InboundMessageQuerySet.as_manager()
    objects = InboundMessageQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["office", "message_id"], name="inbound_message_once_per_office")
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"


class AttachmentQuerySet(ScopedQuerySet):
    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        return self.filter(case__in=Case.objects.for_user(user, action))


class Attachment(ScopedModel):
    """A file on a case, from an email or uploaded on the case page: its type found from its
    content, its size within the limit, stored under CASEWORK_FILES_DIR by a random name."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        InboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=8, help_text="The type found from the content (casework/attachments.py)."
    )
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_as = models.CharField(max_length=100, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    unscoped = AttachmentQuerySet.as_manager()
    objects = AttachmentQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-added_at", "-pk"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"

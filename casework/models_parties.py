"""Who else is on a case (issue 15, item 2): further constituents, third parties acting with the
constituent's signed authority, and links between cases of one office.

Each row belongs to a case and is seen exactly where its case is (`CaseChildQuerySet`); a further
constituent's elector link points one way (`related_name="+"`), as the case's own does. A link
names two cases of the same office; a caseworker who sees one but not the other (sensitive, or
"my cases" only) is told a link exists, never what is in it (casework.views_parties)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Case, CaseChildQuerySet, ConstituentDetails
from labourhub.scoping import Action, ScopedModel


class CaseConstituent(ScopedModel, ConstituentDetails):
    """A further constituent on a case (e.g. the other half of a couple's housing case): found on
    the register (name and address copied in) or entered fresh, like the case's first."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="constituents")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["added_at", "pk"]
        # The case search finds them through Case.others_search (kept by the services), not here.

    def __str__(self) -> str:
        return f"constituent {self.pk} on case {self.case_id}"


class ThirdParty(ScopedModel):
    """Someone acting for the constituent (a relative, an advocate, a solicitor, a councillor) with
    their authority: signed on a date and held as a signed form (a case attachment) or, where the
    office allows it, given verbally and recorded by a caseworker on a date; it may expire and can
    be withdrawn. Letters and emails go to them only while it is live (services.letter_create)."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    class Relationship(models.TextChoices):
        RELATIVE = "relative", "Relative"
        PARTNER = "partner", "Partner or spouse"
        CARER = "carer", "Carer"
        ADVOCATE = "advocate", "Advocate or support worker"
        SOLICITOR = "solicitor", "Solicitor"
        COUNCILLOR = "councillor", "Councillor"
        OTHER = "other", "Other"

    class Held(models.TextChoices):
        SIGNED_FORM = "signed_form", "Signed form (attached to the case)"
        VERBAL = "verbal", "Verbal, recorded by a caseworker"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="third_parties")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    organisation = models.CharField(max_length=200, blank=True, help_text="e.g. the solicitors' firm.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=300, blank=True)
    authority_signed_on = models.DateField(help_text="When the constituent gave their authority.")
    authority_held = models.CharField(max_length=12, choices=Held.choices)
    authority_form = models.ForeignKey(
        "casework.Attachment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verbal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    authority_expires_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name_plural = "third parties"
        constraints = [
            models.CheckConstraint(
                condition=~Q(authority_held="verbal") | Q(verbal_recorded_by__isnull=False),
                name="verbal_authority_has_recorder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"

    def authority_problem(self, on: datetime.date | None = None) -> str:
        """Why the authority is not live on `on` (today), or "" when it is."""
        on = on or timezone.localdate()
        if self.withdrawn_on is not None and self.withdrawn_on <= on:
            return f"The constituent withdrew {self.name}'s authority on {self.withdrawn_on:%-d %b %Y}."
        if self.authority_expires_on is not None and self.authority_expires_on < on:
            return f"{self.name}'s authority expired on {self.authority_expires_on:%-d %b %Y}."
        if self.authority_signed_on > on:
            return f"{self.name}'s authority starts on {self.authority_signed_on:%-d %b %Y}."
        return ""

    @property
    def authority_live(self) -> bool:
        return not self.authority_problem()


class CaseLink(ScopedModel):
    """Two cases of one office linked, with why. Stored once (from `case` to `other`); both case
    pages show it."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        DUPLICATE = "duplicate", "Duplicate of"
        FAMILY = "family", "Same family"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="case_link_once"),
            models.CheckConstraint(condition=~Q(case=models.F("other")), name="case_link_not_to_itself"),
        ]
        indexes = [models.Index(fields=["other"], name="case_link_other")]

    def __str__(self) -> str:
        return f"link {self.case_id} → {self.other_id}"

"""The core: people who sign in, the party's shape, who may do what where, the audit log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from datetime import datetime

GSS_CODE_RE = re.compile(r"^[ENSW]\d{8}$")
validate_gss_code = RegexValidator(
    GSS_CODE_RE, "A GSS code is a nation letter (E, N, S or W) and 8 digits, e.g. E14001063."
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("Every user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in. What they may see comes from their grants, not from flags here;
    `is_superuser` is for the platform operator only."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform operator staff only.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split()[0]


# --- The party's shape ----------------------------------------------------------


class Region(models.Model):
    name = models.CharField(max_length=100, unique=True)
    code = models.CharField(max_length=9, unique=True, validators=[validate_gss_code])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Constituency(models.Model):
    """A Westminster constituency: the area of one CLP."""

    name = models.CharField(max_length=100)
    gss_code = models.CharField("GSS code", max_length=9, unique=True, validators=[validate_gss_code])
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="constituencies")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "constituencies"

    def __str__(self):
        return self.name


class Branch(models.Model):
    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="branches")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=30)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "branches"
        constraints = [
            models.UniqueConstraint(fields=["constituency", "code"], name="branch_code_unique_in_clp")
        ]

    def __str__(self):
        return self.name


class Ward(models.Model):
    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="wards")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=30, unique=True, help_text="GSS ward code, e.g. E05012345.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PollingDistrict(models.Model):
    constituency = models.ForeignKey(Constituency, on_delete=models.CASCADE, related_name="polling_districts")
    ward = models.ForeignKey(
        Ward, on_delete=models.SET_NULL, null=True, blank=True, related_name="polling_districts"
    )
    code = models.CharField(max_length=20, help_text="As printed on the register, e.g. ABC1 or KD-2/2.")
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["constituency", "code"], name="pd_code_unique_in_clp")]

    def __str__(self):
        return self.code

    def clean(self):
        if self.ward_id and self.ward.constituency_id != self.constituency_id:
            raise ValidationError({"ward": "The ward must be in the same constituency."})


# --- Who may do what where -------------------------------------------------------


class Role(models.TextChoices):
    CLP_SECRETARY = "clp_secretary", "CLP secretary"
    CLP_OFFICER = "clp_officer", "CLP officer"
    ORGANISER = "organiser", "Organiser"
    CANVASSER = "canvasser", "Canvasser"
    TELLER = "teller", "Teller"
    CASEWORKER = "caseworker", "Caseworker"
    DATA_PROTECTION_LEAD = "data_protection_lead", "Data protection lead"
    REGIONAL_STAFF = "regional_staff", "Regional staff"
    ADMIN = "admin", "Area administrator"
    # A member of another CLP checked in at a session open to visitors (issue 17, item 5): no Action
    # is given by this role itself; it opens only the packs handed to them at that session's check-in
    # (campaigns.models.PackQuerySet), until the end of that day.
    VISITING_ACTIVIST = "visiting_activist", "Visiting activist"


class GrantQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> Self:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, starts_at__lte=at).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )

    def covering(self, constituency: Constituency) -> Self:
        return self.filter(Q(constituency=constituency) | Q(region_id=constituency.region_id))


class ActiveGrantManager(models.Manager.from_queryset(GrantQuerySet)):
    """Safe by default: only grants in force now. Ask for `Grant.all_objects` by name."""

    def get_queryset(self) -> GrantQuerySet:
        return super().get_queryset().active()


class Grant(models.Model):
    """A role held by a user over an area: a constituency, or a region (covering its constituencies)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=30, choices=Role.choices)
    constituency = models.ForeignKey(
        Constituency, on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="grants")
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why this grant exists.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActiveGrantManager()
    all_objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(
                condition=Q(constituency__isnull=False, region__isnull=True)
                | Q(constituency__isnull=True, region__isnull=False),
                name="grant_area_is_constituency_xor_region",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("starts_at")),
                name="grant_expires_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self):
        return f"{self.get_role_display()} for {self.area}"

    @property
    def area(self):
        return self.constituency or self.region

    @property
    def is_active(self):
        now = timezone.now()
        return (
            self.revoked_at is None
            and self.starts_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )


# --- The audit log ---------------------------------------------------------------


class AuditEvent(models.Model):
    """Append-only: a database trigger refuses UPDATE and DELETE (see migration 0002)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} {self.object_id}"


# --- Data protection (issue 16): the register of subject requests and the breach log; the public
# API (issue 18): tokens and idempotent POSTs. Defined in their own packages and imported here so
# they belong to the core app.
from labourhub.api_v1.models import ApiToken, IdempotentRequest  # noqa: E402, F401
from labourhub.dataprotection.models import (  # noqa: E402, F401
    Breach,
    SubjectRequest,
    SubjectRequestEvent,
)

# --- Text messages (issue 17, item 3): the sent-log and STOP opt-outs (labourhub/sms.py) ---------
from labourhub.sms_models import SmsMessage, SmsOptOut  # noqa: E402, F401

# --- Webhooks (issue 18, item 5): subscriptions, deliveries and their attempts ---------------------
from labourhub.webhooks.models import Attempt, Delivery, Subscription  # noqa: E402, F401

# --- The privacy notice -------------------------------------------------------------------------


class PrivacyNotice(models.Model):
    """A CLP's own details as data controller, shown on its public privacy notice (issue 16, item 5).
    Edited by the CLP secretary and the data protection lead; everything else on the notice (lawful
    bases, sources, retention) comes from the code and the settings, so it cannot drift."""

    constituency = models.OneToOneField(Constituency, on_delete=models.CASCADE, related_name="privacy_notice")
    controller_name = models.CharField(
        max_length=200, help_text="The CLP as controller, e.g. Anytown Constituency Labour Party."
    )
    address = models.TextField(blank=True, help_text="Where to write to the CLP.")
    email = models.EmailField(blank=True, help_text="Where to ask about your data.")
    phone = models.CharField(max_length=30, blank=True)
    contact_role = models.CharField(
        max_length=100, default="Data protection lead", help_text="Who answers: a role, not a person."
    )
    ico_registration = models.CharField("ICO registration number", max_length=20, blank=True)
    consent_uses = models.TextField(
        blank=True,
        help_text="What the CLP does only with consent (e.g. email newsletters, text messages).",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self):
        return f"Privacy notice of {self.constituency}"

    @classmethod
    def for_constituency(cls, constituency: Constituency) -> PrivacyNotice:
        """The CLP's saved details, or the defaults (unsaved) where none are saved yet."""
        found = cls.objects.filter(constituency=constituency).first()
        return found or cls(
            constituency=constituency,
            controller_name=f"{constituency.name} Constituency Labour Party",
        )

"""Casework: an elected representative's office, its cases and their timelines (issue 15).

Sealed from campaigning. The representative is a separate data controller from the CLP, so these
rows do not follow the CLP scoping path (`labourhub.scoping.constituencies_for`, which gives the
platform operator every area and which CLP roles widen): `CaseQuerySet.for_user` asks its own
question, "is this user a caseworker of the case's office, now?". That needs both

- an active Grant of a role allowed Action.CASEWORK (the caseworker role) covering the office's
  constituency: the platform's own record of who may do what where, expiring, revocable on the next
  request, given through the access app or by the operator, and bringing MFA with it; and
- an active OfficeMembership of that office: which office (an MP's and a councillor's office can
  share a constituency, so the grant alone cannot say) and how much of it (lead; all cases; or
  only the cases they are assigned to).

A case marked sensitive is seen only by its assignees and the office's lead. The platform operator
(a superuser) holds neither, so sees no case: only counts (`casework.counts`). No other app imports
casework, and its links to an elector point one way (`related_name="+"`): nothing campaign-side
can reach a case from an elector.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from labourhub.models import Constituency, Grant, Ward
from labourhub.scoping import ROLES_FOR, Action, ScopedModel, ScopedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import User


class Office(models.Model):
    """An elected representative's office: its own data controller. Its caseworkers hold the
    caseworker role on `constituency` (the area its grants are given on) and a membership here."""

    class Kind(models.TextChoices):
        MP = "mp", "Member of Parliament"
        COUNCILLOR = "councillor", "Councillor"
        MAYOR = "mayor", "Mayor"
        PCC = "pcc", "Police and crime commissioner"

    class Nation(models.TextChoices):
        """Whose bank holidays count against working-day deadlines (holidays.UK subdivisions)."""

        ENGLAND_WALES = "ENG", "England and Wales"
        SCOTLAND = "SCT", "Scotland"
        NORTHERN_IRELAND = "NIR", "Northern Ireland"

    name = models.CharField(max_length=150, help_text="e.g. 'Office of Jane Smith MP'.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    representative = models.CharField(max_length=150, help_text="The elected representative's name.")
    constituency = models.ForeignKey(
        Constituency,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The area its caseworkers' grants are given on.",
    )
    covers_constituencies = models.ManyToManyField(Constituency, blank=True, related_name="+")
    covers_wards = models.ManyToManyField(Ward, blank=True, related_name="+")
    reference_prefix = models.CharField(
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", "Two to eight capital letters.")],
    )
    nation = models.CharField(max_length=3, choices=Nation.choices, default=Nation.ENGLAND_WALES)
    retention_days = models.PositiveIntegerField(
        default=730, help_text="Closed cases are anonymised this many days after closing."
    )
    # Issue 15 item 5: the CLP sees suppressed, anonymised counts only if the office lead says so.
    share_counts_with_clp = models.BooleanField(
        default=False,
        help_text="Let the CLP's secretary and officers see anonymised counts (cells under 5 suppressed).",
    )
    # Issue 15 item 2: may a third party's authority be taken by word of mouth (recorded by a
    # caseworker on a date), or only as a signed form?
    allow_verbal_authority = models.BooleanField(
        default=False,
        help_text="Accept a third party's authority given verbally, recorded by a caseworker.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OfficeMembershipQuerySet(models.QuerySet["OfficeMembership"]):
    def active(self) -> Self:
        return self.filter(ended_at__isnull=True)

    def in_force_for(self, user: User | AnonymousUser) -> Self:
        """`user`'s memberships that let them in now: active, and backed by an active caseworker
        grant covering the office's constituency (directly or through its region)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        grants = Grant.objects.filter(user=user, role__in=ROLES_FOR[Action.CASEWORK])
        return self.active().filter(
            Q(office__constituency__in=grants.filter(constituency__isnull=False).values("constituency"))
            | Q(office__constituency__region__in=grants.filter(region__isnull=False).values("region")),
            user=user,
        )

    def in_force_in(self, office: Office) -> Self:
        """The memberships of `office` that let their holders in now (each backed by an active
        caseworker grant on its constituency or region): who a case there may be given to."""
        grants = Grant.objects.filter(role__in=ROLES_FOR[Action.CASEWORK]).filter(
            Q(constituency_id=office.constituency_id) | Q(region__constituencies=office.constituency_id)
        )
        return self.active().filter(office=office, user__in=grants.values("user"))


class OfficeMembership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Office lead"
        CASEWORKER = "caseworker", "Caseworker"

    class Sees(models.TextChoices):
        ALL = "all", "All the office's cases"
        MINE = "mine", "Only cases assigned to them"

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.CASEWORKER)
    sees = models.CharField(max_length=4, choices=Sees.choices, default=Sees.MINE)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = OfficeMembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "user"], condition=Q(ended_at__isnull=True), name="one_active_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.office} ({self.get_role_display()})"

    @property
    def sees_all(self) -> bool:
        return self.role == self.Role.LEAD or self.sees == self.Sees.ALL


class Topic(models.Model):
    """An office's controlled list of topics, one level of sub-topics under each: no free tags."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="topics")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="subtopics"
    )
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "parent", "name"], name="topic_unique_name"),
            models.UniqueConstraint(
                fields=["office", "name"], condition=Q(parent__isnull=True), name="topic_unique_top_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name}: {self.name}" if self.parent_id else self.name


class AgencyQuerySet(models.QuerySet["Agency"]):
    def for_office(self, office: Office | int) -> Self:
        """The agencies an office may refer to: its own directory and the shared one."""
        return self.filter(Q(office=office) | Q(office__isnull=True))


class Agency(models.Model):
    """Who a case is referred to, and how fast they promise to answer (in working days). Shared
    reference data: public bodies' names and contact routes, no person in it."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council department"
        GOVERNMENT = "government", "Government department or agency"
        NHS = "nhs", "NHS body"
        HOUSING = "housing", "Housing association"
        OTHER = "other", "Other"

    # None: the shared directory (kept by the operator in the admin), offered to every office; an
    # office's own entries are kept by its lead on the office's agency directory page.
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, null=True, blank=True, related_name="agencies"
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    contact_route = models.CharField(
        max_length=300,
        blank=True,
        help_text="How to reach them, in words: e.g. the MPs' hotline, a named team.",
    )
    email = models.EmailField(blank=True, help_text="Where referrals and chasers by email go.")
    phone = models.CharField(max_length=30, blank=True, help_text="e.g. the MPs' hotline number.")
    postal_address = models.TextField(max_length=500, blank=True, help_text="For printed letters.")
    portal_url = models.URLField(blank=True, help_text="The MPs' or members' enquiry portal, if any.")
    response_working_days = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(1)], help_text="Their target for replying."
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="agency_unique_name_in_office"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(office__isnull=True), name="agency_unique_shared_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Cases -------------------------------------------------------------------------------------


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGE = "triage", "Triage"
    AWAITING_CONSTITUENT = "awaiting_constituent", "Awaiting constituent"
    AWAITING_AGENCY = "awaiting_agency", "Awaiting agency"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class StatusClass(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


STATUS_CLASS = {
    Status.NEW: StatusClass.OPEN,
    Status.TRIAGE: StatusClass.OPEN,
    Status.AWAITING_CONSTITUENT: StatusClass.OPEN,
    Status.AWAITING_AGENCY: StatusClass.OPEN,
    Status.CLOSED: StatusClass.CLOSED,
    Status.CANCELLED: StatusClass.CANCELLED,
}
OPEN_STATUSES = [s for s, c in STATUS_CLASS.items() if c == StatusClass.OPEN]


def _words(column: str, query: str) -> RawSQL:
    """A full-text match of the case row's `column` (a constant: "name" or "others_search"; the
    case table is never renamed in the outer query) against `query`, passed as a parameter."""
    sql = f"to_tsvector('simple'::regconfig, casework_case.{column}) @@ to_tsquery('simple'::regconfig, %s)"
    return RawSQL(sql, [query], output_field=models.BooleanField())  # noqa: S611 (constant SQL)


class CaseQuerySet(ScopedQuerySet):
    """Cases, sealed: see the module docstring. `for_user` is the way in; `in_office_for` is the
    same seal for one office, given the user's membership read in force in the same request."""

    entry_points = ("for_user", "in_office_for")

    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        if (action or Action.CASEWORK) != Action.CASEWORK:
            return self.none()  # no other action (VIEW_VOTERS, ORGANISE...) reaches a case
        memberships = OfficeMembership.objects.in_force_for(user)
        if not user.is_authenticated:
            return self.none()
        # "Assigned to this case" is asked of each case (EXISTS on the (case, user) unique index),
        # and last: as `pk IN (the user's assignments)` it made Postgres hash every assignment the
        # user has (10,000 for a busy caseworker, ~15 ms) in every case query, even a one-case page.
        assigned = Exists(CaseAssignment.unscoped.filter(case=OuterRef("pk"), user=user))
        leads = memberships.filter(role=OfficeMembership.Role.LEAD).values("office")
        sees_all = memberships.filter(
            Q(role=OfficeMembership.Role.LEAD) | Q(sees=OfficeMembership.Sees.ALL)
        ).values("office")
        return self.filter(office__in=memberships.values("office")).filter(
            Q(office__in=leads) | (Q(office__in=sees_all) & Q(sensitive=False)) | assigned
        )

    def in_office_for(self, user: User, membership: OfficeMembership) -> Self:
        """The cases of one office that `user` sees, given their membership of it as read in force
        in this request (`OfficeMembership.objects.in_force_for(user)`, as
        casework.views.get_office_for_user does): for_user's seal for that one office, with the
        membership's answer written in instead of asked again as three nested subqueries in every
        query (building and compiling them was ~13 ms of Python per list query, and Postgres
        planned them each time; tests/perf/bench_casework.py). Anything but the user's own active
        membership gives nothing."""
        if membership.user_id != user.pk or membership.ended_at is not None:
            return self.none()
        cases = self.filter(office_id=membership.office_id)
        if membership.role == OfficeMembership.Role.LEAD:
            return cases
        assigned = Exists(CaseAssignment.unscoped.filter(case=OuterRef("pk"), user=user))
        if membership.sees == OfficeMembership.Sees.ALL:
            return cases.filter(Q(sensitive=False) | assigned)
        return cases.filter(assigned)

    def listed_from_ids(self, cap: int) -> tuple[list[int], Self]:
        """Up to `cap` ids of the cases this queryset holds (unordered), and a queryset of exactly
        those rows, with this one's ordering and joins. The second reads `id IN (ids)` without the
        seal: the ids were just read through this queryset, so it holds nothing this one does not,
        and the seal's nested subqueries are built and compiled once per list instead of twice
        (~7 ms of Python per request; tests/perf/bench_casework.py)."""
        ids = list(self.order_by().values_list("pk", flat=True)[:cap])
        rows = Case.unscoped.filter(pk__in=ids)
        rows.query.select_related = copy.deepcopy(self.query.select_related)
        rows.query.order_by = self.query.order_by
        return ids, rows

    def chasers_to_send(self) -> ChaserQuerySet:
        """The chasers still to send on the cases this queryset holds, the longest late first. Read
        through this queryset (sealed by its caller) rather than through Chaser's own seal as well:
        the same rows, one compilation of the seal fewer (bench_casework's overdue list)."""
        return (
            Chaser.unscoped.filter(case__in=self.order_by().values("pk"))
            .to_send()
            .select_related("case", "agency")
            .only(*CHASER_LISTED)
            .order_by("missed_due_on", "pk")
        )

    def mine(self, user: User) -> Self:
        return self.filter(pk__in=CaseAssignment.unscoped.filter(user=user).values("case"))

    def open(self) -> Self:
        return self.filter(status_class=StatusClass.OPEN)  # as status, but indexed (case_office_open_listed)

    def overdue(self, today: object = None) -> Self:
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def matching(self, *, name_query: str = "", postcode_prefixes: Sequence[str] = ()) -> Self:
        """Cases whose constituent, or one of its further constituents, has a name matching the
        full-text query `name_query` (built by the caller from letters and digits only) or a
        postcode starting with one of `postcode_prefixes`. The further constituents are searched
        through `Case.others_search` (their names and compact postcodes, kept by the services), so
        each test is on the case row through its own index and Postgres ORs their bitmaps; an
        EXISTS on the constituents' table inside the OR would test every case of the office."""
        found = Q()
        if name_query:
            found |= Q(_words("name", name_query)) | Q(_words("others_search", name_query))
        for prefix in dict.fromkeys(postcode_prefixes):
            found |= Q(postcode__startswith=prefix)
        shortest = min(postcode_prefixes, key=len, default="")
        token = "".join(c for c in shortest.lower() if c.isalnum())
        if token:
            found |= Q(_words("others_search", f"{token}:*"))
        if not found:
            return self.none()
        return self.filter(found)


class ConstituentDetails(models.Model):
    """A constituent as a case holds them, copied in whether found on the register or entered fresh:
    the case's first (Case) and each further one (casework.models_parties.CaseConstituent). The link
    to the register is kept inside casework only."""

    elector = models.ForeignKey(
        "voters.Elector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",  # one way only: nothing on the register side reaches a case
        db_constraint=False,
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)

    class Meta:
        abstract = True


class Case(ScopedModel, ConstituentDetails):
    """One constituent's case. The constituent is copied in (name, address, contact) whether found
    on the register or entered fresh; `elector` links to the register inside casework only."""

    scope_path = "office__constituency"
    scope_action = Action.CASEWORK

    class Channel(models.TextChoices):
        SURGERY = "surgery", "Surgery"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        PHONE = "phone", "Phone"
        WEB = "web", "Web form"

    class Urgency(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Article9(models.TextChoices):
        """The UK GDPR Article 9 / DPA 2018 Schedule 1 condition for special category data."""

        EXPLICIT_CONSENT = "explicit_consent", "Explicit consent (Art. 9(2)(a))"
        ELECTED_REPRESENTATIVES = (
            "elected_representatives",
            "Elected representatives responding to requests (DPA 2018 Sch. 1 para 23)",
        )
        VITAL_INTERESTS = "vital_interests", "Vital interests (Art. 9(2)(c))"
        LEGAL_CLAIMS = "legal_claims", "Legal claims (Art. 9(2)(f))"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved in the constituent's favour"
        PARTLY = "partly", "Partly resolved"
        NOT_RESOLVED = "not_resolved", "Not resolved"
        NO_RESPONSE = "no_response", "Constituent stopped responding"
        ADVICE = "advice", "Advice given"
        WITHDRAWN = "withdrawn", "Withdrawn by constituent"

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="cases")
    reference_prefix = models.CharField(max_length=8)
    reference_year = models.PositiveSmallIntegerField()
    reference_seq = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    summary = models.CharField(max_length=300)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    special_category = models.BooleanField(default=False)
    article9_condition = models.CharField(max_length=30, choices=Article9.choices, blank=True)
    sensitive = models.BooleanField(default=False, help_text="Only assignees and the office lead see it.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    status_class = models.CharField(max_length=10, choices=StatusClass.choices, default=StatusClass.OPEN)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    opened_on = models.DateField(default=timezone.localdate)
    due_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Reports and retention (issue 15 items 5 and 7): when the case was last referred to its agency
    # and when it came back from them (the move out of "awaiting agency"), for response times; the
    # ward kept when the constituent's details are anonymised; when that happened.
    referred_on = models.DateField(null=True, blank=True)
    agency_replied_on = models.DateField(null=True, blank=True)
    ward = models.ForeignKey(Ward, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # What the case search finds of its further constituents (CaseConstituent): their names and
    # compact postcodes, one line, rewritten by casework.services when one is added (full-text
    # index case_others_words, migration 0007).
    others_search = models.TextField(blank=True, default="")

    unscoped = CaseQuerySet.as_manager()
    objects = CaseQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-opened_on", "-reference_seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_prefix", "reference_year", "reference_seq"], name="case_reference_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="closed_case_has_outcome"
            ),
            models.CheckConstraint(
                condition=Q(special_category=False) | ~Q(article9_condition=""),
                name="special_category_has_article9_condition",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "status_class", "due_on"], name="case_office_open_due"),
            models.Index(fields=["office", "-opened_on"], name="case_office_opened"),
            models.Index(fields=["postcode"], name="case_postcode"),
            models.Index(
                fields=["office", "closed_on"],
                condition=Q(anonymised_at__isnull=True),
                name="case_retention_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.reference_prefix}/{self.reference_seq}/{self.reference_year}"

    @property
    def is_open(self) -> bool:
        return self.status_class == StatusClass.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()


class CaseChildQuerySet(ScopedQuerySet):
    """Rows that belong to a case: seen exactly where the case is."""

    def for_user(self, user: User | AnonymousUser, action: Action | None = None) -> Self:
        return self.filter(case__in=Case.objects.for_user(user, action))


class CaseAssignment(ScopedModel):
    """Who works a case. The owner is always one."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="case_assignment_unique")]
        # The seal's "cases assigned to this user" (CaseQuerySet.for_user, mine) read from the index
        # alone, not from ~1,500 heap pages for a caseworker with 10,000 cases (bench_casework).
        indexes = [models.Index(fields=["user", "case"], name="case_assignment_user_case")]


class TimelineEntry(ScopedModel):
    """One dated thing on a case: a letter, an email in or out, a call, a note, a status change."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        LETTER_IN = "letter_in", "Letter received"
        LETTER_OUT = "letter_out", "Letter sent"
        EMAIL_IN = "email_in", "Email received"
        EMAIL_OUT = "email_out", "Email sent"
        CALL = "call", "Phone call"
        STATUS = "status", "Status change"
        TASK = "task", "Task"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "-at"], name="timeline_case_at")]
        verbose_name_plural = "timeline entries"


class CaseConsent(ScopedModel):
    """The only bridge from casework to campaigning: the constituent's own answer to "may the party
    keep you updated about its campaigns?", with the wording asked, the date and who recorded it."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    wording = models.TextField()
    given = models.BooleanField()
    given_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-recorded_at"]


# Inbound correspondence (the mailbox, messages taken in, attachments) lives in its own module;
# imported here so Django finds its models in this app.
from casework.models_mail import Attachment, InboundMessage, OfficeMailbox  # noqa: E402, F401, I001

# --- Letters and emails out, and the chasers for late agencies (issue 15 items 3 and 4) ----------


class LetterKind(models.TextChoices):
    """The four letters an office sends (casework/letters.py ships a default of each)."""

    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement to the constituent"
    REFERRAL = "referral", "Referral to an agency"
    HOLDING = "holding", "Holding reply to the constituent"
    CHASER = "chaser", "Chaser to an agency"


class LetterTemplate(models.Model):
    """An office's own wording for one kind of letter, written by its lead; an office without one
    uses the shipped default (casework.letters.DEFAULTS). Words only, no constituent in it."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="letter_templates")
    kind = models.CharField(max_length=16, choices=LetterKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "kind"], name="letter_template_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.office}: {self.get_kind_display()}"


class Letter(ScopedModel):
    """One letter printed or email sent from a case, as it went out (merged, then edited by the
    caseworker). Emails are sent by the worker: queued → sending → sent (or failed), claimed once."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    class Medium(models.TextChoices):
        LETTER = "letter", "Printed letter"
        EMAIL = "email", "Email"

    class State(models.TextChoices):
        PRINTED = "printed", "Ready to print"
        QUEUED = "queued", "Queued to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=16, choices=LetterKind.choices)
    medium = models.CharField(max_length=8, choices=Medium.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A letter to a third party acting for the constituent (sent only while their authority is live).
    third_party = models.ForeignKey(
        "casework.ThirdParty", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(max_length=1000, blank=True)
    to_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=20000)
    state = models.CharField(max_length=8, choices=State.choices)
    error = models.CharField(max_length=500, blank=True)
    entry = models.OneToOneField(TimelineEntry, on_delete=models.PROTECT, related_name="letter")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseChildQuerySet.as_manager()
    objects = CaseChildQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(medium="letter") | ~Q(to_email=""), name="email_letter_has_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_medium_display()} on {self.case_id}: {self.subject}"


# What a list of chasers shows (casework/_chasers.html): a page of rows, so not each case's every column.
CHASER_LISTED = ("case_id", "agency_id", "missed_due_on", "case__reference_prefix", "case__reference_seq",
                 "case__reference_year", "case__name", "agency__name")  # fmt: skip


class ChaserQuerySet(CaseChildQuerySet):
    def to_send(self) -> Self:
        return self.filter(done_at__isnull=True)


class Chaser(ScopedModel):
    """A task the nightly check (casework.services.chasers_create) sets when the agency a case awaits
    is past its due date: chase them. One per case and missed due date; done when a chaser goes."""

    scope_path = "case__office__constituency"
    scope_action = Action.CASEWORK

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="chasers")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    missed_due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_letter = models.ForeignKey(
        Letter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    unscoped = ChaserQuerySet.as_manager()
    objects = ChaserQuerySet.as_guarded_manager()

    class Meta:
        ordering = ["missed_due_on"]
        constraints = [
            models.UniqueConstraint(fields=["case", "missed_due_on"], name="one_chaser_per_missed_date")
        ]
        # The chasers to send in the order they are listed (CaseQuerySet.chasers_to_send), so a page
        # of them walks this index and stops when it is full: without it Postgres joined every
        # chaser to send to the case table and sorted them all, ~50 ms for 25 of 2,381
        # (tests/perf/bench_casework.py's overdue list).
        indexes = [
            models.Index(
                fields=["missed_due_on", "id"], condition=Q(done_at__isnull=True), name="chaser_to_send"
            )
        ]


# Who else is on a case: further constituents, third parties with authority, linked cases (issue 15
# item 2); in their own module, imported here so Django finds their models in this app.
from casework.models_parties import CaseConstituent, CaseLink, ThirdParty  # noqa: E402, F401, I001

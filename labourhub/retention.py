"""Retention by election cycle (issue 16, item 4): what each kind of record is kept for, what is due
to go, and the run that removes it.

The mechanism lives here; each app says what it holds in its own `<app>/retention.py`, found with
`labourhub.apps.app_modules("retention")`, so the core imports no app. Such a module offers:

- `retention_categories() -> list[Category]`: each kind of record it keeps for a limited time;
- optionally `election_dates(constituency, before, kinds) -> list[date]`: the poll dates of the
  elections it knows for the constituency (the gotv app), from which the electoral cycles come.

A Category's `due(constituency, cutoff)` is the queryset of what is past its period when the period
ends at `cutoff`; `remove(queryset)` anonymises or deletes exactly those rows and returns how many.
The preview page and the nightly run both call `due` with the cutoff worked out for the same moment,
so the preview for a date lists exactly what a run at that date removes.

The schedule is in settings (`RETENTION_*`, see README "Data protection: retention"): the privacy
notice reads the same figures (`schedule_in_words`), so the two cannot drift.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from labourhub.apps import app_modules

if TYPE_CHECKING:
    from labourhub.models import Constituency


class Period:
    """How a category's cutoff is worked out: by electoral cycles, or a fixed length back."""

    CYCLES = "cycles"
    YEARS = "years"
    MONTHS = "months"
    DAYS = "days"


@dataclass(frozen=True)
class Category:
    """One kind of record kept for a limited time.

    `period` is Period.CYCLES (the canvass cycles of settings.RETENTION_CANVASS_CYCLES) or a fixed
    length: (`period`, `length`) with `length` read from settings by name (`setting`), so a change
    of the setting changes the run, the preview and the privacy notice at once.
    `removes` says what happens in words ("deleted", "anonymised", "file deleted").
    `held` marks a category that is counted but never removed (the append-only audit log), with why.
    `describe(row)` is one line for the officers' list of records.
    """

    key: str
    label: str
    period: str
    setting: str
    removes: str
    due: Callable[[Constituency, datetime.datetime], QuerySet[Any]]
    remove: Callable[[QuerySet[Any]], int]
    describe: Callable[[Any], str]
    held: str = ""
    related: tuple[str, ...] = ()  # joined in for `describe` on the officers' list
    order: int = 0  # removal order: rows that point at other categories' rows go first (lower first)

    @property
    def length(self) -> int:
        return int(getattr(settings, self.setting))

    def in_words(self) -> str:
        """The period as the privacy notice and the preview say it."""
        n = self.length
        if self.period == Period.CYCLES:
            cycles = (
                "the current and previous electoral cycle" if n == 2 else f"the last {n} electoral cycles"
            )
            return (
                f"{cycles} (a cycle runs from one general election to the next; "
                f"{settings.RETENTION_CYCLE_YEARS} years where no election is recorded)"
            )
        unit = {Period.YEARS: "year", Period.MONTHS: "month", Period.DAYS: "day"}[self.period]
        return f"{n} {unit}{'' if n == 1 else 's'}"


def categories() -> list[Category]:
    """Every app's categories, in removal order."""
    found = [
        category
        for module in app_modules("retention")
        if hasattr(module, "retention_categories")
        for category in module.retention_categories()
    ]
    return sorted(found, key=lambda category: category.order)


def category(key: str) -> Category | None:
    return next((c for c in categories() if c.key == key), None)


# --- Cutoffs -------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months; the month's last day where that date does not exist."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover  (28 always exists)


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def election_dates(constituency: Constituency, before: datetime.date) -> list[datetime.date]:
    """Poll dates on or before `before` of the elections that mark a cycle (settings
    RETENTION_CYCLE_ELECTION_KINDS), newest first, from whichever app knows elections."""
    kinds = tuple(settings.RETENTION_CYCLE_ELECTION_KINDS)
    dates: set[datetime.date] = set()
    for module in app_modules("retention"):
        if module.__name__ != __name__ and hasattr(module, "election_dates"):
            dates.update(module.election_dates(constituency, before, kinds))
    return sorted(dates, reverse=True)


def cycle_starts(constituency: Constituency, on: datetime.date, cycles: int) -> list[datetime.date]:
    """The first day of each of the last `cycles` electoral cycles at `on`, newest first.

    A cycle runs from the day after one general election's poll to the next poll (so a poll day's
    canvassing belongs to the run-up it ends). The current cycle started the day after the last poll
    on or before `on`; the previous one the day after the poll before. Where fewer polls are
    recorded, the missing cycles are RETENTION_CYCLE_YEARS long, counted back from the earliest
    start known (or from `on` when no election is recorded)."""
    starts = [poll + datetime.timedelta(days=1) for poll in election_dates(constituency, on)][:cycles]
    if not starts:
        starts = [add_months(on, -12 * settings.RETENTION_CYCLE_YEARS)]
    while len(starts) < cycles:
        starts.append(add_months(starts[-1], -12 * settings.RETENTION_CYCLE_YEARS))
    return starts


def cutoff(category: Category, constituency: Constituency, at: datetime.datetime) -> datetime.datetime:
    """Records of `category` dated before this moment are past their period at `at`."""
    on = timezone.localdate(at)
    n = category.length
    if category.period == Period.CYCLES:
        return _midnight(cycle_starts(constituency, on, n)[-1])
    if category.period == Period.YEARS:
        return _midnight(add_months(on, -12 * n))
    if category.period == Period.MONTHS:
        return _midnight(add_months(on, -n))
    return _midnight(on - datetime.timedelta(days=n))


# --- Preview and run -------------------------------------------------------------------------------


@dataclass
class Due:
    category: Category
    cutoff: datetime.datetime
    queryset: QuerySet[Any]

    @property
    def count(self) -> int:
        return self.queryset.count()


def due(constituency: Constituency, at: datetime.datetime, keys: Sequence[str] | None = None) -> list[Due]:
    """What each category holds past its period at `at`, in removal order."""
    return [
        Due(category, (limit := cutoff(category, constituency, at)), category.due(constituency, limit))
        for category in categories()
        if keys is None or category.key in keys
    ]


def preview_date(today: datetime.date | None = None) -> datetime.date:
    """The preview looks a month ahead: what a run on this day would remove."""
    return add_months(today or timezone.localdate(), 1)


def start_of(on: datetime.date) -> datetime.datetime:
    """A moment of day `on`. Every cutoff depends only on the day of the run (`cutoff`), so the
    preview for a day lists exactly what a run at any time that day removes."""
    return _midnight(on)


def schedule_in_words() -> list[tuple[str, str, str]]:
    """(category, how long, what happens then) for the privacy notice and the preview page."""
    return [(c.label, c.in_words(), c.held or c.removes) for c in categories()]


# --- The core's own category: the audit log ----------------------------------------------------------

AUDIT_HELD = (
    "kept: the audit log is append-only (the database refuses to delete from it, for every role), "
    "and it holds internal ids, never names"
)


def upload_files_remove(queryset: QuerySet[Any]) -> int:
    """Delete the uploaded file of each import in `queryset`, keeping the import and its report."""
    count = 0
    for upload in queryset.order_by("pk"):
        upload.file.delete(save=False)
        upload.save(update_fields=["file"])
        count += 1
    return count


def _audit_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    from labourhub.models import AuditEvent

    return AuditEvent.objects.filter(constituency=constituency, at__lt=cutoff)


def _audit_remove(queryset: QuerySet[Any]) -> int:
    return 0  # held: see AUDIT_HELD


def _audit_line(event: Any) -> str:
    return f"{timezone.localtime(event.at):%d/%m/%Y %H:%M} · {event.action} · {event.object_type} {event.object_id}"


def _sms_due(constituency: Constituency, cutoff: datetime.datetime) -> QuerySet[Any]:
    from labourhub.models import SmsMessage

    return SmsMessage.unscoped.filter(constituency=constituency, created_at__lt=cutoff)


def _sms_remove(queryset: QuerySet[Any]) -> int:
    return int(queryset.delete()[0])


def _sms_line(message: Any) -> str:
    return f"{timezone.localtime(message.created_at):%d/%m/%Y %H:%M} · text message · {message.status}"


def retention_categories() -> list[Category]:
    from labourhub.webhooks.retention import webhook_categories

    return [
        # Text messages sent (labourhub/sms.py): kept as long as the email log.
        Category(
            key="sms_log",
            label="Text messages sent (number, text, delivery status)",
            period=Period.MONTHS,
            setting="RETENTION_EMAIL_LOG_MONTHS",
            removes="deleted",
            due=_sms_due,
            remove=_sms_remove,
            describe=_sms_line,
        ),
        Category(
            key="audit_log",
            label="Audit log (who looked at or changed what)",
            period=Period.YEARS,
            setting="RETENTION_AUDIT_YEARS",
            removes="deleted",
            due=_audit_due,
            remove=_audit_remove,
            describe=_audit_line,
            held=AUDIT_HELD,
            order=100,
        ),
        *webhook_categories(),
    ]

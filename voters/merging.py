"""Merging two electors who turned out to be one person (a name change a person confirmed).

The earlier elector keeps their id, and with it their contacts, intentions, suppression, member link
and everything else; the later one (added by an import under the new surname) gives them its place
on the register and whatever was recorded against it, and is deleted.

Every table that points at an elector is found from Django's relations, so a model added later (in
any app) is moved too without being listed here. Where a row of the later elector cannot move
because the earlier one already has its twin (a unique constraint: one mark per election, one
answer per survey...), the earlier elector's row is kept; register entries are the exception: the
later elector's place in a publication is the current one.
"""

from __future__ import annotations

from django.db.models import Exists, Model, OuterRef, Q, UniqueConstraint
from django.db.models.fields.related import ForeignObjectRel
from django.utils import timezone

from voters.models import Elector, NameChangeReview, RegisterEntry

# What the later elector's register row replaces on the earlier one.
REGISTER_FIELDS = (
    "polling_district_id",
    "home_id",
    "elector_number",
    "elector_suffix",
    "elector_number_raw",
    "title",
    "first_names",
    "initials",
    "surname",
    "markers_raw",
    "markers",
    "attainment_date",
    "opted_out",
    "on_register",
    "removed_month",
    "match_key",
)


def elector_relations() -> list[ForeignObjectRel]:
    """Every relation pointing at Elector, except the reviews that name the pair."""
    return [
        relation
        for relation in Elector._meta.related_objects
        if relation.related_model is not NameChangeReview and not relation.many_to_many
    ]


def _unique_sets(model: type[Model], field_name: str) -> list[tuple[list[str], Q | None]]:
    """The unique constraints of `model` that include `field_name`: (fields, condition)."""
    field = model._meta.get_field(field_name)
    found: list[tuple[list[str], Q | None]] = []
    if getattr(field, "unique", False):
        found.append(([field_name], None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and field_name in constraint.fields:
            found.append((list(constraint.fields), constraint.condition))
    for together in model._meta.unique_together:
        if field_name in together:
            found.append((list(together), None))
    return found


def elector_merge(*, earlier: Elector, later: Elector) -> dict[str, int]:
    """Merge `later` into `earlier` (call in a transaction, with both rows locked). Returns how many
    rows of each model were moved to the earlier elector."""
    moved: dict[str, int] = {}
    # The later elector's place in a publication is the current one: the earlier's gives way.
    RegisterEntry.unscoped.filter(
        elector=earlier,
        publication_id__in=RegisterEntry.unscoped.filter(elector=later).values("publication_id"),
    ).delete()
    for relation in elector_relations():
        model: type[Model] = relation.related_model  # type: ignore[assignment]  # never "self" here
        name = relation.field.name
        rows = model._base_manager.filter(**{name: later})
        for fields, condition in _unique_sets(model, name):
            twins = model._base_manager.filter(
                **{name: earlier}, **{f: OuterRef(f) for f in fields if f != name}
            )
            clashing = rows.filter(Exists(twins.filter(condition) if condition else twins))
            (clashing.filter(condition) if condition else clashing).delete()
        count = rows.update(**{name: earlier})
        if count:
            moved[model._meta.label] = count

    for field in REGISTER_FIELDS:
        setattr(earlier, field, getattr(later, field))
    earlier.first_seen_month = min(earlier.first_seen_month, later.first_seen_month)
    if later.do_not_contact and not earlier.do_not_contact:
        earlier.do_not_contact = True
        earlier.do_not_contact_reason = later.do_not_contact_reason
        earlier.do_not_contact_at = later.do_not_contact_at
    contacts = [at for at in (earlier.last_contact_at, later.last_contact_at) if at]
    earlier.last_contact_at = max(contacts) if contacts else None
    earlier.updated_at = timezone.now()
    Elector.unscoped.filter(pk=later.pk).delete()  # its reviews keep a summary (later set to NULL)
    earlier.save(
        update_fields=[
            *(f.removesuffix("_id") for f in REGISTER_FIELDS),
            "first_seen_month",
            "do_not_contact",
            "do_not_contact_reason",
            "do_not_contact_at",
            "last_contact_at",
            "updated_at",
        ]
    )
    return moved

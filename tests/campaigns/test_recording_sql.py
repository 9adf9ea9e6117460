"""campaigns/recording_sql.py writes a visit's contact in the visit's own statement (issue 18, the API
write's cost): the contact row must be what voters.services.contact_record writes, and the elector's
last contact must still only move forwards."""

import uuid
from datetime import timedelta

from django.forms.models import model_to_dict
from django.utils import timezone

from campaigns.models import Visit
from campaigns.services import SyncStatus, canvass_record_visit
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact, Elector
from voters.services import contact_record


def _elector(clp, **fields):
    home = PropertyFactory(polling_district=clp.polling_district)
    return ElectorFactory(polling_district=clp.polling_district, home=home, **fields)


def _visit(clp, elector, client_uuid=None, notes="Asked about the bins", **given):
    return canvass_record_visit(
        canvasser=clp.user(Role.CANVASSER),
        campaign=campaign_with_survey(clp.constituency),
        elector=elector,
        outcome="spoke",
        client_uuid=client_uuid or uuid.uuid4(),
        notes=notes,
        **given,
    )


def test_a_visits_contact_is_the_row_contact_record_writes(anytown):
    elector = _elector(anytown)
    result = _visit(anytown, elector)
    assert result.status == SyncStatus.RECORDED
    visit = Visit.unscoped.get(pk=result.visit.pk)
    written = Contact.unscoped.get(pk=visit.contact_id)
    reference = contact_record(
        elector=elector,
        channel=visit.channel,
        user=anytown.user(Role.CANVASSER),
        at=written.at,
        outcome=visit.outcome.label,
        campaign_label=visit.campaign.name,
        campaign_ref=str(visit.client_uuid),
        notes=visit.notes,
        source="canvass",
    )
    reference.refresh_from_db()

    def fields(contact):
        return {k: v for k, v in model_to_dict(contact).items() if k not in ("id", "created_at")}

    assert fields(written) == fields(reference)
    assert abs(written.created_at - reference.created_at) < timedelta(minutes=1)
    # The service hands back the contact as stored, for webhooks and the caller.
    assert model_to_dict(result.visit.contact) == model_to_dict(written)
    assert result.visit.contact.created_at == written.created_at


def test_the_last_contact_only_moves_forwards(anytown):
    later = timezone.now() + timedelta(minutes=5)  # someone else's contact, newer than this visit
    ahead, behind, never = (
        _elector(anytown, last_contact_at=later),
        _elector(anytown, last_contact_at=later - timedelta(days=30)),
        _elector(anytown),
    )
    contacts = {e.pk: _visit(anytown, e).visit.contact.at for e in (ahead, behind, never)}
    stored = dict(Elector.unscoped.filter(pk__in=contacts).values_list("pk", "last_contact_at"))
    assert stored == {ahead.pk: later, behind.pk: contacts[behind.pk], never.pk: contacts[never.pk]}


def test_a_repeat_or_a_conflict_writes_no_second_visit_or_contact(anytown):
    elector, client_uuid = _elector(anytown), uuid.uuid4()
    first = _visit(anytown, elector, client_uuid)
    again = _visit(anytown, elector, client_uuid)
    other = _visit(anytown, elector, client_uuid, notes="Something else")
    assert [r.status for r in (first, again, other)] == ["recorded", "duplicate", "conflict"]
    assert again.visit.pk == first.visit.pk == other.visit.pk
    assert Visit.unscoped.filter(client_uuid=client_uuid).count() == 1
    assert Contact.unscoped.filter(elector=elector).count() == 1


def test_the_pack_look_up_loads_its_rows_as_the_orm_does(anytown):
    from campaigns.models import Pack, WalkList
    from campaigns.recording_sql import source_with_rule
    from labourhub.scoping import Action
    from labourhub.scoping_sql import row_for_user_sql
    from tests.campaigns.factories import pack_with_doors

    organiser, canvasser = anytown.user(Role.ORGANISER), anytown.user(Role.CANVASSER)
    pack = pack_with_doors(campaign_with_survey(anytown.constituency), [])
    WalkList.unscoped.filter(pk=pack.walk_list_id).update(criteria={"wards": [1, 2], "note": "x"})
    found = source_with_rule("pack", pack.pk, row_for_user_sql(Pack, Action.CANVASS, organiser, pack.pk))
    orm = Pack.unscoped.select_related("walk_list__campaign__constituency").get(pk=pack.pk)
    assert found.open_to_user  # an organiser opens every pack of their CLP
    assert found.row.walk_list.criteria == {"wards": [1, 2], "note": "x"}  # JSON decoded, not text
    for ours, theirs in (
        (found.row, orm),
        (found.row.walk_list, orm.walk_list),
        (found.campaign, orm.walk_list.campaign),
        (found.campaign.constituency, orm.walk_list.campaign.constituency),
    ):
        assert model_to_dict(ours) == model_to_dict(theirs)
    not_given = row_for_user_sql(Pack, Action.CANVASS, canvasser, pack.pk)
    assert not source_with_rule("pack", pack.pk, not_given).open_to_user
    assert source_with_rule("pack", pack.pk + 1000, not_given) is None

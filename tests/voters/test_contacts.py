import datetime

import pytest
from django.utils import timezone

from labourhub.models import AuditEvent, Role
from tests.voters.factories import ElectorFactory
from voters.models import Channel, Contact, Elector
from voters.services import contact_record, contact_rule_set, elector_set_do_not_contact


@pytest.fixture
def voter(anytown):
    return ElectorFactory(
        polling_district=anytown.polling_district,
        home__polling_district=anytown.polling_district,
        surname="Anytownson",
    )


def test_contact_record_moves_last_contact_forward_only(voter, anytown_canvasser):
    now = timezone.now()
    contact_record(elector=voter, channel=Channel.DOOR, user=anytown_canvasser, at=now, outcome="spoke")
    contact_record(
        elector=voter, channel="phone", user=anytown_canvasser, at=now - datetime.timedelta(days=3)
    )
    voter.refresh_from_db()
    assert voter.last_contact_at == now
    assert [c.channel for c in Contact.unscoped.filter(elector=voter)] == ["door", "phone"]


def test_contact_record_refuses_an_unknown_channel(voter, anytown_canvasser):
    with pytest.raises(ValueError):
        contact_record(elector=voter, channel="pigeon", user=anytown_canvasser)
    assert not Contact.unscoped.exists()


def test_due_for_door_honours_the_clp_quiet_period(voter, anytown, anytown_secretary):
    contact_record(
        elector=voter,
        channel="phone",
        user=anytown_secretary,
        at=timezone.now() - datetime.timedelta(days=10),
    )
    assert not Elector.unscoped.due_for(Channel.DOOR).exists()  # default: 14 days for a door knock
    contact_rule_set(constituency=anytown.constituency, channel="door", quiet_days=7, user=anytown_secretary)
    assert list(Elector.unscoped.due_for(Channel.DOOR)) == [voter]
    assert list(Elector.unscoped.due_for(Channel.EMAIL)) == [voter]


def test_do_not_contact_removes_the_voter_from_every_list(voter, anytown_secretary):
    elector_set_do_not_contact(elector=voter, user=anytown_secretary, reason="Asked on the doorstep")
    assert not Elector.unscoped.due_for(Channel.EMAIL).exists()
    assert not Elector.unscoped.contactable().exists()
    assert AuditEvent.objects.filter(action="elector.do_not_contact", object_id=str(voter.pk)).exists()


def test_not_contacted_since(voter, anytown_canvasser):
    since = timezone.now() - datetime.timedelta(days=30)
    assert list(Elector.unscoped.not_contacted_since(since)) == [voter]
    contact_record(elector=voter, channel="door", user=anytown_canvasser)
    assert not Elector.unscoped.not_contacted_since(since).exists()


def test_electors_are_scoped_to_their_clp(voter, anytown, anytown_canvasser, otherton_secretary):
    assert list(Elector.objects.for_user(anytown.user(Role.ORGANISER))) == [voter]
    assert not Elector.objects.for_user(otherton_secretary).exists()
    assert not Elector.objects.for_user(anytown_canvasser).exists()  # no MFA: no register (issue 10, item 12)


def test_eligibility_from_markers_and_attainment(voter):
    from voters.models import ElectionType

    assert voter.may_vote_in(ElectionType.PARLIAMENT) and voter.may_vote_in(ElectionType.LOCAL)
    voter.markers = "G"
    assert voter.may_vote_in("local") and not voter.may_vote_in("parl")
    voter.markers = "F"
    assert voter.may_vote_in("parl") and not voter.may_vote_in("local")
    voter.markers, voter.attainment_date = "", timezone.localdate() + datetime.timedelta(days=30)
    assert voter.is_attainer() and not voter.may_vote_in("parl")
    assert voter.may_vote_in("parl", on=voter.attainment_date)


def test_an_import_that_breaks_is_marked_failed(tmp_path, anytown, run_import, monkeypatch):
    from voters.importers.register import RegisterImporter
    from voters.models import RegisterImport
    from voters.register_files import synthetic_people, write_register

    def broken(self, cursor, staging):
        raise RuntimeError("disk full")

    monkeypatch.setattr(RegisterImporter, "apply", broken)
    path = write_register(tmp_path / "r.csv", synthetic_people(5, pds=["AN9"]), "xpress14")
    with pytest.raises(RuntimeError):
        run_import(path, anytown.constituency)
    assert RegisterImport.unscoped.get().status == "failed"
    assert not Elector.unscoped.exists()

"""The members app's URLs and admin pages for the scoping walker."""

from members.models import EmailSend, ImportMapping, Member, MemberImport, Volunteer
from tests.members.factories import EmailSendFactory, MemberFactory, VolunteerFactory


def _member(anytown):
    return MemberFactory(constituency=anytown.constituency)


def _send(anytown):
    return EmailSendFactory(constituency=anytown.constituency)


def _mapping(anytown):
    mapping, _ = ImportMapping.objects.get_or_create(
        constituency=anytown.constituency,
        name="Anytown export",
        defaults={"columns": {"last_name": "Surname"}},
    )
    return mapping


def _import(anytown):
    return MemberImport.objects.create(
        constituency=anytown.constituency, mapping=_mapping(anytown), file_name="anytown.csv", file="x.csv"
    )


URLS = {}

ADMIN_OBJECTS = {
    Member: _member,
    Volunteer: lambda anytown: VolunteerFactory(member=_member(anytown)),
    EmailSend: _send,
    ImportMapping: _mapping,
    MemberImport: _import,
}

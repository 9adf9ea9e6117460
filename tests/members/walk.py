"""The members app's URLs and admin pages for the scoping walker."""

from django.core import signing
from django.utils import timezone

from labourhub.models import Role
from members.models import (
    ElectorMatch,
    EmailRecipient,
    EmailSend,
    ImportMapping,
    Member,
    MemberImport,
    Volunteer,
)
from members.services import UNSUBSCRIBE_SALT
from tests.members.factories import EmailSendFactory, MemberFactory, VolunteerFactory
from tests.voters.factories import ElectorFactory, PropertyFactory


def _member(anytown):
    return anytown.once("member", lambda clp: MemberFactory(constituency=clp.constituency))


def _send(anytown):
    return anytown.once("send", lambda clp: EmailSendFactory(constituency=clp.constituency))


def _mapping(anytown):
    mapping, _ = ImportMapping.unscoped.get_or_create(
        constituency=anytown.constituency,
        name="Anytown export",
        defaults={"columns": {"last_name": "Surname"}},
    )
    return mapping


def _import(anytown):
    return anytown.once("member_import", _make_import)


def _make_import(anytown):
    return MemberImport.unscoped.create(
        constituency=anytown.constituency, mapping=_mapping(anytown), file_name="anytown.csv", file="x.csv"
    )


def _unsubscribe_token(anytown):
    send = _send(anytown)
    member = _member(anytown)
    recipient = EmailRecipient.unscoped.create(
        send=send, member=member, email=member.email, batch_number=0, planned_at=timezone.now()
    )
    return {"token": signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(recipient.pk))}


def _match(anytown):
    return anytown.once("match", _make_match)


def _make_match(anytown):
    home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road")
    elector = ElectorFactory(home=home, surname="Anytownson")
    return ElectorMatch.unscoped.create(
        member=_member(anytown), elector=elector, state=ElectorMatch.State.PROPOSED, reason="Anytown test"
    )


def _pk(make):
    return lambda anytown: {"pk": make(anytown).pk}


def _none(anytown):
    return {}


URLS = {
    "members:unsubscribe": _unsubscribe_token,
    "members:bounce_webhook": _none,
    "members:list": _none,
    "members:detail": _pk(_member),
    "members:subject_access": _pk(_member),
    "members:erase": _pk(_member),
    "members:export": _none,
    "members:letters": _none,
    "members:chart": _none,
    "members:volunteers": _none,
    "members:emails": _none,
    "members:email_new": _none,
    "members:email_edit": _pk(_send),
    "members:email_detail": _pk(_send),
    "members:email_progress": _pk(_send),
    "members:email_test": _pk(_send),
    "members:email_start": _pk(_send),
    "members:email_stop": _pk(_send),
    "members:import_upload": _none,
    "members:import_map": _pk(_import),
    "members:import_detail": _pk(_import),
    "members:matches": _none,
    "members:match_decide": _pk(_match),
    "members:me": _none,
    "members:me_download": _none,
}

ADMIN_OBJECTS = {
    Member: _member,
    Volunteer: lambda anytown: anytown.once("volunteer", lambda clp: VolunteerFactory(member=_member(clp))),
    EmailSend: _send,
    ImportMapping: _mapping,
    MemberImport: _import,
}

# Issue 10, item 12: members' data is for roles with MFA (tests/labourhub/test_least_privilege.py).
DENIED_TO = {
    role: [
        "members:list",
        "members:detail",
        "members:export",
        "members:letters",
        "members:volunteers",
        "members:emails",
        "members:import_upload",
        "members:matches",
        "members:subject_access",
        "members:erase",
    ]
    for role in (Role.CANVASSER, Role.TELLER)
}

NO_CANARY = {
    "members:chart": "the membership chart: counts by month, no names",
    "members:email_progress": "the send's progress bar: counts only",
    "members:bounce_webhook": "the mail provider's signed webhook: answers no records",
    "members:import_map": "the walk's import is already mapped, so it redirects to its page (walked)",
    "members:me": "the signed-in user's own membership, found by their own email",
    "members:me_download": "the signed-in user's own membership, found by their own email",
    "members:email_test": "sends a test copy to the signed-in user, after commit (never in the walk)",
    "admin:members_volunteer_add": "an empty form",
    "members:email_start": "gap: the walk's send is a draft that cannot start before its test copy",
    "members:email_stop": "gap: the walk's send is a draft, which is neither cancelled nor stopped",
    "members:unsubscribe": "a signed link: says the address is unsubscribed, names no one",
}

# Whoever holds the signed link in a member's email may use it: that it changes the member's
# rows for anyone holding it is the point (it still must not show them anything).
CAPABILITIES = {"members:unsubscribe": "the signed unsubscribe link in the member's own email"}

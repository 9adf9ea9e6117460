"""Issue 14, item 8: the demo's printed logins are all the logins it makes, and no demo user is
linked to another person's member record (Cal Canvasser saw Amelia Adams's address and email)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from members.models import Member
from tests.conftest import reseed_reference_data_if_missing

# The whole demo takes minutes on a loaded machine (3,300 members through the real importer).
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The whole demo, built once for this file (it takes a while), and what `make run` prints."""
    # A module-scoped fixture runs before the per-test reference-data check: a previous file's
    # worker or server may have flushed the reference data the demo's surveys need.
    reseed_reference_data_if_missing(django_db_blocker)
    with django_db_blocker.unblock():
        out = StringIO()
        try:
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:  # a demo that failed half-way must not leave its rows to the next file's tests
            call_command("flush", "--noinput", stdout=StringIO())


def test_every_demo_login_is_printed(db, demo_output):
    logins = demo_output[demo_output.index("Demo logins") :]
    users = get_user_model().objects.filter(email__endswith=".demo", is_active=True)
    assert users.count() > 15
    for user in users:
        assert user.has_usable_password()
        assert user.email in logins, f"{user.email} can sign in but is not printed"
    # Members who are only members say so, so the reader knows what to try them for.
    assert "alex@anytown.demo" in logins and "member" in logins.split("alex@anytown.demo")[1].splitlines()[0]


def test_no_demo_user_is_linked_to_someone_elses_member_record(db, demo_output):
    linked = Member.unscoped.filter(user__isnull=False).select_related("user")
    assert linked.filter(user__email="canvasser@anytown.demo").exists()  # "My membership" has a record
    for member in linked:
        assert member.email.lower() == member.user.email.lower(), (member, member.user)
        assert member.user.full_name == f"{member.first_name} {member.last_name}", (member, member.user)

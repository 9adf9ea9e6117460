"""Issue 10, finding 10: the on-behalf and delegation email fields answer the same for an address
that has an account and one that has none (the role is checked first)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Role
from tests.access.factories import make_eligible
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UNKNOWN = "nobody@nowhere.example"


def _answer(response, email):
    """What the page says about the address (errors and notices), with the address blanked out."""
    page = response.content.decode()
    found = re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>|<div class="(?:card|message error)"[^>]*>.*?</div>',
        page,
        re.S,
    )
    return [text.replace(email, "EMAIL") for text in found], response.status_code


def _same_answer(client, url, field, known, method="post", **data):
    send = getattr(client, method)
    known_answer = _answer(send(url, data | {field: known}), known)
    unknown_answer = _answer(send(url, data | {field: UNKNOWN}), UNKNOWN)
    assert known_answer == unknown_answer
    assert known_answer[0], "the page should say why"


def _request_data(anytown, canvassing):
    return {
        "tool": canvassing.pk,
        "constituency": anytown.constituency.pk,
        "reason": "New volunteer",
        "needed_by": timezone.localdate() + timedelta(days=2),
    }


def test_a_member_asking_for_someone_else_learns_nothing_about_addresses(client, member, anytown, canvassing):
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(member)
    _same_answer(
        client,
        reverse("access:request_new"),
        "for_email",
        secretary.email,
        **_request_data(anytown, canvassing),
    )


def test_an_officer_learns_nothing_about_another_clps_people(client, member, anytown, otherton, canvassing):
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    _same_answer(
        client,
        reverse("access:request_new"),
        "for_email",
        member.email,
        **_request_data(otherton, canvassing),
    )


def test_the_conditions_partial_answers_the_same(client, member, otherton, canvassing):
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    _same_answer(
        client,
        reverse("access:conditions"),
        "for_email",
        member.email,
        method="get",
        tool=canvassing.pk,
        constituency=otherton.constituency.pk,
    )


def test_someone_with_nothing_to_delegate_learns_nothing_about_addresses(client, member, anytown):
    client.force_login(member)
    today = timezone.localdate()
    _same_answer(
        client,
        reverse("access:delegations"),
        "delegate_email",
        anytown.user(Role.CLP_SECRETARY).email,
        starts_on=today,
        ends_on=today,
    )


def test_an_endorser_learns_nothing_about_people_outside_their_areas(client, anytown, otherton):
    outsider = make_eligible(
        UserFactory(email="far@otherton.example", full_name="Far Othertonian"), otherton.constituency
    )
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    today = timezone.localdate()
    _same_answer(
        client,
        reverse("access:delegations"),
        "delegate_email",
        outsider.email,
        starts_on=today,
        ends_on=today,
    )

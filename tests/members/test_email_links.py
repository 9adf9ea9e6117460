"""Links in member emails: only http(s) and mailto addresses survive, judged after merging, whether
the copy is built by Django or filled in from pre-built bytes on a real SMTP connection."""

import email
import re

import pytest
from django.core import mail

from members import services
from members.models import EmailBatch
from tests.members.conftest import make_send
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _send_all(send):
    services.email_send_plan(send_id=send.pk)
    for batch in EmailBatch.objects.filter(send=send):
        services.email_batch_send(batch_id=batch.pk)


def _html_over_smtp(smtp_server):
    """{recipient: HTML part} of what the SMTP server received."""
    received = {}
    for raw in smtp_server.messages:
        message = email.message_from_bytes(raw["data"])
        [html] = [p for p in message.walk() if p.get_content_type() == "text/html"]
        received[message["To"]] = html.get_payload(decode=True).decode()
    return received


def _hrefs(html):
    return re.findall(r'href="([^"]*)"', html)


def _member(anytown, email_address, first_name, last_name):
    return MemberFactory(
        constituency=anytown.constituency, email=email_address, first_name=first_name, last_name=last_name
    )


def _assert_only_safe_links(html):
    """An unsafe address is emptied (the words stay, the link leads nowhere)."""
    for href in _hrefs(html):
        assert href == "" or re.match(r"^(https?://|mailto:)", href), f"unsafe link survived: {href!r}"


def test_merge_field_as_a_link_target_cannot_become_javascript_over_smtp(anytown, smtp_server):
    _member(anytown, "bad@anytown.example", "Al", "javascript:alert(document.cookie)")
    _member(anytown, "spaced@anytown.example", "Bo", " JaVa\tScRiPt:alert(1)")
    _member(anytown, "good@anytown.example", "Cy", "https://anytown.example/cy")
    send = make_send(anytown, body="Read [your page]({{last_name}}) today.")
    _send_all(send)

    received = _html_over_smtp(smtp_server)
    assert set(received) == {"bad@anytown.example", "spaced@anytown.example", "good@anytown.example"}
    for html in received.values():
        assert "javascript:" not in html.lower().replace("\t", "")
        _assert_only_safe_links(html)
    assert "https://anytown.example/cy" in _hrefs(received["good@anytown.example"])
    assert "" in _hrefs(received["bad@anytown.example"])
    # The unsubscribe link in the footer is still there for everyone.
    assert all(any("/members/email/unsubscribe/" in h for h in _hrefs(html)) for html in received.values())


def test_link_built_from_two_merge_fields_cannot_become_javascript(anytown, smtp_server):
    _member(anytown, "split@anytown.example", "javascript", ":alert(1)")
    _member(anytown, "empty@anytown.example", "", "javascript:alert(1)")
    send = make_send(anytown, body="[x]({{first_name}}{{last_name}}) and [y](java{{last_name}})")
    _send_all(send)
    for html in _html_over_smtp(smtp_server).values():
        assert "javascript" not in "".join(_hrefs(html)).lower()
        _assert_only_safe_links(html)


def test_links_checked_in_messages_django_builds(anytown):
    """The locmem backend (and recipients with non-ASCII headers) take the full-build path."""
    _member(anytown, "bad@anytown.example", "Zoë", "javascript:alert(1)")
    send = make_send(anytown, subject="For {{first_name}}", body="[x]({{last_name}})")
    _send_all(send)
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "javascript:" not in html
    _assert_only_safe_links(html)


def test_written_links_other_than_http_and_mailto_are_dropped(anytown, smtp_server):
    _member(anytown, "al@anytown.example", "Al", "Anytownson")
    send = make_send(
        anytown,
        body=(
            "[a](javascript:alert(1)) [b](relative/page) [c](data:text/html,hi) "
            "[d](https://anytown.example/?n={{last_name}}) [e](mailto:sec@anytown.example)"
        ),
    )
    _send_all(send)
    [html] = _html_over_smtp(smtp_server).values()
    _assert_only_safe_links(html)
    hrefs = _hrefs(html)
    assert "https://anytown.example/?n=Anytownson" in hrefs
    assert "mailto:sec@anytown.example" in hrefs

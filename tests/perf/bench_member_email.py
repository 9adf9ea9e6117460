"""Benchmark: plan a member email to 500k members, send 50k of it to a local SMTP sink, and in the same
run send the same number of messages with a plain smtplib loop over one connection (the baseline).

    .venv/bin/python tests/perf/bench_member_email.py [--members 500000] [--send 50000]

1. makes a throwaway database and COPYs N members who agreed to email into it (not timed);
2. plans the send: one row per recipient, frequency cap applied (timed: plan_seconds);
3. starts an aiosmtpd sink in its own process that discards messages but counts their Message-IDs;
4. sends batches with the real sending service (rate limit off, one SMTP connection per batch,
   each row claimed with FOR UPDATE SKIP LOCKED and marked sent in a durable commit) until --send
   messages went (timed), then as many again with the marks' commits not waiting for the disk
   (synchronous_commit off, the pre-issue-#11 behaviour a Postgres crash could undo), to show what
   durable marks cost;
5. sends the same number of one pre-built message with smtplib over one connection (timed);
6. compares what the sink counted with the rows marked sent: duplicates and missing must be 0.
The last line printed is one JSON object.
"""

import argparse
import asyncio
import io
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (make bench): re-run as a module from the project root so imports resolve.
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606


def run_sink(port, out_path):
    """The SMTP sink (run in its own process): discards messages, writes Message-ID counts on SIGTERM."""
    from aiosmtpd.controller import Controller

    counts = Counter()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            content = envelope.content
            start = content.find(b"Message-ID: ")
            counts[content[start + 12 : content.find(b"\n", start)].strip().decode()] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stopped = asyncio.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    while not stopped.is_set():
        time.sleep(0.1)
    controller.stop()
    Path(out_path).write_text(json.dumps(counts))


if len(sys.argv) > 1 and sys.argv[1] == "--sink":
    run_sink(int(sys.argv[2]), sys.argv[3])
    sys.exit(0)

from tests.perf.bootstrap import analyze, setup_django  # noqa: E402

setup_django("bench_member_email", MEMBER_EMAIL_RATE_PER_SECOND="0", MEMBER_EMAIL_BATCH_SIZE="500")

from django.core.mail import get_connection  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from labourhub.models import Constituency, Region, Role, User  # noqa: E402
from labourhub.services import grant_create  # noqa: E402
from members import sending, services  # noqa: E402
from members.models import EmailBatch, EmailRecipient, EmailSend  # noqa: E402


def copy_members(constituency, count):
    """COPY `count` members into the table, every NOT NULL column filled."""
    now = timezone.now().isoformat()
    fixed = {
        "constituency_id": constituency.pk,
        "title": "",
        "mobile": "",
        "phone": "",
        "address_line1": "1 High Street",
        "address_line2": "",
        "address_line3": "",
        "town": "Anytown",
        "postcode": "AN1 1AA",
        "status": "current",
        "membership_type": "standard",
        "trade_union": "",
        "socialist_societies": "",
        "consent_email": "t",
        "consent_sms": "f",
        "consent_phone": "f",
        "consent_post": "t",
        "email_hard_bounces": "0",
        "created_at": now,
        "updated_at": now,
    }
    columns = [*fixed, "membership_number", "first_name", "last_name", "email"]
    prefix = "\t".join(str(v) for v in fixed.values())
    buffer = io.StringIO()
    for n in range(count):
        buffer.write(f"{prefix}\tA{n + 1:07d}\tFirst{n}\tBench{n % 997}\tm{n}@bench.example\n")
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY members_member ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
    analyze("ANALYZE members_member")


def start_sink():
    port, out = _free_port(), Path(f"/tmp/bench-member-email-sink-{os.getpid()}.json")  # noqa: S108
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.perf.bench_member_email", "--sink", str(port), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process, port, out


def stop_sink(process, out):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    return Counter(json.loads(out.read_text()))


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_batches(batches, backend, count):
    """Send whole batches with the real service until `count` messages went; (sent, seconds)."""
    sent = 0
    started = time.perf_counter()
    for batch_id in batches:
        sent += services.email_batch_send(batch_id=batch_id, backend=backend)
        if sent >= count:
            break
    return sent, time.perf_counter() - started


def smtplib_loop(port, count, message_bytes):
    client = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for n in range(count):
        client.sendmail("members@labourhub.localhost", [f"m{n}@bench.example"], message_bytes)
    elapsed = time.perf_counter() - started
    client.quit()
    return count / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--send", type=int, default=50_000)
    args = parser.parse_args()

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    region = Region.objects.create(name="Bench region", code="E15999999")
    constituency = Constituency.objects.create(name="Anytown", gss_code="E14999999", region=region)
    secretary = User.objects.create_user("secretary@bench.example", "x" * 16)
    grant_create(user=secretary, role=Role.CLP_SECRETARY, area=constituency)
    started = time.perf_counter()
    copy_members(constituency, args.members)
    print(f"loaded {args.members} members in {time.perf_counter() - started:.1f}s", file=sys.stderr)

    send = services.email_send_save(
        constituency=constituency,
        user=secretary,
        subject="Hello {{first_name}}",
        body="Dear {{first_name}},\n\nThe **branch meeting** is on Thursday in {{constituency}}.\n\n- one\n- two",
        audience={},
        frequency_cap=3,
    )
    EmailSend.unscoped.filter(pk=send.pk).update(state=EmailSend.State.SENDING, scheduled_for=timezone.now())
    started = time.perf_counter()
    services.email_send_plan(send_id=send.pk)
    plan_seconds = time.perf_counter() - started
    send.refresh_from_db()
    print(f"planned {send.planned_count} in {plan_seconds:.1f}s", file=sys.stderr)

    process, port, out = start_sink()
    try:
        backend = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port, use_tls=False
        )
        batches = iter(EmailBatch.objects.filter(send=send).order_by("number").values_list("id", flat=True))
        sent, elapsed = send_batches(batches, backend, args.send)
        msgs_per_s = sent / elapsed
        print(f"service: {sent} in {elapsed:.1f}s = {msgs_per_s:.0f}/s", file=sys.stderr)
        # What durable marks cost: the same service with the marks' commits not waiting for the disk
        # (synchronous_commit off, as before issue #11), which a Postgres crash could forget.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        async_sent, async_elapsed = send_batches(batches, backend, args.send)
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
        async_per_s = async_sent / async_elapsed
        print(
            f"service, marks not durable: {async_sent} in {async_elapsed:.1f}s = {async_per_s:.0f}/s",
            file=sys.stderr,
        )

        sample = EmailRecipient.unscoped.filter(send=send, state="sent").first()
        baseline_bytes = _sample_message_bytes(send, sample)
        smtplib_rate = smtplib_loop(port, sent, baseline_bytes)
        print(f"smtplib: {smtplib_rate:.0f}/s", file=sys.stderr)
    finally:
        counts = stop_sink(process, out)
        out.unlink(missing_ok=True)

    sent += async_sent
    marked = {
        f"<member-email-{pk}@labourhub.localhost>"
        for pk in EmailRecipient.unscoped.filter(send=send, state="sent").values_list("id", flat=True)
    }
    ours = {mid: n for mid, n in counts.items() if mid.startswith("<member-email-")}
    duplicates = sum(n - 1 for n in ours.values() if n > 1)
    missing = len(marked - set(ours)) + len(set(ours) - marked)
    result = {
        "planned": send.planned_count,
        "plan_seconds": round(plan_seconds, 2),
        "sent": sent,
        "msgs_per_s": round(msgs_per_s, 1),
        "smtplib_msgs_per_s": round(smtplib_rate, 1),
        "ratio_vs_smtplib": round(msgs_per_s / smtplib_rate, 2),
        "msgs_per_s_marks_not_durable": round(async_per_s, 1),
        "ratio_vs_smtplib_marks_not_durable": round(async_per_s / smtplib_rate, 2),
        "duplicates": duplicates,
        "missing": missing,
    }
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print(json.dumps(result))


def _sample_message_bytes(send, recipient):
    """The message the service built for one recipient, as bytes, for the baseline loop."""
    from django.core.mail.backends.locmem import EmailBackend

    locmem = EmailBackend()
    row = sending.Row(
        recipient.pk,
        recipient.email,
        "sent",
        "First0",
        "Bench0",
        "A0000001",
        None,
        None,
        None,
    )
    message = services.email_composer(send).message(row, locmem)
    data = message.message().as_bytes(linesep="\r\n")
    assert message_from_bytes(data)["Message-ID"]
    return data.replace(b"<member-email-", b"<baseline-")


if __name__ == "__main__":
    main()

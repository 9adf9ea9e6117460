"""What the benchmarks share, so there is one way of each:

setup_django(test_db, **env)   Django set up on a test database of its own (TEST_DB), created and
                               dropped by the owner; call it before importing the project
database_url()                 the URL a server process the benchmark starts needs to reach it
gunicorn(port, workers=...)    the project under gunicorn with production settings (DEBUG off), as a
                               context manager that waits until it listens and stops it after
free_port(), percentile()
session_for(user)              a signed-in session cookie and CSRF token, as a browser would hold
Phone, run_phones()            a simulated phone (one keep-alive connection) and the thread loop
ServerCpu                      CPU used by the gunicorn workers and their Postgres backends (/proc)
seed_polling_day(...)          a constituency-sized polling day (bench_board, bench_polling_day)

Load generator: threads with http.client (keep-alive, one connection per simulated user): no async
HTTP client is installed. It runs on the same machine as the server, so its CPU is the server's loss.
"""

import contextlib
import datetime
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import django

ROOT = Path(__file__).resolve().parents[2]
BATCH = 5000


def setup_django(test_db, **environment):
    """`environment`: further settings for this benchmark, as environment variables (set unless the
    caller's environment already has them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labourhub.settings")
    os.environ.setdefault("TEST_DB", test_db)
    os.environ.setdefault("SECRET_KEY", "only-for-benchmarks-not-a-secret")
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    django.setup()
    _create_and_drop_as_owner()


def _create_and_drop_as_owner():
    """The benchmark's database is created, migrated and dropped by the owner (DATABASE_OWNER_URL),
    as the test suite's is; the benchmark itself runs as the application's role."""
    from django.db import connection

    from labourhub.db_roles import as_owner

    creation = connection.creation
    for name in ("create_test_db", "destroy_test_db"):
        original = getattr(creation, name)

        def as_the_owner(*args, _original=original, **kwargs):
            with as_owner(connection.alias):
                return _original(*args, **kwargs)

        setattr(creation, name, as_the_owner)


def analyze(*statements):
    """ANALYZE (or VACUUM ANALYZE) as the tables' owner, as autovacuum keeps statistics on a live
    database. Postgres skips a table the application's role does not own with only a warning, so a
    seed that analysed as the application left the planner without statistics."""
    from django.db import connection

    from labourhub.db_roles import as_owner

    with as_owner(connection.alias), connection.cursor() as cursor:
        for statement in statements or ("ANALYZE",):
            cursor.execute(statement)


def database_url():
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}{port}/{db['NAME']}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, pct):
    """The pct-th percentile of `values` (sorted here), rounded to 0.1; None for no values."""
    ordered = sorted(values)
    return round(ordered[int(pct / 100 * (len(ordered) - 1))], 1) if ordered else None


@contextlib.contextmanager
def gunicorn(port, *, workers, threads=1, backlog=2048, worker_class=None):
    """The project under gunicorn on 127.0.0.1:`port` with production settings (DEBUG off), on the
    benchmark's database; yields the server's Popen once it accepts connections, stops it after."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_MANIFEST": "false",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "labourhub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", worker_class or ("gthread" if threads > 1 else "sync"),
         "--threads", str(threads), "--keep-alive", "30", "--log-level", "warning", "--backlog", str(backlog)],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def session_for(user):
    """{"session", "csrf"}: a session signed in as `user` (as after a login) and a CSRF token."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"session": session.session_key, "csrf": _get_new_csrf_string()}


class Phone:
    """One simulated user: a keep-alive connection carrying its session cookie and CSRF token."""

    def __init__(self, port, identity):
        from django.conf import settings

        self.port = port
        self.identity = identity
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={identity['session']}; csrftoken={identity['csrf']}",
            "X-CSRFToken": identity["csrf"],
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
        }

    def request(self, method, path, body=None):
        """(status, body, milliseconds); one retry on a fresh connection after a dropped one."""
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        return response.status, data, (time.perf_counter() - started) * 1000


def run_phones(phones, seconds, work, interval=None):
    """Each phone calls `work(phone, i)` until time is up: back to back, or every `interval` seconds
    (phones staggered) for a steady offered load. -> (results per phone, seconds, errors)."""
    stop = time.monotonic() + seconds
    results = [[] for _ in phones]
    errors = []

    def loop(i):
        next_at = time.monotonic() + (interval * i / len(phones) if interval else 0)
        try:
            while time.monotonic() < stop:
                if interval:
                    if next_at >= stop:  # not sleep past the end: that idle wait diluted every rate
                        break
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                results[i].append(work(phones[i], i))
        except Exception as error:  # a failed phone is reported, not hidden
            errors.append(repr(error))

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(phones))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started, errors


class ServerCpu:
    """CPU milliseconds used by the gunicorn workers under `master` and the Postgres backends serving
    the benchmark's database (both from /proc), between start() and stop().

    Read every `every` seconds in between, not only at the ends: Django closes a connection after
    CONN_MAX_AGE (60 s) and a backend's CPU is gone from /proc when it exits, so a backend that ended
    mid-run was missed (a run with 3 sync workers showed a third of the Postgres CPU of the others).
    What a backend used in its last `every` seconds is still missed."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master, every=0.25):
        self.master = master
        self.every = every

    def _pids(self):
        from django.db import connection  # this thread's own

        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_backend_pid(), pid FROM pg_stat_activity WHERE datname = current_database()"
            )
            rows = cursor.fetchall()
        self.own.add(rows[0][0])  # this thread's backend is in the list: never empty
        backends = {str(pid) for _, pid in rows if pid not in self.own}
        self.backends |= backends
        return children + sorted(backends)

    def _ticks(self):
        ticks = {}
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
        return ticks

    def _watch(self):
        from django.db import connection

        try:
            while not self._stopping.wait(self.every):
                self.latest.update(self._ticks())
        finally:
            connection.close()

    def start(self):
        self.own, self.backends = set(), set()
        self.before = self._ticks()
        self.latest = dict(self.before)
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch)
        self._watcher.start()

    def stop(self):
        """Total milliseconds; `self.postgres_ms` is the Postgres backends' share."""
        self._stopping.set()
        self._watcher.join()
        self.latest.update(self._ticks())
        used = {pid: t - self.before.get(pid, 0) for pid, t in self.latest.items()}
        self.postgres_ms = sum(t for pid, t in used.items() if pid in self.backends) * 1000 / self.TICK
        return sum(used.values()) * 1000 / self.TICK


class MachineCpu:
    """How busy the whole machine's cores were between start() and stop() (from /proc/stat), and
    this process's own CPU (a load generator's share): a run that needs more than the cores have is
    bounded by the machine, whatever the server does."""

    def _read(self):
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields), time.process_time()

    def start(self):
        self.before = self._read()

    def stop(self):
        """(the fraction of every core's time spent busy, this process's CPU milliseconds)."""
        busy, total, own = (after - before for after, before in zip(self._read(), self.before, strict=True))
        return busy / total if total else 0.0, own * 1000


class _Sizes(NamedTuple):
    electors: int
    boxes: int
    rooms: int
    promises: int
    tellings: int


class PollingDaySeed(NamedTuple):
    election: object
    constituency: object
    boxes: list  # [(BallotBox, electors on its register)]
    rooms: list
    organiser: object


def seed_polling_day(*, name, code, electors, boxes, rooms, promises, tellings, tellers=20):  # noqa: PLR0915
    """A polling day today in a constituency of its own (`code`: 0-99, keeps codes apart): an election
    (`name`) on a register publication of `electors` (two to a home, every home on the map) in one
    polling district per box, a station per two boxes, the boxes shared among `rooms` committee
    rooms; `promises` electors whose latest intention is ours and as many canvassed for another
    party; 12% postal voters; a few hundred won't-vote / do-not-return / manual adds (some taken off
    again) / postal chases; `tellings` tellings over the day so far (some electors told twice) with
    their VoteRecords; two agents' counts per box, a knock-up round record and two lifts per room.
    Polls open all day. -> PollingDaySeed (the organiser has the ORGANISER role, no MFA yet)."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from campaigns.models import DoorOutcome, IntentionCode, LatestIntention, Visit
    from campaigns.services import survey_create
    from gotv.models import (
        BallotBox,
        BallotBoxDistrict,
        BoxTurnoutCount,
        CommitteeRoom,
        CommitteeRoomBox,
        KnockUpRound,
        LiftRequest,
        PollingStation,
        PostalChaseContact,
        PromiseAdjustment,
        Telling,
        VoteRecord,
    )
    from gotv.services import election_create
    from labourhub.models import Constituency, PollingDistrict, Region, Role, User
    from labourhub.services import grant_create
    from voters.models import (
        Elector,
        ElectorMark,
        Property,
        RegisterEntry,
        RegisterImport,
        RegisterPublication,
    )

    rng = random.Random(13)
    args = _Sizes(electors, boxes, rooms, promises, tellings)
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)
    region = Region.objects.create(name=f"{name} region", code=f"E150999{code:02d}")
    constituency = Constituency.objects.create(name=name, gss_code=f"E140999{code:02d}", region=region)
    today = timezone.localdate()
    publication = RegisterPublication.objects.create(
        constituency=constituency, published_on=today - datetime.timedelta(days=150)
    )
    election = election_create(
        constituency=constituency,
        kind="general",
        name=name,
        poll_date=today,
        publication=publication,
        democracy_club_id=f"parl.{today.isoformat()}",
        polls_open=datetime.time(0, 0),
        polls_close=datetime.time(23, 59, 59),
    )
    survey_create(campaign=election.campaign, name="Doorstep")

    def user(kind, n, role):
        person = User.objects.create_user(f"{kind}{n}@seed{code}.example", None, full_name=f"{kind} {n}")
        grant_create(user=person, role=role, area=constituency)
        return person

    organiser = user("organiser", 0, Role.ORGANISER)
    teller_users = [user("teller", n, Role.TELLER) for n in range(tellers)]
    rooms = [
        CommitteeRoom.unscoped.create(election=election, name=f"Room {r}", is_main=r == 0)
        for r in range(args.rooms)
    ]
    per_box = args.electors // args.boxes
    month = today.replace(day=1)
    boxes, electors_by_box = [], []
    for b in range(args.boxes):
        pd = PollingDistrict.objects.create(constituency=constituency, code=f"BD{b:02d}")
        if b % 2 == 0:
            station = PollingStation.unscoped.create(election=election, name=f"Station {b // 2:02d}")
        box = BallotBox.unscoped.create(election=election, station=station, label=f"Box {b:02d}")
        BallotBoxDistrict.objects.create(box=box, polling_district=pd)
        CommitteeRoomBox.objects.create(committee_room=rooms[b % len(rooms)], box=box)
        homes = Property.unscoped.bulk_create(
            (
                Property(
                    polling_district=pd,
                    address_key=f"{n} BOARD ROAD {b}|BD11AA",
                    address=f"{n} Board Road {b}",
                    street=f"Board Road {b}",
                    house_number=n,
                    postcode="BD11AA",
                    postcode_display="BD1 1AA",
                    latitude=53.0 + b / 100 + n / 100000,
                    longitude=-1.5 - n / 100000,
                )
                for n in range(1, (per_box + 1) // 2 + 1)
            ),
            batch_size=BATCH,
        )
        electors = Elector.unscoped.bulk_create(
            (
                Elector(
                    polling_district=pd,
                    home=homes[i // 2],
                    elector_number=i + 1,
                    elector_number_raw=f"BD{b:02d}-{i + 1}",
                    first_names="Board",
                    surname=f"Voter{b}x{i}",
                    first_seen_month=month,
                    match_key=f"board{b}-{i}",
                )
                for i in range(per_box)
            ),
            batch_size=BATCH,
        )
        RegisterEntry.unscoped.bulk_create(
            (
                RegisterEntry(
                    publication=publication,
                    elector=e,
                    polling_district=pd,
                    elector_number=e.elector_number,
                    elector_suffix=0,
                    elector_number_raw=e.elector_number_raw,
                )
                for e in electors
            ),
            batch_size=BATCH,
        )
        boxes.append(box)
        electors_by_box.append([(e.pk, pd.pk) for e in electors])
    everyone = [pair for box_electors in electors_by_box for pair in box_electors]
    rng.shuffle(everyone)
    ours, theirs = everyone[: args.promises], everyone[args.promises : 2 * args.promises]

    # Canvassing: a visit and the latest intention for each canvassed elector.
    labour, tory = IntentionCode.objects.get(code="L"), IntentionCode.objects.get(code="T")
    spoke = DoorOutcome.objects.get(code="spoke")
    canvasser = user("canvasser", 0, Role.CANVASSER)
    now = timezone.now()
    canvassed = [(pk, labour) for pk, _ in ours] + [(pk, tory) for pk, _ in theirs]
    visits = Visit.unscoped.bulk_create(
        (
            Visit(campaign=election.campaign, elector_id=pk, canvasser=canvasser, outcome=spoke,
                  recorded_at=now - datetime.timedelta(days=20), digest="0" * 64)
            for pk, _ in canvassed
        ),
        batch_size=BATCH,
    )  # fmt: skip
    LatestIntention.unscoped.bulk_create(
        (
            LatestIntention(elector_id=pk, intention=code, strength=rng.choice(["hard", "soft", ""]),
                            visit=visit, at=visit.received_at)
            for (pk, code), visit in zip(canvassed, visits, strict=True)
        ),
        batch_size=BATCH,
    )  # fmt: skip

    # Postal voters (12%), from an absent voters list.
    source = RegisterImport.unscoped.create(
        constituency=constituency, kind=RegisterImport.Kind.POSTAL, file_name="avl.csv"
    )
    postal = rng.sample(everyone, len(everyone) * 12 // 100)
    ElectorMark.unscoped.bulk_create(
        (
            ElectorMark(elector_id=pk, kind=ElectorMark.Kind.POSTAL, election=election.democracy_club_id,
                        source=source)
            for pk, _ in postal
        ),
        batch_size=BATCH,
    )  # fmt: skip

    # Adjustments: won't vote, do not return, manual adds (some later taken off), postal chases.
    kind = PromiseAdjustment.Kind
    adjustments = [
        PromiseAdjustment(
            election=election, elector_id=pk, kind=k, value=True, by=organiser, at=now, reason="bench"
        )
        for k, people in (
            (kind.WONT_VOTE, rng.sample(ours, 400)),
            (kind.DO_NOT_RETURN, rng.sample(ours, 150)),
            (kind.PROMISE, rng.sample(theirs, 300)),
        )
        for pk, _ in people
    ]
    adjustments += [
        PromiseAdjustment(election=election, elector_id=pk, kind=kind.PROMISE, value=False, by=organiser, reason="bench",
                          at=now + datetime.timedelta(seconds=1))
        for pk, _ in rng.sample(ours, 100)
    ]  # fmt: skip
    PromiseAdjustment.unscoped.bulk_create(adjustments, batch_size=BATCH)
    ours_set = set(ours)
    postal_ours = [pair for pair in postal if pair in ours_set][:600]
    PostalChaseContact.unscoped.bulk_create(
        PostalChaseContact(election=election, elector_id=pk, by=organiser, at=now, channel="phone",
                           outcome=rng.choice(PostalChaseContact.Outcome.values))
        for pk, _ in postal_ours
    )  # fmt: skip

    # Tellings over the day so far (a promise is twice as likely to be told), with VoteRecords.
    opens = timezone.make_aware(datetime.datetime.combine(today, datetime.time(7, 0)))
    span = max((now - opens).total_seconds(), 3600)
    start = now - datetime.timedelta(seconds=span)
    box_of_district = {box_electors[0][1]: boxes[i] for i, box_electors in enumerate(electors_by_box)}
    pool = ours + everyone[: len(everyone) // 2]
    told = [rng.choice(pool) for _ in range(args.tellings)]
    tellings = Telling.unscoped.bulk_create(
        (
            Telling(election=election, box=box_of_district[pd], teller=teller_users[i % len(teller_users)],
                    raw_number=str(pk), elector_id=pk, polling_district_id=pd, elector_number=1,
                    recorded_at=start + datetime.timedelta(seconds=span * i / args.tellings),
                    received_at=start + datetime.timedelta(seconds=span * i / args.tellings))
            for i, (pk, pd) in enumerate(told)
        ),
        batch_size=BATCH,
    )  # fmt: skip
    first = {}
    for telling in tellings:
        first.setdefault(telling.elector_id, telling)
    VoteRecord.unscoped.bulk_create(
        (
            VoteRecord(election=election, elector_id=t.elector_id, polling_district_id=t.polling_district_id,
                       source=VoteRecord.Source.TELLING, telling=t, at=t.recorded_at)
            for t in first.values()
        ),
        batch_size=BATCH,
    )  # fmt: skip
    BoxTurnoutCount.unscoped.bulk_create(
        BoxTurnoutCount(election=election, box=box, ballots_issued=100 * n + 50, recorded_by=teller_users[0],
                        as_of=now - datetime.timedelta(hours=2 - n))
        for box in boxes
        for n in (1, 2)
    )  # fmt: skip
    for room in rooms:
        KnockUpRound.unscoped.create(committee_room=room, number=1, tellings_up_to=now, created_by=organiser)
        for n in range(2):
            LiftRequest.unscoped.create(election=election, committee_room=room, name=f"Passenger {n}",
                                       address="3 High Street")  # fmt: skip
    analyze()
    return PollingDaySeed(election, constituency, list(zip(boxes, map(len, electors_by_box), strict=True)),
                          rooms, organiser)  # fmt: skip

"""Personas: Anytown and Otherton (two CLPs in the Westland region) and a user of every role in each.

Anytown's people and records carry the word "Anytown" in their names and emails; the
scoping walker checks that no page shown to an Otherton user contains it.
"""

import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import hypothesis
import pytest

from labourhub.models import Region, Role
from labourhub.scoping import ROLES_NEEDING_MFA
from tests.factories import (
    ConstituencyFactory,
    GrantFactory,
    PollingDistrictFactory,
    RegionFactory,
    UserFactory,
    WardFactory,
    with_totp,
)

# Property tests judge behaviour, not speed: on a loaded 2-core machine input generation and
# database round trips are slow, and hypothesis would fail them for that alone.
hypothesis.settings.register_profile(
    "labourhub", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("labourhub")


@dataclass
class Clp:
    """One CLP with its areas and a user for each role (`clp.users[Role.CANVASSER]`)."""

    constituency: object
    ward: object
    polling_district: object
    users: dict = field(default_factory=dict)
    made: dict = field(default_factory=dict)  # records made once and shared (see `once`)

    def user(self, role):
        return self.users[role]

    def once(self, key, make):
        """The record `make(self)` built the first time it is asked for under `key`."""
        if key not in self.made:
            self.made[key] = make(self)
        return self.made[key]


def make_persona(email, name, role, area):
    user = UserFactory(email=email, full_name=name)
    if isinstance(area, Region):
        GrantFactory(user=user, role=role, constituency=None, region=area)
    else:
        GrantFactory(user=user, role=role, constituency=area)
    if role in ROLES_NEEDING_MFA:
        with_totp(user)
    return user


def make_clp(name, gss_code, region):
    constituency = ConstituencyFactory(name=name, gss_code=gss_code, region=region)
    ward = WardFactory(constituency=constituency, name=f"{name} Central")
    polling_district = PollingDistrictFactory(
        constituency=constituency, ward=ward, code=f"{name[:2].upper()}1"
    )
    clp = Clp(constituency, ward, polling_district)
    for role in Role:
        if role is Role.REGIONAL_STAFF:
            continue
        clp.users[role] = make_persona(
            f"{role.value}@{name.lower()}.example", f"{role.label} of {name}", role, constituency
        )
    return clp


# --- Spreading the suite over xdist's workers ---------------------------------------------------------
#
# `--dist loadfile` sends each file to one worker as a unit, and xdist queues the files by their number of
# tests, most first. The scoping walker and the every-page axe walk are few tests of many minutes each:
# queued last as one unit, they kept one worker busy for a quarter of an hour after the other had
# finished. So, with loadfile, the units are the same files, except that the tests of a file whose id
# names a shard (`[shard-0-of-2]`, see tests/test_scoping_walker.py) form a unit per shard; and the
# longest units are queued first, then the browser tests, then the rest as xdist orders them (most tests
# first).

SHARD_ID = re.compile(r"\[shard-(\d+)-of-(\d+)\]")


def _unit_of(nodeid):
    """The scheduling unit of a test: its file, or its file and shard."""
    file = nodeid.split("::", 1)[0]
    shard = SHARD_ID.search(nodeid)
    return f"{file}::shard-{shard[1]}" if shard else file


# The longest units, longest first (measured): each worker starts on one of them while the other takes
# the next, and the many short files fill in at the end.
LONGEST = ("tests/test_scoping_walker.py", "tests/e2e/test_axe_every_page.py")


def _unit_rank(unit, size):
    file, _, shard = unit.partition("::shard-")
    if file in LONGEST:
        return (LONGEST.index(file), not shard, shard, size)
    return (len(LONGEST), not file.startswith("tests/e2e/"), -size, unit)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ShardedLoadFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return _unit_of(nodeid)

        def schedule(self):
            # As LoadScopeScheduling.schedule, with the queue in _unit_rank's order.
            assert self.collection_is_completed
            if self.collection is not None:
                for node in self.nodes:
                    self._reschedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = list(next(iter(self.registered_collections.values())))
            if not self.collection:
                return
            units = {}
            for nodeid in self.collection:
                units.setdefault(self._split_scope(nodeid), {})[nodeid] = False
            for unit in sorted(units, key=lambda unit: _unit_rank(unit, len(units[unit]))):
                self.workqueue[unit] = units[unit]
            for _ in range(max(0, len(self.nodes) - len(self.workqueue))):
                unused, _assigned = self.assigned_work.popitem()
                unused.shutdown()
            # One unit each to start with (xdist gives two: both walker shards would go to one worker); a
            # worker is given its next unit when two or fewer of its tests are left, so it never waits.
            for node in self.nodes:
                self._assign_work_unit(node)
            if not self.workqueue:
                for node in self.nodes:
                    node.shutdown()

    return ShardedLoadFileScheduling(config, log)


# --- The test database: created and migrated by the owner, used by the application's role -------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """pytest-django creates (and at the end drops) the test database with the default connection:
    make it the owner's for that, as in production, where migrations run as the owner."""
    _use_owner_credentials()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test runs as the application's role (DATABASE_URL), which owns nothing and may
    only insert into and read the audit log."""
    from django.db import connection

    from labourhub import db_roles

    if _owner_swap is not None:
        connection.close()
        connection.settings_dict = _owner_swap.pop("original")
    yield
    if db_roles.owner_credentials():
        _use_owner_credentials()


_owner_swap = None


def _use_owner_credentials():
    global _owner_swap
    from django.db import connection

    from labourhub import db_roles

    owner = db_roles.owner_credentials()
    if not owner:
        return
    connection.close()
    original = connection.settings_dict
    connection.settings_dict = _OwnerSettings(original, owner)
    _owner_swap = {"original": original}


class _OwnerSettings(dict):
    """The owner's credentials over the application's settings; NAME (which test set-up changes)
    is written through to the application's settings too."""

    def __init__(self, original, owner):
        super().__init__({**original, **owner})
        self.original = original

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if key == "NAME":
            self.original[key] = value


# Rows created by data migrations. A transactional test (a live server, a worker) ends by
# emptying every table, so they are put back for the tests that follow on the same process.
DATA_MIGRATIONS = ["campaigns.migrations.0002_seed_reference_data"]


@pytest.fixture(autouse=True)
def reference_data_survives_flush(request, django_db_blocker):
    """Asked of the database before and after each test, not guessed from fixture names: a worker or
    server fixture can flush tables without the test naming transactional_db, and a module-scoped
    one does so after the last test of its file, before the next file's first test."""
    if "django_db_setup" not in request.fixturenames:
        yield
        return
    reseed_reference_data_if_missing(django_db_blocker)
    yield
    reseed_reference_data_if_missing(django_db_blocker)


def reseed_reference_data_if_missing(django_db_blocker):
    from django.apps import apps

    with django_db_blocker.unblock():
        if not apps.get_model("campaigns", "IntentionCode").objects.exists():
            for module in DATA_MIGRATIONS:
                importlib.import_module(module).seed(apps, None)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with allauth's rate limits unspent: they live in the in-process cache, so the
    walker's sign-in POSTs (10 a minute from 127.0.0.1) otherwise lock the next file's sign-in test out."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas are many; the real hasher is tested by signing in through the browser."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def westland(db):
    return RegionFactory(name="Westland", code="E15000099")


@pytest.fixture
def anytown(westland):
    return make_clp("Anytown", "E14000901", westland)


@pytest.fixture
def otherton(westland):
    return make_clp("Otherton", "E14000902", westland)


@pytest.fixture
def regional_officer(westland):
    return make_persona("regional@westland.example", "Regional Officer", Role.REGIONAL_STAFF, westland)


@pytest.fixture
def anytown_secretary(anytown):
    return anytown.user(Role.CLP_SECRETARY)


@pytest.fixture
def anytown_canvasser(anytown):
    return anytown.user(Role.CANVASSER)


@pytest.fixture
def otherton_secretary(otherton):
    return otherton.user(Role.CLP_SECRETARY)


# --- Real parts: a Celery worker process, an SMTP server, a browser ----------------


BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on localhost that keeps what it receives in `.messages`."""

    def __init__(self):
        self.host, self.port = "127.0.0.1", _free_port()
        self.messages = []
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(_CollectingHandler(self), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def recipients(self):
        return [rcpt for message in self.messages for rcpt in message["rcpt_tos"]]


class _CollectingHandler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        self.server.messages.append(
            {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos), "data": envelope.content}
        )
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """Django's mail (and any worker started after this fixture) sends to this server;
    `.stop()` and `.start()` take it down and bring it back on the same port."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.stop()


@pytest.fixture
def sms_provider(settings, monkeypatch):
    """A local server playing Twilio (tests/sms_provider.py), configured as the SMS provider for
    this process and (through the environment) for a `celery_worker` requested after it."""
    from tests.sms_provider import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio

    fake = FakeTwilio()
    fake.start()
    values = {"SMS_PROVIDER_URL": fake.url, "SMS_ACCOUNT_SID": ACCOUNT_SID, "SMS_AUTH_TOKEN": AUTH_TOKEN}
    for name, value in {**values, "SMS_FROM": FROM, "SMS_TIMEOUT": "1"}.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, int(value) if name == "SMS_TIMEOUT" else value)
    yield fake
    fake.stop()


class CeleryWorker:
    """A real `celery worker` process on the test database and a private broker folder."""

    def __init__(self, env, log_path):
        self.env, self.log_path, self.process = env, log_path, None

    def start(self, timeout=60):
        self.log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "labourhub",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=BASE_DIR,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while "ready." not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            # Prefork workers run tasks in child processes: signal the whole group.
            os.killpg(self.process.pid, sig) if sig == signal.SIGKILL else self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.log.close()

    def kill(self):
        self.stop(signal.SIGKILL)

    def wait_for(self, condition, timeout=60, interval=0.2):
        """Poll `condition()` until true; fail with the worker's log if it never is."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"Timed out waiting; worker log:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(interval)


@pytest.fixture(scope="session", autouse=True)
def private_broker_folder(tmp_path_factory):
    """Tasks queued by tests without a worker go to a throwaway folder, never to the one
    `make run`'s worker reads (it would run them against the development database)."""
    from labourhub.celery import app as celery_app

    if not celery_app.conf.broker_url.startswith("filesystem://"):
        return
    folder = tmp_path_factory.mktemp("unconsumed-broker")
    (folder / "control").mkdir()
    celery_app.conf.broker_transport_options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }
    _reset_broker_connections(celery_app)


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free localhost port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); Redis tests skipped")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def celery_worker(request, transactional_db, tmp_path):
    """Start a real Celery worker for this test. Tasks queued by the test (or by views it calls)
    run there, against the same test database. By default the broker is a private folder (as in
    `make run`); parametrize indirectly with "redis" to use a real Redis. Request `smtp_server`
    before this fixture to have the worker's mail go to it."""
    from django.conf import settings
    from django.db import connection

    from labourhub.celery import app as celery_app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{quote(db['HOST'] or '', safe='')}"
        f"{':' + str(db['PORT']) if db['PORT'] else ''}/{db['NAME']}",
        "EMAIL_HOST": settings.EMAIL_HOST or "127.0.0.1",
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "EMAIL_USE_TLS": "false",
        "EMAIL_USE_SSL": "false",
    }
    previous = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    if getattr(request, "param", "filesystem") == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_server")
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = env["REDIS_URL"], {}
    else:
        broker_dir = tmp_path / "broker"
        for folder in (broker_dir, tmp_path / "broker-control"):
            folder.mkdir()
        env.pop("REDIS_URL", None)
        env["CELERY_BROKER_DIR"] = str(broker_dir)
        celery_app.conf.broker_transport_options = {
            "data_folder_in": str(broker_dir),
            "data_folder_out": str(broker_dir),
            "control_folder": str(tmp_path / "broker-control"),
        }
    _reset_broker_connections(celery_app)
    worker = CeleryWorker(env, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    _reset_broker_connections(celery_app)


def _reset_broker_connections(celery_app):
    """Make the next publish open a connection with the current broker options. kombu keeps
    producer pools in a process-wide registry too, which would hand back the old ones."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@contextmanager
def playwright_for_test(settings, monkeypatch):
    """Playwright and Debian's chromium (its path) for one browser test against the live server
    (plain http, so no secure cookies). Started per test, after the database, so its event loop
    never wraps database setup or teardown."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test body's ORM calls run beside that loop
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as playwright:
        yield playwright, path
        # While Playwright's loop runs in this thread, Django keeps the test body's connection
        # apart from the thread's usual one (asgiref's Local, thread-critical, keys it to the loop):
        # close it here, or it stays open and the test database cannot be dropped at the end.
        connections.close_all()


@pytest.fixture
def browser_context(transactional_db, live_server, settings, monkeypatch):
    """A phone-sized context in Debian's chromium against the live server."""
    with playwright_for_test(settings, monkeypatch) as (playwright, path):
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(15_000)
        yield context
        context.close()
        browser.close()


@pytest.fixture
def browser_page(browser_context):
    return browser_context.new_page()


def sign_in(context, live_server, user):
    """Sign `user` in to a browser context (the sign-in form itself is tested on its own)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

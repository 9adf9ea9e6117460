"""In process: what every signed-in request pays before its view (session, user, the MFA check) and
what a page's grant checks cost, with Django's session store, ModelBackend and the ORM `can` (the
"before") against labourhub.session_auth and the compiled `can` (the "after"), in one run, the two
interleaved so that load on the machine falls on both alike.

    .venv/bin/python tests/perf/profile_signed_in.py [--requests 400] [--profile after|before]

Pages: the signed-in ping (/campaigns/ping.json: nothing but the machinery) and a canvasser's home
page (the ordinary page: ~10 `can` checks). Last line: one JSON object.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    os.execv(sys.executable, [sys.executable, "-m", "tests.perf." + Path(__file__).stem, *sys.argv[1:]])  # noqa: S606

from tests.perf.bootstrap import session_for, setup_django  # noqa: E402

setup_django(
    "profile_signed_in",
    ALLOWED_HOSTS="127.0.0.1,localhost",
    SECURE_SSL_REDIRECT="false",
    STATIC_MANIFEST="false",
)

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from labourhub import scoping  # noqa: E402
from labourhub.models import Role  # noqa: E402
from labourhub.scoping import constituencies_for  # noqa: E402
from tests.factories import ConstituencyFactory, GrantFactory, UserFactory  # noqa: E402

DJANGO = {
    "SESSION_ENGINE": "django.contrib.sessions.backends.db",
    "AUTHENTICATION_BACKENDS": [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
}
COMPILED_CAN = scoping.can.__code__


def orm_can(user, action, constituency=None):
    """scoping.can before: the ORM rule built and compiled on every call. Its code replaces can's
    (callers hold `can` itself, imported by name), so it runs with scoping's globals."""
    allowed = constituencies_for(user, action)
    if constituency is not None:
        allowed = allowed.filter(pk=constituency.pk)
    return allowed.exists()


def _setting(variant):
    scoping.can.__code__ = orm_can.__code__ if variant == "before" else COMPILED_CAN
    return override_settings(**DJANGO) if variant == "before" else override_settings()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--profile", choices=["before", "after"], help="print a cProfile of that variant's home page"
    )
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        canvasser = UserFactory(email="canvasser@profile.example")
        GrantFactory(user=canvasser, role=Role.CANVASSER, constituency=ConstituencyFactory())
        identity = session_for(canvasser)  # names Django's ModelBackend: read by both variants
        clients = {}  # one a variant: a client loads its middleware (the session store) once
        for variant in ("before", "after"):
            clients[variant] = Client(HTTP_HOST="127.0.0.1")
            clients[variant].cookies["sessionid"] = identity["session"]
        pages = {"ping": "/campaigns/ping.json", "home": "/"}
        figures, cpu = {}, {}
        for variant in ("before", "after"):
            with _setting(variant):
                client = clients[variant]
                for name, url in pages.items():
                    for _ in range(20):  # warm: imports, compiled SQL, prepared statements
                        assert client.get(url).status_code == 200
                    with CaptureQueriesContext(connection) as queries:
                        response = client.get(url)
                    assert response.wsgi_request.user == canvasser, (
                        variant,
                        name,
                        response.wsgi_request.user,
                        response.status_code,
                    )
                    figures[f"{name}_statements_{variant}"] = len(queries.captured_queries)
        for _ in range(5):  # rounds: before and after alternate
            for variant in ("before", "after"):
                with _setting(variant):
                    client = clients[variant]
                    for name, url in pages.items():
                        started = time.process_time()
                        for _ in range(args.requests // 5):
                            client.get(url)
                        key = f"{name}_python_cpu_ms_{variant}"
                        cpu[key] = cpu.get(key, 0) + time.process_time() - started
        figures |= {
            key: round(total * 1000 / (args.requests // 5 * 5), 2) for key, total in sorted(cpu.items())
        }
        if args.profile:
            with _setting(args.profile):
                profile = cProfile.Profile(time.process_time)
                profile.enable()
                for _ in range(args.requests):
                    clients[args.profile].get(pages["home"])
                profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
        figures["load_average"] = os.getloadavg()[0]
        print(json.dumps(figures))
    finally:
        scoping.can.__code__ = COMPILED_CAN
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

"""Demo data for the register: about 75,000 synthetic electors in Anytown and 4,000 in Otherton,
loaded through the real importer (Xpress and Halarose files), with postcode locations, a marked
register and postal list for the 2024 general election, a targeting model and some contacts."""

import random
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.utils import timezone

from labourhub.demo import ANYTOWN_CODE, OTHERTON_CODE, demo_user
from labourhub.models import Constituency
from voters.models import Elector, RegisterImport
from voters.register_files import (
    synthetic_people,
    write_absent_voters,
    write_marked_register,
    write_register,
    write_rows,
    write_scores,
)
from voters.services import contact_record, register_import_create, register_import_run

ANYTOWN_ELECTORS = 75_000
OTHERTON_ELECTORS = 4_000
ELECTION = "parl.2024-07-04"
CHANNELS = ["door", "door", "door", "phone", "phone", "sms", "email", "post", "event"]
OUTCOMES = ["spoke", "spoke", "not in", "not in", "refused", "come back later"]


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    otherton = Constituency.objects.get(gss_code=OTHERTON_CODE)
    if Elector.unscoped.filter(polling_district__constituency=anytown).exists():
        stdout.write("Register: already loaded.")
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        anytown_people = list(_people(anytown, ANYTOWN_ELECTORS, "Anytown", "AT", seed=1))
        otherton_people = list(_people(otherton, OTHERTON_ELECTORS, "Otherton", "OT", seed=2))
        _import(
            folder,
            anytown,
            "full",
            write_register(folder / "anytown-register.csv", anytown_people, "xpress14"),
            published_on="2025-12-01",
        )
        _import(
            folder,
            otherton,
            "full",
            write_register(folder / "otherton-register.tsv", otherton_people, "halarose", delimiter="\t"),
            published_on="2025-12-01",
        )
        _import(folder, None, "postcodes", _postcodes_file(folder, anytown_people + otherton_people))
        rng = random.Random(3)
        voted = [p for p in anytown_people if rng.random() < 0.62]
        _import(
            folder, anytown, "marked", write_marked_register(folder / "marked.csv", voted), election=ELECTION
        )
        postal = [p for p in anytown_people if rng.random() < 0.2]
        _import(
            folder,
            anytown,
            "postal",
            write_absent_voters(folder / "avl.csv", postal, proxy_every=40),
            election=ELECTION,
        )
        _import(
            folder,
            anytown,
            "scores",
            write_scores(folder / "scores.csv", anytown_people),
            model="Support and turnout",
            run_on="2026-10-01",
        )
    contacts = _contacts(anytown)
    stdout.write(
        f"Register: {ANYTOWN_ELECTORS} electors in Anytown and {OTHERTON_ELECTORS} in Otherton, postcode "
        f"locations, marked register and postal list for {ELECTION}, a model version, {contacts} contacts "
        f"({time.monotonic() - started:.0f} s)."
    )


def _people(constituency, count, town, area, seed):
    pds = list(constituency.polling_districts.values_list("code", flat=True))
    return synthetic_people(count, pds=pds, town=town, area=area, seed=seed)


def _import(folder, constituency, kind, path, **options):
    with open(path, "rb") as f:
        record = register_import_create(
            constituency=constituency, kind=kind, file=File(f, name=Path(path).name), options=options
        )
    record = register_import_run(register_import=record)
    if record.status != RegisterImport.Status.DONE:
        raise RuntimeError(f"Demo {kind} import was rejected: {record.errors[:5]}")
    return record


def _postcodes_file(folder, people):
    """ONS-style rows for every postcode, scattered around a fictional town centre."""
    rng = random.Random(4)
    postcodes = sorted({p.postcode for p in people if p.postcode})
    centres = {"AT": (52.205, 0.119), "OT": (52.32, 0.05)}
    rows = []
    for postcode in postcodes:
        lat, long = centres[postcode[:2]]
        rows.append(
            [postcode, f"{lat + rng.uniform(-0.03, 0.03):.6f}", f"{long + rng.uniform(-0.05, 0.05):.6f}", ""]
        )
    return write_rows(folder / "onspd.csv", ["pcds", "lat", "long", "doterm"], rows)


def _contacts(constituency):
    """A few hundred contacts over the past months by the demo canvasser and organiser."""
    rng = random.Random(5)
    people = [
        demo_user("canvasser@anytown.demo", "Cal Canvasser"),
        demo_user("organiser@anytown.demo", "Orla Organiser"),
    ]
    electors = list(
        Elector.unscoped.filter(polling_district__constituency=constituency, on_register=True).order_by("pk")[
            :20_000:40
        ]
    )
    now, made = timezone.now(), 0
    for elector in electors:
        for _ in range(rng.randint(1, 3)):
            made += 1
            contact_record(
                elector=elector,
                channel=rng.choice(CHANNELS),
                user=rng.choice(people),
                at=now - timezone.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600)),
                outcome=rng.choice(OUTCOMES),
                campaign_label="Autumn 2026 canvass",
                source="demo",
            )
    return made

"""Synthetic registers written as councils write them, for tests, benchmarks and demo data.

    people = list(synthetic_people(80_000, pds=["AC1", "AC2"], town="Anytown"))
    write_register(path, people, "xpress14", encoding="cp1252", delimiter="\\t", newline="\\r\\n")
    write_update(path, [(ADD, person), (DELETE, other)], "idox_update")

Every quirk of DOMAIN.md §1 can be switched on: tab or comma, windows-1252 or UTF-8 with or
without BOM, CRLF, non-breaking spaces, the postcode repeated as the last address line,
suffixed and hyphenated elector numbers, '(z) ' opt-out prefixes, attainers, markers.
"""

import csv
import dataclasses
import datetime
import random
import string

FIRST_NAMES = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Noah",
    "Leo",
    "Arthur",
    "Muhammad",
    "Oscar",
    "Charlie",
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Sophia",
    "Grace",
    "Freya",
    "Aisha",
    "Priya",
    "Tomasz",
    "Zoë",
    "Renée",
    "Siobhán",
    "Seán",
    "Chidi",
    "Kwame",
    "Mei",
    "Anil",
    "Bronwen",
    "Rhys",
    "Eilidh",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "O'Brien",
    "Smith-Jones",
    "Nowak",
]
STREET_NAMES = [
    "High",
    "Church",
    "Station",
    "Victoria",
    "Green",
    "Manor",
    "Park",
    "Queens",
    "Kings",
    "Grange",
    "Mill",
    "Springfield",
    "Windsor",
    "Chapel",
    "Alexandra",
    "Albert",
    "Orchard",
    "Meadow",
    "Willow",
    "Beech",
    "Oak",
    "Cedar",
    "Elm",
    "Ash",
    "Holly",
    "Rose",
    "Forest",
    "Hill",
    "Bridge",
    "Castle",
    "River",
    "Market",
    "North",
    "South",
    "West",
    "East",
    "New",
    "School",
    "York",
    "Cambridge",
    "Richmond",
    "Stanley",
]
STREET_KINDS = [
    "Street",
    "Road",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Gardens",
    "Crescent",
    "Place",
    "Terrace",
    "Grove",
]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", ""]
LETTERS = string.ascii_uppercase


@dataclasses.dataclass
class Person:
    pd: str
    number: int
    suffix: int
    title: str
    first_names: str
    surname: str
    markers: str = ""
    attainment: datetime.date | None = None
    opted_out: bool = False
    lines: list = dataclasses.field(default_factory=list)
    postcode: str = ""

    @property
    def elector_number(self):
        return f"{self.pd}-{self.number}/{self.suffix}" if self.suffix else f"{self.pd}-{self.number}"


def postcode_for(index, area="AT"):
    """A distinct, valid-looking postcode for each street index."""
    return (
        f"{area}{index // 6760 % 99 + 1} {index // 676 % 10}{LETTERS[index // 26 % 26]}{LETTERS[index % 26]}"
    )


def synthetic_people(count, *, pds, town="Anytown", seed=1, area="AT", today=None):
    """`count` electors spread evenly over the polling districts, in households of 1 to 4,
    numbered within each district, with realistic markers, attainers and opt-outs."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    per_pd = -(-count // len(pds))
    made, street_index = 0, seed * 7919 % 50_000
    for pd in pds:
        number, suffix, in_pd = 0, 0, 0
        while in_pd < per_pd and made < count:
            street_index += 1
            street = f"{STREET_NAMES[street_index % len(STREET_NAMES)]} {STREET_KINDS[street_index // len(STREET_NAMES) % len(STREET_KINDS)]}"
            postcode = postcode_for(street_index, area)
            for house in range(1, rng.randint(20, 120)):
                if in_pd >= per_pd or made >= count:
                    break
                if rng.random() < 0.1:
                    lines = [f"Flat {rng.randint(1, 9)}", f"{house} {street}", town]
                else:
                    lines = [f"{house} {street}", town]
                family = rng.choice(SURNAMES)
                for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
                    if in_pd >= per_pd or made >= count:
                        break
                    number += 1
                    if rng.random() < 0.02 and number > 1 and not suffix:
                        number, suffix = number - 1, 1  # added after publication: previous number /1
                    else:
                        suffix = 0
                    person = Person(
                        pd=pd,
                        number=number,
                        suffix=suffix,
                        title=rng.choice(TITLES),
                        first_names=f"{rng.choice(FIRST_NAMES)} {rng.choice(FIRST_NAMES)}"
                        if rng.random() < 0.3
                        else rng.choice(FIRST_NAMES),
                        surname=family if rng.random() < 0.8 else rng.choice(SURNAMES),
                        lines=list(lines),
                        postcode=postcode,
                    )
                    roll = rng.random()
                    if roll < 0.02:
                        person.markers = "G"
                    elif roll < 0.025:
                        person.markers = "E"
                    elif roll < 0.03:
                        person.markers = "F"
                        person.lines, person.postcode = [], ""
                    if rng.random() < 0.015:
                        person.attainment = today + datetime.timedelta(days=rng.randint(1, 360))
                    if rng.random() < 0.04:
                        person.opted_out = True
                    made += 1
                    in_pd += 1
                    yield person


# --- writing files in each layout ---------------------------------------------------------


def _split_pd_number(person):
    return person.pd, str(person.number), str(person.suffix) if person.suffix else ""


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def _lines(person, count, repeat_postcode):
    lines = list(person.lines)
    if repeat_postcode and person.postcode:
        lines.append(person.postcode)
    return (lines + [""] * count)[:count]


def _xpress_markers(person):
    return person.markers + ("Z" if person.opted_out else "")


def _xpress14(person, quirks):
    prefix, number, suffix = _split_pd_number(person)
    return [
        prefix,
        number,
        suffix,
        _xpress_markers(person),
        _date(person.attainment),
        person.surname,
        person.first_names,
        person.postcode,
        *_lines(person, 6, quirks["repeat_postcode"]),
    ]


def _xpress13(person, quirks):
    row = _xpress14(person, quirks)
    return [*row[:5], f"{person.surname} {person.first_names}", *row[7:]]


def _idox(person, quirks):
    surname = f"(z) {person.surname}" if person.opted_out else person.surname
    return [
        person.pd,
        str(person.number),
        str(person.suffix) if person.suffix else "",
        person.markers,
        _date(person.attainment),
        surname,
        person.first_names,
        *_lines(person, 6, quirks["repeat_postcode"]),
        person.postcode,
    ]


def _halarose(person, quirks, status=""):
    initials = "".join(name[0] for name in person.first_names.split())
    return [
        person.pd,
        str(person.number),
        status,
        person.title,
        person.first_names,
        initials,
        person.surname,
        str(person.suffix),
        _date(person.attainment),
        person.markers,
        *_lines(person, 9, quirks["repeat_postcode"]),
        person.postcode,
        "Y" if person.opted_out else "N",
    ]


LAYOUTS = {
    "xpress14": (
        [
            "Elector Number Prefix",
            "Elector Number",
            "Elector Number Suffix",
            "Elector Markers",
            "Elector DOB",
            "Elector Surname",
            "Elector Forename",
            "PostCode",
            *[f"Address{n}" for n in range(1, 7)],
        ],
        _xpress14,
    ),
    "xpress13": (
        [
            "Elector Number Prefix",
            "Elector Number",
            "Elector Number Suffix",
            "Elector Markers",
            "Elector DOB",
            "Elector Name",
            "PostCode",
            *[f"Address{n}" for n in range(1, 7)],
        ],
        _xpress13,
    ),
    "idox": (
        [
            "PD",
            "ENO",
            "Suffix",
            "Flags",
            "Attainment Date",
            "Surname",
            "Forenames",
            *[f"Address {n}" for n in range(1, 7)],
            "Postcode",
        ],
        _idox,
    ),
    "halarose": (
        [
            "PD",
            "ENO",
            "Status",
            "Title",
            "First Names",
            "Initials",
            "Surname",
            "Suffix",
            "Date of Attainment",
            "Franchise Flag",
            *[f"Address {n}" for n in range(1, 10)],
            "Postcode",
            "Opt Out",
        ],
        _halarose,
    ),
}
FORMATS = tuple(LAYOUTS)


def _writer(f, delimiter, newline):
    return csv.writer(f, delimiter=delimiter, lineterminator=newline)


def _nbsp(row):
    return [value.replace(" ", "\xa0", 1) if " " in value else value for value in row]


def write_rows(path, header, rows, *, encoding="utf-8", delimiter=",", newline="\n", nbsp=False):
    with open(path, "w", encoding=encoding, errors="replace", newline="") as f:
        writer = _writer(f, delimiter, newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow(_nbsp(row) if nbsp else row)
    return path


def write_register(path, people, fmt="xpress14", *, repeat_postcode=False, **options):
    """A full register in one of FORMATS. Options: encoding, delimiter, newline, nbsp."""
    header, to_row = LAYOUTS[fmt]
    quirks = {"repeat_postcode": repeat_postcode}
    return write_rows(path, header, (to_row(p, quirks) for p in people), **options)


ADD, CHANGE, DELETE = "add", "change", "delete"
_IDOX_SIGN = {ADD: "+", DELETE: "-", CHANGE: "="}
_HALAROSE_STATUS = {ADD: "A", DELETE: "D", CHANGE: "M"}


def write_update(path, changes, fmt="xpress_update", *, month="Jan", **options):
    """A monthly update: `changes` is [(ADD | CHANGE | DELETE, person)] (or (action, person, months)
    for Xpress, where months is (created, changed, deleted) written as given)."""
    quirks = {"repeat_postcode": False}
    if fmt == "idox_update":
        header = [*LAYOUTS["idox"][0], "Change"]
        rows = ([*_idox(p, quirks), f"{_IDOX_SIGN[a]}{month}"] for a, p, *_ in changes)
    elif fmt == "halarose_update":
        header = LAYOUTS["halarose"][0]
        rows = (_halarose(p, quirks, _HALAROSE_STATUS[a]) for a, p, *_ in changes)
    else:
        header = [
            "ElectorNumber",
            "ElectorForename",
            "ElectorSurname",
            "ElectorDOB",
            "ElectorCreatedMonth",
            "ElectorChangedMonth",
            "ElectorDeletedMonth",
            "MarkersRegisterText",
            *[f"PropertyAddress{n}" for n in range(1, 6)],
            "PropertyPostCode",
        ]
        rows = (_xpress_update(action, person, *months) for action, person, *months in changes)
    return write_rows(path, header, rows, **options)


def _xpress_update(action, person, months=None):
    stamp = "2026-01"
    created, changed, deleted = months or (
        stamp if action == ADD else "0",
        stamp if action == CHANGE else "0",
        stamp if action == DELETE else "0",
    )
    return [
        person.elector_number,
        person.first_names,
        person.surname,
        _date(person.attainment),
        created,
        changed,
        deleted,
        _xpress_markers(person),
        *_lines(person, 5, False),
        person.postcode,
    ]


def write_absent_voters(path, people, *, proxy_every=0, **options):
    """A postal/proxy voters list (or, with proxy_every=0 and no type, a marked register)."""
    rows = (
        [p.elector_number, p.surname, "Proxy" if proxy_every and i % proxy_every == 0 else "Postal"]
        for i, p in enumerate(people, start=1)
    )
    return write_rows(path, ["Elector Number", "Surname", "Absent Type"], rows, **options)


def write_marked_register(path, people, **options):
    return write_rows(path, ["Elector Number"], ([p.elector_number] for p in people), **options)


def write_scores(path, people, names=("support", "turnout"), *, seed=1, **options):
    rng = random.Random(seed)
    rows = ([p.elector_number, *(f"{rng.random():.4f}" for _ in names)] for p in people)
    return write_rows(path, ["Elector Number", *names], rows, **options)

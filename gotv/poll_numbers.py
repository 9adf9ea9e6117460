"""Poll numbers as tellers type them from poll cards, and what they name in an election's register.

Accepted forms (DOMAIN.md §1 and §3): ``888``, ``888/8``, ``888.8``, ``AB1-888``, ``AB1-888/2``,
``AB1 888``, and prefixes with hyphens or slashes of their own (``KD-2/2-289/1``). A suffix of 0
is the same as none. Without a prefix the box says which districts to look in.
"""

import re
from dataclasses import dataclass

from labourhub.models import PollingDistrict
from voters.models import RegisterEntry

MAX_NUMBER = 99999
MAX_SUFFIX = 999

# A prefix (if any) is everything before the last separator that is followed by the number.
_POLL_NUMBER_RE = re.compile(
    r"^(?:(?P<prefix>(?=[A-Z0-9/.\-]*[A-Z])[A-Z0-9][A-Z0-9/.\-]*?)\s*[-\s]\s*)?(?P<number>\d+)(?:\s*[/.]\s*(?P<suffix>\d+))?$"
)
EXAMPLES = "e.g. 888, 888/8 or AB1-888"


class PollNumberError(ValueError):
    """The text is not a poll number; the message says why, for the teller's screen."""


@dataclass(frozen=True)
class PollNumber:
    prefix: str  # polling district code as typed, upper case; "" when none
    number: int
    suffix: int = 0

    def __str__(self):
        tail = f"/{self.suffix}" if self.suffix else ""
        return f"{self.prefix}-{self.number}{tail}" if self.prefix else f"{self.number}{tail}"


def parse_poll_number(raw):
    """`raw` as typed -> PollNumber, or PollNumberError saying what is wrong with it."""
    if not isinstance(raw, str):
        raise PollNumberError(f"A poll number is text, {EXAMPLES}.")
    text = " ".join(raw.replace("\u00a0", " ").split()).upper()
    if not text:
        raise PollNumberError(f"Type the number from the poll card, {EXAMPLES}.")
    if len(text) > 40:
        raise PollNumberError(f"{text[:40]!r}... is too long for a poll number ({EXAMPLES}).")
    match = _POLL_NUMBER_RE.match(text)
    if match is None:
        number_part = text.rsplit("-", 1)[-1]
        if (
            re.search(r"[A-Z]", number_part)
            and re.search(r"\d", number_part)
            and ("-" in text or text[0].isdigit())
        ):
            raise PollNumberError(f"{raw.strip()!r} has letters in the number: {EXAMPLES}.")
        raise PollNumberError(f"{raw.strip()!r} is not a poll number: {EXAMPLES}.")
    number = int(match["number"])
    suffix = int(match["suffix"]) if match["suffix"] is not None else 0
    if not 1 <= number <= MAX_NUMBER:
        raise PollNumberError(f"{raw.strip()!r}: poll numbers run from 1 to {MAX_NUMBER}.")
    if suffix > MAX_SUFFIX:
        raise PollNumberError(f"{raw.strip()!r}: the part after / is at most {MAX_SUFFIX}.")
    return PollNumber(prefix=match["prefix"] or "", number=number, suffix=suffix)


@dataclass(frozen=True)
class Resolution:
    """What a poll number names at a box. `status` is one of FOUND, NOT_ON_BOX, UNKNOWN, AMBIGUOUS."""

    status: str
    message: str
    entry: object = None  # the RegisterEntry (with .elector and .polling_district) when found

    FOUND = "found"
    NOT_ON_BOX = "not_on_box"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class BoxDistricts:
    """The districts a teller at `box` tells for: its own, and at a co-located box every box of
    the station (one entrance). `ranges` maps district id to (first, last) number or None."""

    codes: dict  # polling district id -> code
    ranges: dict
    all_codes: dict = None  # normalised code -> [district ids] for the election's constituency

    @classmethod
    def of(cls, box):
        from gotv.models import BallotBoxDistrict

        links = BallotBoxDistrict.objects.select_related("polling_district")
        links = links.filter(box__station=box.station_id) if box.co_located else links.filter(box=box)
        districts = PollingDistrict.objects.filter(constituency__elections=box.election_id)
        return cls.build(
            ((link.polling_district_id, link.polling_district.code, link.first_number, link.last_number)
             for link in links),
            districts.values_list("pk", "code"),
        )  # fmt: skip

    @classmethod
    def build(cls, links, districts):
        """From the box's links as (district id, code, first number, last number) and the
        constituency's districts as (id, code): `of` reads them with the ORM, gotv.telling_sql in
        the one statement that also reads the box."""
        codes, ranges = {}, {}
        for pd, code, first, last in links:
            codes[pd] = code
            bounds = (first or 1, last or MAX_NUMBER)
            if first is None and last is None:
                bounds = None
            if pd in ranges and (ranges[pd] is None or bounds is None):
                ranges[pd] = None  # served whole by one of the boxes
            elif pd in ranges:
                ranges[pd] = (min(ranges[pd][0], bounds[0]), max(ranges[pd][1], bounds[1]))
            else:
                ranges[pd] = bounds
        all_codes = {}
        for pk, code in districts:
            all_codes.setdefault(_code_key(code), []).append(pk)
        return cls(codes, ranges, all_codes)

    def covers(self, entry):
        if entry.polling_district_id not in self.codes:
            return False
        bounds = self.ranges[entry.polling_district_id]
        return bounds is None or bounds[0] <= entry.elector_number <= bounds[1]

    @property
    def label(self):
        return ", ".join(sorted(self.codes.values())) or "no districts"


def _code_key(code):
    """District codes compared without case and with '.' and '-' taken as the same."""
    return code.upper().replace(".", "-").replace(" ", "")


def districts_to_search(*, election, box_districts, number):
    """The districts whose entries `number` may name: the one its prefix names (any district of the
    election's constituency, so a number from another box says so) or, without a prefix, the box's.
    A Resolution (UNKNOWN) instead when the prefix is no district there."""
    if not number.prefix:
        return list(box_districts.codes)
    wanted = _code_key(number.prefix)
    if box_districts.all_codes is not None:
        districts = box_districts.all_codes.get(wanted, [])
    else:
        rows = PollingDistrict.objects.filter(constituency_id=election.constituency_id).values_list(
            "pk", "code"
        )
        districts = [pk for pk, code in rows if _code_key(code) == wanted]
    if not districts:
        return Resolution(
            Resolution.UNKNOWN, f"{number}: there is no polling district {number.prefix} in this election."
        )
    return districts


def resolution_of(*, entries, box_districts, number, code_of=lambda entry: entry.polling_district.code):
    """What `number` names at the box, given the publication's `entries` with that number and
    suffix in `districts_to_search` (in id order). With a prefix the first entry decides; without
    one, exactly one entry the box covers. gotv.telling_sql's statement makes the same choice."""
    if number.prefix:
        entry = entries[0] if entries else None
        if entry is None:
            return Resolution(Resolution.UNKNOWN, f"No {number} on the register this election uses.")
        if not box_districts.covers(entry):
            return Resolution(
                Resolution.NOT_ON_BOX,
                f"{number} is on {code_of(entry)}'s register, not this box's "
                f"({box_districts.label}). Check the card or the box.",
                entry,
            )
        return Resolution(Resolution.FOUND, "", entry)
    candidates = [e for e in entries if box_districts.covers(e)]
    if len(candidates) == 1:
        return Resolution(Resolution.FOUND, "", candidates[0])
    if len(candidates) > 1:
        codes = ", ".join(sorted(code_of(e) for e in candidates))
        example = f"{code_of(candidates[0])}-{number}"
        return Resolution(
            Resolution.AMBIGUOUS, f"{number} is in {codes}: type it with the district, e.g. {example}."
        )
    return Resolution(Resolution.NOT_ON_BOX, f"No {number} on this box's register ({box_districts.label}).")


def resolve_poll_number(*, election, box_districts, number):
    """Find `number` (a PollNumber) in the election's register publication, for a teller whose box
    serves `box_districts`. Never today's numbering: only entries of `election.publication`.
    Each look-up is one probe of the entries' (publication, district, number, suffix) index."""
    districts = districts_to_search(election=election, box_districts=box_districts, number=number)
    if isinstance(districts, Resolution):
        return districts
    entries = RegisterEntry.unscoped.filter(
        publication_id=election.publication_id,
        elector_number=number.number,
        elector_suffix=number.suffix,
        polling_district_id__in=districts,
    ).select_related("elector", "polling_district")
    return resolution_of(entries=list(entries.order_by("pk")), box_districts=box_districts, number=number)

"""Seed the reference tables (DOMAIN.md §3). Offices may add, relabel or retire rows later;
codes are never deleted, so old answers keep their meaning."""

from django.db import migrations

# code, label, is_party, takes_strength, is_ours, colour
INTENTIONS = [
    ("L", "Labour", True, True, True, "#e4003b"),
    ("T", "Conservative", True, True, False, "#0087dc"),
    ("LD", "Liberal Democrat", True, True, False, "#faa61a"),
    ("G", "Green", True, True, False, "#02a95b"),
    ("SNP", "Scottish National Party", True, True, False, "#fdf38e"),
    ("PC", "Plaid Cymru", True, True, False, "#005b54"),
    ("R", "Reform", True, True, False, "#12b6cf"),
    ("O", "Other", True, True, False, "#999999"),
    ("D", "Don't know", False, False, False, "#cccccc"),
    ("W", "Won't vote", False, False, False, "#666666"),
    ("A", "Against / won't say", False, False, False, "#333333"),
]

# code, label, channel, spoke, review, try_again
OUTCOMES = [
    ("spoke", "Spoke", "door", True, "", False),
    ("not_in", "Not in", "door", False, "", True),
    ("refused", "Refused", "door", False, "", False),
    ("moved", "Moved away", "door", False, "moved", False),
    ("deceased", "Deceased", "door", False, "deceased", False),
    ("wrong_address", "Wrong address", "door", False, "wrong_address", False),
    ("do_not_knock", "Do not knock", "door", False, "do_not_knock", False),
    ("come_back", "Come back later", "door", False, "", True),
    ("answered", "Answered", "phone", True, "", False),
    ("no_answer", "No answer", "phone", False, "", True),
    ("wrong_number", "Wrong number", "phone", False, "wrong_number", False),
    ("call_back", "Call back later", "phone", False, "", True),
    ("refused_call", "Refused", "phone", False, "", False),
]

ISSUES = [
    ("cost-of-living", "Cost of living"),
    ("nhs", "NHS and health"),
    ("housing", "Housing"),
    ("crime", "Crime and policing"),
    ("schools", "Schools"),
    ("roads", "Roads and potholes"),
    ("bins", "Bins and street cleaning"),
    ("transport", "Buses and trains"),
    ("environment", "Environment"),
    ("immigration", "Immigration"),
    ("jobs", "Jobs and wages"),
    ("social-care", "Social care"),
]


def seed(apps, schema_editor):
    IntentionCode = apps.get_model("campaigns", "IntentionCode")
    DoorOutcome = apps.get_model("campaigns", "DoorOutcome")
    Issue = apps.get_model("campaigns", "Issue")
    for position, (code, label, is_party, strength, ours, colour) in enumerate(INTENTIONS):
        IntentionCode.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "is_party": is_party,
                "takes_strength": strength,
                "is_ours": ours,
                "colour": colour,
                "position": position,
            },
        )
    for position, (code, label, channel, spoke, review, try_again) in enumerate(OUTCOMES):
        DoorOutcome.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "channel": channel,
                "spoke": spoke,
                "review": review,
                "try_again": try_again,
                "position": position,
            },
        )
    for position, (code, label) in enumerate(ISSUES):
        Issue.objects.update_or_create(code=code, defaults={"label": label, "position": position})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

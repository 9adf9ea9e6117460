"""The contact-frequency rule is ONE rule (issue #14 item 6): only voters/contact_rule.py reads a
CLP's quiet periods (ContactRule) to decide who may be contacted. Anything else that read them
would be a second rule, bound to drift from the first."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["labourhub", "voters", "members", "campaigns", "gotv", "access", "casework"]
# Where ContactRule may be named: its model, the one rule, the service that sets it, its admin.
ALLOWED = {"voters/models.py", "voters/contact_rule.py", "voters/services.py", "voters/admin.py"}


def readers_of_the_rule(root: Path) -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "/migrations/" in relative or relative in ALLOWED:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
            names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
            if names & {"ContactRule", "DEFAULT_QUIET_DAYS"}:
                found.append(relative)
    return found


def test_only_contact_rule_reads_the_quiet_periods():
    assert readers_of_the_rule(ROOT) == []


def test_the_check_sees_a_second_rule(tmp_path):
    """Self-test: a module elsewhere that reads ContactRule is reported."""
    for app in APPS:
        (tmp_path / app).mkdir()
    (tmp_path / "members" / "own_rule.py").write_text(
        "from voters.models import ContactRule\n\ndays = ContactRule.objects.first().quiet_days\n"
    )
    assert readers_of_the_rule(tmp_path) == ["members/own_rule.py"]

from django.apps import AppConfig


def _works_in_an_office(user):
    """Caseworkers with a membership of an office in force: everyone else has no casework page."""
    from casework.models import OfficeMembership

    return OfficeMembership.objects.in_force_for(user).exists()


def _operator(user):
    return user.is_superuser


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"
    home_links = [
        ("casework:my_cases", "Casework: my cases and the office's cases", _works_in_an_office),
        ("casework:counts", "Casework: cases per office (counts only)", _operator),
    ]

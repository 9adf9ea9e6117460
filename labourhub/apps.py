from django.apps import AppConfig


class LabourhubConfig(AppConfig):
    name = "labourhub"
    verbose_name = "The party"
    # Each app lists what its pages offer: (url name, label, scoping action). The home page
    # shows a link when the user may do that action somewhere.
    home_links = [
        ("admin:index", "Office admin", "use_admin"),
    ]

    def ready(self):
        from django.core import checks

        checks.register(_database_owner_check, checks.Tags.security, deploy=True)


def _database_owner_check(app_configs, **kwargs):
    from django.conf import settings
    from django.core.checks import Warning

    if settings.DATABASE_OWNER:
        return []
    return [
        Warning(
            "DATABASE_OWNER_URL is not set, so the application connects as the owner of its tables "
            "and could erase the audit log.",
            hint="Set DATABASE_URL to a role that owns nothing and DATABASE_OWNER_URL to the owner's "
            "(README, Security); `migrate` grants the application's role what it needs.",
            id="labourhub.W001",
        )
    ]

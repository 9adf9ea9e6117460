from django.apps import AppConfig


class LabourhubConfig(AppConfig):
    name = "labourhub"
    verbose_name = "The party"
    # Each app lists what its pages offer: (url name, label, scoping action). The home page
    # shows a link when the user may do that action somewhere.
    home_links = [
        ("admin:index", "Office admin", "use_admin"),
    ]

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"
    home_links = [
        ("members:list", "Members", "view_members"),
        ("members:emails", "Email members", "manage_members"),
        ("members:volunteers", "Volunteers", "view_members"),
        ("members:import_upload", "Import members", "manage_members"),
        ("members:me", "My membership", None),
    ]

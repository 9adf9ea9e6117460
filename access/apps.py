from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access"
    home_links = [
        ("access:index", "Access to tools: ask, follow, see who holds what", None),
        ("access:endorser_queue", "Endorse access requests", "endorse_access"),
        ("access:reviewer_queue", "Review access requests", "review_access"),
    ]

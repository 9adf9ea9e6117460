from django.apps import AppConfig


def _drives(user):
    """Drivers have a page of their own; for everyone else the link leads to nothing."""
    from gotv.home import drives

    return drives(user)


class GotvConfig(AppConfig):
    name = "gotv"
    verbose_name = "Polling day"
    home_links = [
        ("gotv:index", "Polling day: elections, boards, lifts and the postal chase", "tell"),
        ("gotv:telling_home", "Polling day: tell at a polling station", "tell"),
        # Drivers may be tellers or canvassers (or neither, with a Driver row naming their login):
        # the page shows only lifts given to them.
        ("gotv:my_lifts", "Polling day: my lifts (drivers)", _drives),
    ]

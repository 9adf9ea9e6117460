from django.apps import AppConfig


def _endorses(user):
    """Endorsers are those a tool names (its endorser roles); the queue is refused to anyone else."""
    from access import deciders

    return deciders.endorser_queue(user) is not None


def _reviews(user):
    from access import deciders

    return deciders.reviewer_queue(user) is not None


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access"
    home_links = [
        ("access:index", "Access to tools: ask, follow, see who holds what", None),
        ("access:endorser_queue", "Endorse access requests", _endorses),
        ("access:reviewer_queue", "Review access requests", _reviews),
    ]

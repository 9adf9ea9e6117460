from labourhub.models import Role
from labourhub.webhooks import services
from labourhub.webhooks.models import EventType


def subscribe(clp, url, events=tuple(EventType.values[:-1]), role=Role.CLP_SECRETARY, name=None):
    """A subscription of `clp`'s user with `role` to `events` (every type but ping by default):
    (subscription, secret). Through the service, so the same checks apply."""
    return services.subscription_create(
        user=clp.user(role),
        constituency=clp.constituency,
        name=name or f"{clp.constituency.name} integration",
        url=url,
        event_types=list(events),
    )

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


def subscription_made(clp, url="https://hooks.example/in", events=(EventType.CONTACT_RECORDED,), name=None):
    """A subscription written directly (no address check: the walker runs without DNS), owned by
    `clp`'s secretary; for pages and walks. The services are tested on their own."""
    from labourhub.webhooks.models import Subscription

    return Subscription.unscoped.create(
        constituency=clp.constituency,
        owner=clp.user(Role.CLP_SECRETARY),
        name=name or f"{clp.constituency.name} integration",
        url=url,
        event_types=list(events),
        secret_encrypted=services._fernet().encrypt(b"whsec_test").decode("ascii"),
    )

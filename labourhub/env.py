"""Strict readers for environment variables.

Every setting that comes from the environment is read through one of these, so
a bad value stops start-up with a message naming the variable and the problem.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNSET = object()


def _raw(name, default):
    value = os.environ.get(name)
    if value is None:
        if default is _UNSET:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return None
    return value.strip()


def env_str(name, default=_UNSET):
    value = _raw(name, default)
    return default if value is None else value


def env_bool(name, default=_UNSET):
    value = _raw(name, default)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name} must be true or false (1/0, yes/no), got {value!r}."
    )


def env_int(name, default=_UNSET, *, minimum=None, maximum=None):
    value = _raw(name, default)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a whole number, got {value!r}."
        ) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(
            f"Environment variable {name} must be between {minimum} and {maximum}, got {number}."
        )
    return number


def env_list(name, default=_UNSET):
    """A comma-separated list; empty items are dropped."""
    value = _raw(name, default)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name, default=_UNSET, *, schemes):
    value = _raw(name, default)
    if value is None or value == "":
        return default
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a URL starting with one of "
            f"{', '.join(s + '://' for s in schemes)}, got {value.split('@')[-1]!r}."
        )
    return value

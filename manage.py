#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labourhub.settings")
    # After `make run`, its development settings (DEBUG on) for the README's commands; the
    # environment wins, and nothing but manage.py reads them (labourhub/dev_env.py).
    from labourhub.dev_env import dev_env_load

    dev_env_load()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

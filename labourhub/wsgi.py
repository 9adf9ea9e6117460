import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labourhub.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 -- import every view module now, before the freeze below

# What start-up loaded (Django, the apps' modules, the URLconf: ~190,000 objects) lives as long as
# the process, so it is moved out of the garbage collector's sight: otherwise every full collection
# walks all of it, and the request that triggers one (every ten or so on the events list) took
# ~150 ms more CPU (tests/perf/bench_events.py: p95 211 ms against a median of 85). Objects made
# by requests are still collected as before.
gc.freeze()

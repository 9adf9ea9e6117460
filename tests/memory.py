"""Bounded-memory checks for tests: `with memory_bound(mb) as peak:` measures how far the resident
memory of this process rises above where it started, and stops the work (raises MemoryBoundExceeded
in the main thread) as soon as it passes the bound, so a regression fails fast instead of taking the
machine down with it.

The peak is the kernel's high-water mark (VmHWM, reset through /proc/self/clear_refs), so a short
spike between two samples still counts; a thread samples VmRSS every few milliseconds to stop runaway
work early.
"""

import contextlib
import re
import signal
import threading
from dataclasses import dataclass

MB = 1024 * 1024


class MemoryBoundExceeded(AssertionError):
    pass


def _status(field):
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)[1]) * 1024


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@dataclass
class Peak:
    start: int = 0
    sampled: int = 0
    exact: bool = False

    @property
    def rise(self):
        """Bytes the process's resident memory rose above its start, at most."""
        peak = max(self.sampled, _status("VmHWM") if self.exact else 0)
        return max(peak - self.start, 0)

    @property
    def rise_mb(self):
        return round(self.rise / MB, 1)


@contextlib.contextmanager
def memory_bound(limit_mb, interval=0.005):
    peak = Peak(exact=_reset_peak())
    peak.start = peak.sampled = _status("VmRSS")
    limit = peak.start + limit_mb * MB
    main = threading.main_thread().ident
    stop = threading.Event()
    tripped = []

    def on_signal(signum, frame):
        raise MemoryBoundExceeded(f"memory rose more than {limit_mb} MB (stopped at {peak.rise_mb} MB)")

    def watch():
        while not stop.wait(interval):
            rss = _status("VmRSS")
            peak.sampled = max(peak.sampled, rss)
            if rss > limit and not tripped:
                tripped.append(rss)
                signal.pthread_kill(main, signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, on_signal)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield peak
    finally:
        stop.set()
        watcher.join()
        signal.signal(signal.SIGUSR1, previous)
    assert peak.rise <= limit_mb * MB, f"memory rose {peak.rise_mb} MB, more than {limit_mb} MB"

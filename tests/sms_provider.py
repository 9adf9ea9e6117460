"""A local HTTP server playing Twilio's Messages API, for the SMS tests (labourhub/sms.py): it
records every request (path, headers, form fields) and answers as Twilio does, or as a test
scripts it (an error, a 5xx, no answer in time)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM = "+447700900001"


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple] = []  # answers to give before the default one, in order
        self._sids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
                    answer = fake.script.pop(0) if fake.script else ("ok",)
                if answer[0] == "timeout":
                    time.sleep(answer[1])
                    return
                if answer[0] == "error":
                    status, body = answer[1], answer[2]
                else:
                    status, body = 201, {"sid": f"SM{next(fake._sids):032x}", "status": "queued"}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent(self) -> list[dict]:
        """The form fields of every request that was answered as accepted... and of every other."""
        return [r["form"] for r in self.requests]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)

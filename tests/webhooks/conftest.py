"""A real local HTTP receiver for webhooks: a threaded http.server recording every request."""

import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: names are case-insensitive
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    """`url` takes POSTs; `received` lists them; `answers` (status codes) are used up in order,
    then 200; `stop()` takes it down (connection refused), `start()` brings it back on the same port."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.hold = threading.Event()  # cleared: requests wait for it before answering
        self.hold.set()
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, self.headers, body))  # case-insensitive
                receiver.hold.wait(timeout=30)
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"receiver says no")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver().start()
    yield receiver
    receiver.stop()

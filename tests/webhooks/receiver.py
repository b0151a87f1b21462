"""A real HTTP receiver on loopback that checks each delivery with the standardwebhooks library."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    payload: Any = None
    verified_with: list[str] = field(default_factory=list)


class Receiver:
    """Answers each POST with the next scripted status (then 200) and records what came."""

    def __init__(self, replies: list[int] | None = None, redirect_to: str = "") -> None:
        self.replies = list(replies or [])
        self.redirect_to = redirect_to
        self.secrets: list[str] = []
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                item = Received(headers=dict(self.headers.items()), body=body)
                for secret in receiver.secrets:
                    try:
                        item.payload = Webhook(secret).verify(body, item.headers)
                        item.verified_with.append(secret)
                    except WebhookVerificationError:
                        pass
                with receiver.lock:
                    receiver.received.append(item)
                    status = receiver.replies.pop(0) if receiver.replies else 200
                self.send_response(status)
                if receiver.redirect_to and 300 <= status < 400:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [item.payload["type"] for item in self.received if item.payload]

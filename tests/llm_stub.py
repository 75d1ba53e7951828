"""An OpenAI-compatible chat server on 127.0.0.1 for tests: scripted replies, recorded requests.

mem reaches it through litellm for real (`openai/<name>` + `api_base`), so the tests cover the
HTTP round trip, litellm's parsing and our error mapping without patching anything.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """One scripted answer. `status` other than 200 sends an OpenAI-style error body (with
    `content` as its message); `delay` seconds of silence before answering simulates a hang."""

    content: str = ""
    status: int = 200
    prompt_tokens: int = 100
    completion_tokens: int = 20
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def answer(text: str, citations: list[int], **usage: Any) -> Reply:
    """A well-formed structured answer, as `mem ask` asks for it."""
    return Reply(json.dumps({"answer": text, "citations": citations}), **usage)


class StubServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Reply] = []
        self.default = Reply(json.dumps({"answer": "OK", "citations": []}))
        # When set, answers every request the script does not: a model that reads its prompt.
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.pop(0)
        return self.responder(body) if self.responder else self.default

    def prompt(self, index: int = -1) -> str:
        """All message contents of one recorded request, joined: what the model was shown."""
        return "\n".join(str(m.get("content")) for m in self.requests[index]["messages"])

    def start(self) -> "StubServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                reply = stub._next(json.loads(raw or b"{}"))
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    message = reply.content or f"stub error {reply.status}"
                    self._send(reply.status, {"error": {"message": message,
                                                        "type": "server_error", "code": reply.status}},
                               reply.headers)
                    return
                self._send(200, {
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
                    "model": "stub-model",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.content}}],
                    "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                              "total_tokens": reply.prompt_tokens + reply.completion_tokens},
                }, reply.headers)

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        return Handler

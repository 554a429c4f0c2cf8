"""A tiny OpenAI-compatible HTTP server for agent tests (``/v1/chat/completions``, ``/v1/models``).

Replies come from a script: each entry is either text or ``{"tool_calls": [(name, args), ...]}``
(or a callable of the request JSON returning one of those). Requests with ``"stream": true``
get server-sent events, like vLLM / llama.cpp / Ollama. Every request body is kept in
``server.requests``.

Strict like the real servers that broke the first native mode (llama-cpp-python's server):

- an assistant message with ``"content": null`` is rejected with HTTP 500;
- a request without ``tool_choice`` (or with ``"none"``) never gets tool calls: a scripted tool
  call is answered with :data:`UNGROUNDED_TEXT` instead, as such a server's model would;
- ``GET /models`` lists ``models`` only.

Slow streaming: ``{"text": ..., "delay": seconds per word}``. Failure steps: ``{"status": 503, "message": ...}`` (an HTTP error), ``{"hang": seconds}`` (no
answer for that long), ``{"die_after": "text"}`` (streams the text, then drops the connection
without finishing the response).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNGROUNDED_TEXT = "Yes, there is a bundle branch block."
"""What the fake says when it gets a tool step but the request did not allow tools."""


class FakeOpenAIServer:
    def __init__(self, script: list[Any], models: tuple[str, ...] = ("fake-model",)):
        self.script = list(script)
        self.models = list(models)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json({"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self.send_error(404)
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with server._lock:
                    server.requests.append(body)
                    step = server.script.pop(0) if server.script else "script exhausted"
                if callable(step):
                    step = step(body)
                if any(m.get("role") == "assistant" and m.get("content", "") is None for m in body["messages"]):
                    self._json({"error": {"message": "assistant message content must be a string",
                                          "type": "internal_server_error"}}, 500)
                    return
                if isinstance(step, dict) and "tool_calls" in step and body.get("tool_choice", "none") == "none":
                    step = UNGROUNDED_TEXT
                if isinstance(step, dict) and "status" in step:
                    self._json({"error": {"message": step.get("message", "error")}}, step["status"])
                    return
                if isinstance(step, dict) and "hang" in step:
                    time.sleep(step["hang"])
                    step = step.get("then", "late answer")
                if isinstance(step, dict) and "die_after" in step:
                    self._die(step["die_after"])
                    return
                delay = 0.0
                if isinstance(step, dict) and "delay" in step:  # {"text": ..., "delay": s per word}
                    step, delay = step["text"], step["delay"]
                if body.get("stream"):
                    self._sse(step, delay)
                else:
                    self._json(_completion(step))

            def _json(self, data: dict[str, Any], status: int = 200) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _sse(self, step: Any, delay: float = 0.0) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for chunk in _chunks(step):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(delay)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _die(self, text: str) -> None:
                """Stream ``text``, then close the connection long before the promised length."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                for chunk in _chunks(text)[:-1]:  # no finish_reason, no [DONE]
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.01)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _tool_calls(step: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"call_{k}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for k, (name, args) in enumerate(step["tool_calls"])]


def _completion(step: Any) -> dict[str, Any]:
    if isinstance(step, dict):
        message = {"role": "assistant", "content": None, "tool_calls": _tool_calls(step)}
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": str(step)}, "stop"
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunks(step: Any) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": "fake-model"}
    if isinstance(step, dict):
        calls = [{"index": k, **c} for k, c in enumerate(_tool_calls(step))]
        return [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": calls}, "finish_reason": None}]},
                {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}]
    words = str(step).split(" ")
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    out += [{**base, "choices": [{"index": 0, "delta": {"content": (w if k == 0 else " " + w)}, "finish_reason": None}]}
            for k, w in enumerate(words)]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return out

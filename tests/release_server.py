"""A loopback HTTP server that serves model releases, with Range and If-Range support."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class ReleaseServer:
    """Serves ``files`` (URL path -> bytes); records the Range header of each request."""

    files: dict[str, bytes]
    drop_after: int | None = None  # cut the next response off after this many body bytes
    ignore_range: bool = False
    ranges: list[str | None] = field(default_factory=list)
    base_url: str = ""


def _handler(state: ReleaseServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.ranges.append(self.headers.get("Range"))
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start = 0
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if_range = self.headers.get("If-Range")
            if match and not state.ignore_range and if_range in (None, etag):
                start = int(match.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("ETag", etag)
            self.end_headers()
            payload = body[start:]
            if state.drop_after is not None:
                payload, state.drop_after = payload[: state.drop_after], None
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Keeps the test output quiet."""

    return Handler


@contextmanager
def release_server() -> Iterator[ReleaseServer]:
    state = ReleaseServer(files={})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/models"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()

"""HTTP download of a model archive into a partial file, resumable with a Range request.

A download writes ``<file>.part`` and, beside it, ``<file>.part.json`` with the URL and the
validator (ETag or Last-Modified) the server sent. A later call with the same partial file
asks for the missing bytes only (``Range: bytes=N-``) and sends the validator as
``If-Range``, so a file that changed on the server is fetched whole again instead of being
spliced from two versions. The sha256 of the complete file is computed as it streams.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tarjama.server.stores.manifest import sha256_digest

CHUNK_BYTES = 1 << 16
TIMEOUT_SECONDS = 60.0
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_UNSATISFIABLE_RANGE = re.compile(r"bytes \*/(\d+)")


class DownloadError(Exception):
    """The download failed. ``resumable`` is true when the partial file was kept."""

    def __init__(self, message: str, resumable: bool = False) -> None:
        super().__init__(message)
        self.resumable = resumable


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes on disk so far, the full size when the server says it, and where we resumed."""

    done: int
    total: int | None
    resumed_from: int


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    sha256: str
    resumed_from: int


def _read_validator(sidecar: Path, url: str) -> str | None:
    """The ETag/Last-Modified saved with the partial file, if it came from ``url``."""
    try:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("url") != url:
        return None
    validator = saved.get("validator")
    return validator if isinstance(validator, str) and validator else None


def _open(url: str, start: int, validator: str | None) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": "tarjama-model-store"})
    if start:
        request.add_header("Range", f"bytes={start}-")
        if validator:
            request.add_header("If-Range", validator)
    return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)


def _discard(partial: Path, sidecar: Path) -> None:
    partial.unlink(missing_ok=True)
    sidecar.unlink(missing_ok=True)


def download(
    url: str,
    partial: Path,
    progress: ProgressCallback | None = None,
    allow_restart: bool = True,
) -> DownloadResult:
    """Downloads ``url`` into ``partial``, continuing what an earlier call left there.

    Raises :class:`DownloadError` with the reason; when the transfer broke off mid-way the
    partial file is kept (``resumable``) so that calling again continues from there.
    """
    partial.parent.mkdir(parents=True, exist_ok=True)
    sidecar = partial.with_name(partial.name + ".json")
    start = partial.stat().st_size if partial.exists() else 0
    validator = _read_validator(sidecar, url) if start else None
    try:
        response = _open(url, start, validator)
    except urllib.error.HTTPError as error:
        if error.code == 416 and start:
            # The partial file is as long as (or longer than) the file: done, or stale.
            match = _UNSATISFIABLE_RANGE.fullmatch(error.headers.get("Content-Range", ""))
            if match and int(match.group(1)) == start:
                return DownloadResult(partial, start, sha256_digest(partial).hexdigest(), 0)
            _discard(partial, sidecar)
            if allow_restart:
                return download(url, partial, progress, allow_restart=False)
        raise DownloadError(
            f"the server answered HTTP {error.code} {error.reason}", resumable=start > 0
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"could not connect ({reason})", resumable=start > 0) from error

    with response:
        status = response.status
        if status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != start:
                raise DownloadError(
                    "the server sent a byte range that does not continue the partial file "
                    f"({response.headers.get('Content-Range')!r})"
                )
            total = None if match.group(3) == "*" else int(match.group(3))
            digest = sha256_digest(partial)
            mode = "ab"
        else:
            # 200: the server ignored the Range or the file changed (If-Range): start over.
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            start = 0
            digest = hashlib.sha256()
            mode = "wb"
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
        sidecar.write_text(json.dumps({"url": url, "validator": validator}), encoding="utf-8")
        done = start
        if progress:
            progress(DownloadProgress(done, total, start))
        try:
            with partial.open(mode) as sink:
                while block := response.read(CHUNK_BYTES):
                    sink.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(DownloadProgress(done, total, start))
        except (OSError, http.client.HTTPException) as error:
            raise DownloadError(
                f"the transfer broke off after {done} bytes ({error})", resumable=True
            ) from error
    # http.client returns a short body without error when the connection drops early.
    if total is not None and done < total:
        raise DownloadError(f"the transfer broke off after {done} of {total} bytes", resumable=True)
    if total is not None and done > total:
        _discard(partial, sidecar)
        raise DownloadError(f"the server sent {done} bytes but announced {total}")
    return DownloadResult(partial, done, digest.hexdigest(), start)

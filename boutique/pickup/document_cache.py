"""Rendered pick-up documents kept on disk, reused while what they show is unchanged.

WeasyPrint lays out about ten A4 pages a second: a whole week's pick-up list for 2,000 orders
takes half a minute. Staff print the same lists several times a day, so a PDF is rendered once
per content and served from here afterwards; `flask documents prepare WEEK` renders them ahead
(from cron) so that nobody waits. QR codes of the labels are kept the same way.

A document's key is a digest of everything it shows (its data, its kind and filters, the
language, the shop's address) and of the code and templates that draw it: any change makes a
new key, so a stale document is never served. Files older than DOCUMENT_CACHE_MAX_AGE are
ignored and removed.

A folder that cannot be written (read-only, full, missing and not creatable) costs time, never
a document: it is rendered in memory and served, and the problem logged once per process.
"""

import functools
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from flask import current_app

HERE = Path(__file__).resolve().parent
_reported = set()  # folders whose failure this process has logged


class CacheUnavailable(Exception):
    """The document cache folder cannot be written."""


def _folder():
    folder = Path(current_app.config["DOCUMENT_CACHE_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _report(error):
    """Log a cache failure once per folder and process (not at every document)."""
    folder = current_app.config["DOCUMENT_CACHE_FOLDER"]
    if folder not in _reported:
        _reported.add(folder)
        current_app.logger.error(
            "Document cache folder %s unusable, documents are rendered at each request: %s",
            folder,
            error,
        )


def check_writable():
    """Raise CacheUnavailable (with the reason) unless a file can be written in the folder."""
    folder = current_app.config["DOCUMENT_CACHE_FOLDER"]
    try:
        handle, probe = tempfile.mkstemp(dir=_folder(), prefix=".probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise CacheUnavailable(f"{folder}: {error.strerror or error}") from error


@functools.cache
def code_version(template_folder):
    """A digest of the code and templates that draw the documents (and of the translations)."""
    digest = hashlib.sha256()
    paths = sorted((Path(template_folder) / "staff" / "documents").glob("*"))
    paths += [HERE / "documents.py", HERE / "document_cache.py"]
    paths += sorted((HERE.parent / "translations").glob("*/LC_MESSAGES/messages.mo"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key(*parts):
    """The cache key of a document: a digest of its parts (strings, numbers, None, lists)."""
    version = code_version(str(Path(current_app.root_path).parent / "templates"))
    payload = json.dumps([version, *parts], default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _fresh(path):
    max_age = current_app.config["DOCUMENT_CACHE_MAX_AGE"]
    try:
        return time.time() - path.stat().st_mtime < max_age
    except FileNotFoundError:
        return False


def _write(path, data):
    """Write atomically: a reader sees the old file or the whole new one, never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch(cache_key, suffix, render):
    """The cached bytes for this key, or `render()`'s, kept for next time if the folder allows."""
    try:
        path = _folder() / f"{cache_key}.{suffix}"
        if _fresh(path):
            return path.read_bytes()
    except OSError as error:
        _report(error)
        return render()
    data = render()
    try:
        _write(path, data)
        prune()
    except OSError as error:
        _report(error)
    return data


def is_cached(cache_key, suffix):
    try:
        return _fresh(_folder() / f"{cache_key}.{suffix}")
    except OSError:
        return False


def prune():
    """Remove what is older than the maximum age (cheap: one directory listing)."""
    max_age = current_app.config["DOCUMENT_CACHE_MAX_AGE"]
    limit = time.time() - max_age
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def qr_images(urls, make, namespace):
    """{url: image} for these URLs, made by `make(url)` only for those not seen before.

    One JSON file per namespace (a week and the shop's address), shared by every worker.
    """
    known = {}
    try:
        path = _folder() / f"qr-{key(namespace)}.json"
        if _fresh(path):
            known = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        known = {}
    except OSError as error:
        _report(error)
        return {url: make(url) for url in dict.fromkeys(urls)}
    missing = [url for url in dict.fromkeys(urls) if url not in known]
    for url in missing:
        known[url] = make(url)
    if missing:
        try:
            _write(path, json.dumps(known).encode())
        except OSError as error:
            _report(error)
    return known

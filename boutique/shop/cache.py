"""The rendered product grid of the catalog, reused until something it shows changes.

The catalog takes the rush when a week opens. Its grid (hundreds of product cards) only
changes when the week's offers, stock or products change, and each of those bumps the week's
`version`; the grid is kept per (week, version, phase, price kind, language, address) in each
process. The page around it (header, basket count, messages) is rendered for every request,
the grid is put in as bytes, and the form token of the add-to-basket buttons is put back
per visitor. A visitor who is not logged in and has no basket and no message sees the same
page as any other such visitor: the whole page is kept for them (their token put back). Checkout checks
everything again, so a grid a few milliseconds old can never sell what is gone.
"""

import threading
from collections import OrderedDict

# Where the grid goes in the page rendered around it (not a secret: a marker).
GRID_MARKER = "\x1ecatalog-grid\x1e"
MAX_ENTRIES = 256


class GridCache:
    """A small thread-safe LRU of rendered grids."""

    def __init__(self, max_entries=MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            grid = self._entries.get(key)
            if grid is not None:
                self._entries.move_to_end(key)
            return grid

    def put(self, key, grid):
        with self._lock:
            self._entries[key] = grid
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def _grids():
    """The app's cache (one per app: tests building a new app start empty)."""
    from flask import current_app

    return current_app.extensions.setdefault("catalog_grids", GridCache())


def store(key, content, token):
    """Keep what was rendered for one visitor (text or UTF-8 bytes): the pieces around their
    token, so that another visitor's token can go in its place."""
    if isinstance(content, str):
        content = content.encode()
    parts = content.split(token.encode())
    _grids().put(key, parts)
    return parts


def fetch(key):
    """The kept pieces, or None."""
    return _grids().get(key)


def join(parts, token, head=b"", tail=b""):
    """The pieces with the visitor's token between them, as one bytes object."""
    token = token.encode()
    chunks = [head, parts[0]]
    for part in parts[1:]:
        chunks += (token, part)
    chunks.append(tail)
    return b"".join(chunks)


def page_body(page, parts, token):
    """The response body: the page around the grid, the visitor's token between the pieces.

    Bytes joined once: the grid (hundreds of KiB) is never copied through the templates.
    """
    head, tail = page.split(GRID_MARKER, 1)
    return join(parts, token, head.encode(), tail.encode())

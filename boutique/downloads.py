"""Files the shop hands to a browser: a PDF opens in its viewer, anything else is saved."""

import unicodedata
from pathlib import PurePath
from urllib.parse import quote

from flask import Response
from werkzeug.http import dump_options_header

TYPES = {
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".zip": "application/zip",
}


def download(body, filename, *, mimetype=None, headers=None):
    """The response for a file named filename; its type from its extension unless given."""
    suffix = PurePath(filename).suffix
    disposition = "inline" if suffix == ".pdf" else "attachment"
    return Response(
        body,
        mimetype=mimetype or TYPES[suffix],
        headers={
            "Content-Disposition": dump_options_header(disposition, _name_options(filename)),
            **(headers or {}),
        },
    )


def _name_options(filename):
    """The name as HTTP headers carry it: ASCII as it is; otherwise an ASCII fallback and the
    UTF-8 name (RFC 6266), as headers outside Latin-1 cannot be sent (gunicorn refuses them)."""
    if filename.isascii():
        return {"filename": filename}
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return {"filename": simple, "filename*": "UTF-8''" + quote(filename, safe="!#$&+^`|")}

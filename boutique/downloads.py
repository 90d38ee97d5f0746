"""Files the shop hands to a browser: a PDF opens in its viewer, anything else is saved."""

from pathlib import PurePath

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
            "Content-Disposition": dump_options_header(disposition, {"filename": filename}),
            **(headers or {}),
        },
    )

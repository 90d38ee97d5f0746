"""The shop as gunicorn serves it in the load benchmark, plus its ceiling.

`/__ceiling__` is a route of the same Flask app returning the catalog page's bytes, rendered
once when the worker starts: the same server (gunicorn, Flask, its request hooks and headers)
doing no work of its own. The benchmark compares the real catalog with it. Never used outside
bench/load.py.
"""

from flask import Response

from boutique import create_app

application = create_app()
CATALOG = b""


def ceiling():
    return Response(CATALOG, mimetype="text/html")


application.add_url_rule("/__ceiling__", "ceiling", ceiling)
with application.test_client() as client:
    CATALOG = client.get("/").data

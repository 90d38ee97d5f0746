"""Login timing: a known address with a wrong password against an unknown address.

With production settings (argon2id, 19 MiB, 2 iterations) an unknown address runs a dummy
password check, so both answers should take the same time: the ratio printed last should be
close to 1 (the aim: within 20 %). Also prints the cost of one hash at these parameters.
"""

import statistics
import sys
import time
from pathlib import Path

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import PRODUCTION, database  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import User  # noqa: E402
from boutique.passwords import hash_password  # noqa: E402

ROUNDS = 30


def timed_post(client, email):
    started = time.perf_counter()
    response = client.post(
        "/compte/connexion",
        data={"email": email, "password": "pas-le-bon-99"},
        base_url="https://boutique.bench.example",
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def main():
    url, drop = database()
    try:
        app = create_app(
            "production",
            SQLALCHEMY_DATABASE_URI=url,
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
            **PRODUCTION,
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            user = User(email="connu@exemple.fr", role="customer", kind="individual")
            user.password_hash = hash_password("le-bon-mot-de-passe-1")
            print(f"one argon2id hash: {1000 * (time.perf_counter() - started):.1f} ms")
            db.session.add(user)
            db.session.commit()
            client = app.test_client()
            timed_post(client, "connu@exemple.fr")  # warm up both paths
            timed_post(client, "inconnu@exemple.fr")
            known, unknown = [], []
            for _ in range(ROUNDS):  # alternate, so that machine noise hits both alike
                known.append(timed_post(client, "connu@exemple.fr"))
                unknown.append(timed_post(client, "inconnu@exemple.fr"))
            db.session.remove()
            db.engine.dispose()
        k, u = statistics.median(known), statistics.median(unknown)
        print(f"login, known address, wrong password: median {1000 * k:.1f} ms ({ROUNDS} runs)")
        print(f"login, unknown address:               median {1000 * u:.1f} ms ({ROUNDS} runs)")
        print(f"unknown/known ratio: {u / k:.2f}")
    finally:
        drop()


if __name__ == "__main__":
    main()

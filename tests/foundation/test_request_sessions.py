"""No request leaves a transaction open behind it, however it ends (not signed in, bad token...)."""
import sqlite3

from sqlalchemy import text

from tests.foundation.helpers import sign_in
from tests.support.factories import make_geography, make_user


def _open_transactions(engine, db_url) -> int:
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.split("///", 1)[1], timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # fails with "database is locked" if a writer is left
            conn.execute("ROLLBACK")
            return 0
        except sqlite3.OperationalError:
            return 1
        finally:
            conn.close()
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar_one()


def test_requests_that_fail_in_a_dependency_end_their_transaction(client, engine, db_url):
    from sqlmodel import Session

    with Session(engine) as db:
        make_geography(db)
        make_user(db, username="north", role="officer", subdistrict_codes=["341401"])
    assert client.get("/villages", follow_redirects=False).status_code in (302, 303)
    assert client.get("/api/sync/pull", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert _open_transactions(engine, db_url) == 0
    sign_in(client, "north")
    assert client.post("/logout", headers={"x-csrftoken": "wrong"}).status_code == 403
    assert _open_transactions(engine, db_url) == 0

"""Connects to PostgreSQL with one Python driver and a connection string from the chart's
connection Secret, exactly as an application would, and prints "ssl=<bool> user=<name>".

    python3 postgres_drivers.py psycopg2|sqlalchemy-psycopg2|sqlalchemy-asyncpg CONNECTION

Exit status 0 on success; on failure the driver's own error is printed and the status is 1.
Name resolution and the CA are the caller's: NSS_WRAPPER_HOSTS (the Service's name on loopback)
and, for asyncpg, PGSSLROOTCERT (asyncpg reads the CA from there, never from sslrootcert).
"""
import asyncio
import sys

QUERY = "SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def psycopg2_(dsn):
    import psycopg2
    with psycopg2.connect(dsn, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute(QUERY)
        return cur.fetchone()


def sqlalchemy_psycopg2(url):
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(sqlalchemy.text(QUERY)).one())
    finally:
        engine.dispose()


def sqlalchemy_asyncpg(url):
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return tuple((await conn.execute(text(QUERY))).one())
        finally:
            await engine.dispose()

    return asyncio.run(run())


DRIVERS = {"psycopg2": psycopg2_, "sqlalchemy-psycopg2": sqlalchemy_psycopg2, "sqlalchemy-asyncpg": sqlalchemy_asyncpg}

if __name__ == "__main__":
    driver, connection = sys.argv[1], sys.argv[2]
    try:
        ssl, user = DRIVERS[driver](connection)
    except Exception as e:  # the driver's own error is the test's evidence
        print(f"{type(e).__module__}.{type(e).__name__}: {e}")
        sys.exit(1)
    print(f"ssl={str(ssl).lower()} user={user}")

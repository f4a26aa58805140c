"""Alembic environment of drift's store: migrates the connection `migrate.upgrade` hands over,
or (for `alembic` on the command line) the `sqlalchemy.url` of the Alembic config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from drift.edges.store.models import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER via table copy on SQLite
        transactional_ddl=True,  # SQLite too: drift emits BEGIN itself (see engine.py)
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (shared := context.config.attributes.get("connection")) is not None:
    _run(shared)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url in the Alembic config"
    with create_engine(url).connect() as own:
        _run(own)
        own.commit()

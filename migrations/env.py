"""Alembic environment: migrate the database of the Flask app that runs the command."""

import logging
import sys
from logging.config import fileConfig

from alembic import context
from flask import current_app

from chat import runtime
from chat.config import ConfigError
from chat.logs import refusal

config = context.config
if current_app.config["LOG_FORMAT"] == "json":
    # The app's JSON handler on the root logger writes alembic's progress (chat/logs.py).
    logging.getLogger("alembic").setLevel(logging.INFO)
elif config.config_file_name is not None:
    # Keep the app's own loggers working when migrations run inside it (tests).
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
engine = database.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline() -> None:
    """Write the SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=database.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    try:
        runtime.require_database(current_app)
    except ConfigError as unanswered:
        # One line, as app.py's refusals: a traceback adds nothing to "that server does not answer".
        sys.exit(refusal(str(unanswered), current_app.config["LOG_FORMAT"]))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=database.metadata,
            **current_app.extensions["migrate"].configure_args,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Instances that start together migrate one at a time; the later ones find nothing to do.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7215420011)")
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

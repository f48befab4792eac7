"""``malwar db``: migrate, inspect, back up and restore the server's database."""

from __future__ import annotations

import os

import typer

from malwar.cli.app import app, fail

db_app = typer.Typer(help="Manage the server's database (MALWAR_DB_PATH).", no_args_is_help=True)
app.add_typer(db_app, name="db")

DB_OPTION = typer.Option(None, "--db", help="Database file (default: MALWAR_DB_PATH, else malwar.db).")


def database_path(db: str | None) -> str:
    """The database the command works on: --db, else the server settings."""
    from malwar.api.settings import SettingsError, load_settings

    try:
        settings = load_settings(os.environ, db_path=db)
    except SettingsError as exc:
        fail(str(exc))
    return settings.db_path


def open_db(db: str | None):
    from malwar.store import StoreError, open_store

    path = database_path(db)
    try:
        return open_store(path, os.environ.get("MALWAR_DB_URL", ""))
    except StoreError as exc:
        fail(str(exc))


@db_app.command()
def migrate(db: str | None = DB_OPTION) -> None:
    """Apply pending migrations. Safe to run any number of times."""
    from malwar.store import StoreError

    store = open_db(db)
    try:
        applied = store.migrate()
    except StoreError as exc:
        fail(str(exc), 1)
    finally:
        store.close()
    if applied:
        for name in applied:
            typer.echo(f"applied {name}")
    else:
        typer.echo("nothing to apply; the database is up to date")


@db_app.command()
def status(db: str | None = DB_OPTION) -> None:
    """Show applied and pending migrations. Exit 1 when some are pending."""
    store = open_db(db)
    try:
        st = store.migration_status()
    finally:
        store.close()
    for name, when in st.applied:
        typer.echo(f"applied  {name}  {when}")
    for name in st.pending:
        typer.echo(f"pending  {name}")
    if st.pending:
        raise typer.Exit(1)


@db_app.command()
def backup(dest: str = typer.Argument(..., help="File to write the copy to."), db: str | None = DB_OPTION) -> None:
    """Copy the database online (the server may keep writing), then verify the copy."""
    from malwar.store import StoreError

    store = open_db(db)
    try:
        info = store.backup(dest)
    except StoreError as exc:
        fail(str(exc), 1)
    finally:
        store.close()
    typer.echo(f"backup {info.path}: {info.size_bytes} bytes, {info.scans} scans, {info.findings} findings, "
               f"integrity {info.integrity}")


@db_app.command()
def restore(src: str = typer.Argument(..., help="A backup made by `malwar db backup`."),
            db: str | None = DB_OPTION) -> None:
    """Replace the database with a verified backup. A corrupt file is refused."""
    from malwar.store import StoreError, restore_database

    path = database_path(db)
    try:
        info = restore_database(src, path)
    except StoreError as exc:
        fail(str(exc), 1)
    typer.echo(f"restored {src} into {info.path}: {info.scans} scans, {info.findings} findings, "
               f"integrity {info.integrity}")

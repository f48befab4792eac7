"""``malwar keys``: create, list and revoke API keys stored (as hashes) in the database."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from malwar.cli.app import app, fail
from malwar.cli.db import DB_OPTION, open_db

keys_app = typer.Typer(help="Manage API keys stored in the database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class Role(StrEnum):
    read_only = "read-only"
    scanner = "scanner"
    analyst = "analyst"
    admin = "admin"


@keys_app.command()
def create(role: Annotated[Role, typer.Option("--role", help="What the key may do.")],
           name: str = typer.Option("", "--name", help="A label to recognise the key by."),
           db: str | None = DB_OPTION) -> None:
    """Create a key. It is printed once on stdout; only its hash is stored."""
    from malwar.store import StoreError

    store = open_db(db)
    try:
        if store.migration_status().pending:
            store.migrate()
        key, record = store.create_key(role.value, name)
    except StoreError as exc:
        fail(str(exc), 1)
    finally:
        store.close()
    typer.echo(f"created {record.id} ({record.role}); store this key now, it is not shown again:", err=True)
    typer.echo(key)


@keys_app.command("list")
def list_keys(db: str | None = DB_OPTION) -> None:
    """List keys (id, role, name, prefix, state). Keys themselves cannot be shown."""
    store = open_db(db)
    try:
        records = store.list_keys()
    finally:
        store.close()
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
        typer.echo(f"{r.id}  {r.role:<9}  {r.prefix}…  {r.name or '-'}  created {r.created_at}  {state}")


@keys_app.command()
def revoke(key_id: str = typer.Argument(..., help="The key id shown by `malwar keys list`."),
           db: str | None = DB_OPTION) -> None:
    """Revoke a key; the server stops accepting it at once."""
    from malwar.store import StoreError

    store = open_db(db)
    try:
        record = store.revoke_key(key_id)
    except StoreError as exc:
        fail(str(exc), 1)
    finally:
        store.close()
    typer.echo(f"revoked {record.id} at {record.revoked_at}")

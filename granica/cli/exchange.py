"""`granica exchange ...`: this node's key, its peers, link tests, delivery and state."""

from __future__ import annotations

import json

import typer

NAME = "exchange"
app = typer.Typer(help="Signed messages between nodes (SIRENE bureaux, central system).",
                  no_args_is_help=True)


@app.command("keys")
def keys(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """Print this node's code and public key (creating the key on first use): what the
    other nodes write in their peers file for this node."""
    from granica.exchange.keys import public_text, signing_key
    from granica.settings import get_settings

    settings = get_settings()
    public = public_text(signing_key().public_key())
    if as_json:
        typer.echo(json.dumps({"code": settings.bureau_code, "public_key": public,
                               "key_file": str(settings.resolved_exchange_key_file)}))
        return
    typer.echo(f"[peers.{settings.bureau_code}]")
    typer.echo(f'url = "http://{settings.host}:{settings.port}"')
    typer.echo(f'public_key = "{public}"')


@app.command("peers")
def list_peers(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """The peers this node exchanges with (from the peers file)."""
    from granica.exchange.keys import public_text
    from granica.exchange.peers import peers
    from granica.settings import get_settings

    found = peers()
    rows = [{"code": p.code, "name": p.name, "url": p.url,
             "public_key": public_text(p.public_key)} for p in found.values()]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo(f"no peers: write them in {get_settings().resolved_peers_file} "
                   "(`granica exchange keys` on each peer prints its entry)")
    for row in rows:
        typer.echo(f"{row['code']:<12} {row['url']:<32} {row['name']}")


@app.command("ping")
def ping(
    peer: str = typer.Argument(..., help="the peer's code, e.g. HU"),
    count: int = typer.Option(1, "--count", min=1, max=100_000, help="pings to queue"),
    conversation: str = typer.Option(None, "--conversation", help="name of the conversation"),
    as_json: bool = typer.Option(False, "--json", help="print as JSON"),
) -> None:
    """Queue link-test messages to a peer; it answers each with a pong. The serving node
    delivers them (or `granica exchange deliver`)."""
    from granica.auth.principal import system_principal
    from granica.exchange.service import ping as run
    from granica.storage import get_database

    with get_database().session() as s:
        ids = run(s, system_principal("link test"), peer, count, conversation)
    if as_json:
        typer.echo(json.dumps({"queued": len(ids), "ids": ids}))
    else:
        typer.echo(f"{len(ids)} ping(s) to {peer} queued")


@app.command("deliver")
def deliver(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """Deliver what is due now, once (a serving node does this all the time)."""
    import httpx

    from granica.exchange.service import deliver_due, handle_held
    from granica.storage import get_database

    db = get_database()
    handled = handle_held(db)
    with httpx.Client() as client:
        result = deliver_due(db, client).to_dict()
    result["handled"] = handled
    typer.echo(json.dumps(result) if as_json else
               f"sent {result['sent']}, delivered {result['delivered']}, refused "
               f"{result['refused']}, to retry {result['retried']}; handled {handled} held")


@app.command("status")
def status(
    conversation: str = typer.Option(None, "--conversation", help="only this conversation"),
    as_json: bool = typer.Option(False, "--json", help="print as JSON"),
) -> None:
    """Messages out and in per peer and state, and the latest refusals."""
    from granica.auth.principal import system_principal
    from granica.exchange.service import status as run
    from granica.storage import get_database

    with get_database().session() as s:
        result = run(s, system_principal("exchange status"), conversation)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"node {result['node']}; peers: {', '.join(result['peers']) or 'none'}")
    for code, entry in sorted(result["outgoing"].items()):
        typer.echo(f"  to {code}: {entry}")
    for code, entry in sorted(result["incoming"].items()):
        typer.echo(f"  from {code}: {entry}")
    typer.echo(f"  refused: {result['refused_total']}")

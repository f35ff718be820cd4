"""Healthchecks ping mock: records `/ping/{uuid}`, `/ping/{uuid}/start`, `/ping/{uuid}/fail`.

Pages followed: healthchecks.io/docs/http_api (Pinging API: any of GET, HEAD, POST; `/start`
and `/fail` suffixes; the answer `OK`, 200, text/plain; a POST body up to 100 kB kept as the
ping's log). `GET /_opwire/pings` lists what was received, oldest first. Served on its own by
`HealthchecksServer` (a uvicorn server on a thread, port 0 = ephemeral), not a vendor room.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BODY_KEPT = 100_000
MAX_PINGS = 1000


@dataclass(slots=True)
class Pings:
    received: list[dict[str, Any]] = field(default_factory=list)

    def add(self, entry: dict[str, Any]) -> None:
        self.received.append(entry)
        del self.received[:-MAX_PINGS]


def _pings(request: Request) -> Pings:
    found: Pings = request.app.state.pings
    return found


def _kind(request: Request) -> str:
    suffix = request.path_params.get("kind", "")
    return suffix or "success"


async def ping(request: Request) -> Response:
    body = (await request.body())[:BODY_KEPT]
    _pings(request).add(
        {
            "uuid": request.path_params["uuid"],
            "kind": _kind(request),
            "method": request.method,
            "body": body.decode("utf-8", errors="replace"),
            "time": time.time(),
        }
    )
    return PlainTextResponse("OK")


async def listing(request: Request) -> Response:
    return JSONResponse({"pings": _pings(request).received})


async def reset(request: Request) -> Response:
    _pings(request).received.clear()
    return JSONResponse({"pings": []})


METHODS = ["GET", "HEAD", "POST"]


def create_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/_opwire/pings", listing, methods=["GET"]),
            Route("/_opwire/reset", reset, methods=["POST"]),
            Route("/ping/{uuid}", ping, methods=METHODS),
            Route("/ping/{uuid}/{kind:str}", _suffixed, methods=METHODS),
        ]
    )
    app.state.pings = Pings()
    return app


async def _suffixed(request: Request) -> Response:
    if request.path_params["kind"] not in ("start", "fail"):
        return PlainTextResponse("not found", 404)
    return await ping(request)


class HealthchecksServer:
    """The ping mock on host:port from a daemon thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(128)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            create_app(), log_level="critical", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._socket])),
            name="opwire-mock-healthchecks",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> HealthchecksServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the Healthchecks mock did not start on {self.url}")
            time.sleep(0.005)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

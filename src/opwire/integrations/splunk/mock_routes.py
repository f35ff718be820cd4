"""The Splunk mock's management REST API routes (port 8089 on a real Splunk, the HEC port here),
each under /services and under a /servicesNS/{owner}/{app} namespace, as splunklib builds them
(binding.py `_abspath`: a namespace's owner and app, `nobody` for app or system sharing).

Pages followed: help.splunk.com "REST API User Manual: Namespaces", "REST API Reference" (the
endpoints each module names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route

from opwire.integrations.splunk import mock_access, mock_receivers, mock_tokens
from opwire.integrations.splunk import mock_entities as rest
from opwire.integrations.splunk import mock_indexes as indexes
from opwire.integrations.splunk import mock_jobs as jobs
from opwire.integrations.splunk import mock_saved as saved
from opwire.integrations.splunk.mock_search import export, login, server_info

KINDS = (indexes.INDEXES, indexes.APPS, saved.SAVED, mock_tokens.HTTP, *mock_access.KINDS)


def _variants(path: str) -> list[str]:
    return [path, path + "/"]


def _search(prefix: str) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for base in (f"{prefix}/search/jobs", f"{prefix}/search/v2/jobs"):
        routes += [Route(p, export, methods=["GET", "POST"]) for p in _variants(f"{base}/export")]
        for path in _variants(base):
            routes.append(Route(path, jobs.jobs_create, methods=["POST"]))
            routes.append(Route(path, jobs.jobs_list, methods=["GET"]))
        for path in _variants(f"{base}/{{sid}}"):
            routes.append(Route(path, jobs.job_status, methods=["GET"]))
            routes.append(Route(path, jobs.job_delete, methods=["DELETE"]))
        for name in ("results", "results_preview"):
            for path in _variants(f"{base}/{{sid}}/{name}"):
                routes.append(Route(path, jobs.job_results, methods=["GET", "POST"]))
        for path in _variants(f"{base}/{{sid}}/events"):
            routes.append(Route(path, jobs.job_events, methods=["GET", "POST"]))
        for path in _variants(f"{base}/{{sid}}/control"):
            routes.append(Route(path, jobs.job_control, methods=["POST"]))
    return routes


def _collections(prefix: str) -> list[BaseRoute]:
    """Each collection's list / create, its objects' get / edit / delete, their actions."""
    found: list[BaseRoute] = []
    for kind in KINDS:
        base = f"{prefix}/{kind.path}"
        found += [Route(p, rest.collection(kind), methods=["GET", "POST"]) for p in _variants(base)]
        actions: dict[str, Callable[[Request], Any]] = {
            "enable": rest.toggle(kind, False),
            "disable": rest.toggle(kind, True),
        }
        if kind is saved.SAVED:
            actions |= {"dispatch": saved.dispatch, "history": saved.history}
        if kind is indexes.INDEXES:
            actions["roll-hot-buckets"] = indexes.roll_hot_buckets
        # an HEC token's name (http://opwire) holds slashes once splunklib unquotes it
        name = "{name:path}" if kind is mock_tokens.HTTP else "{name}"
        for action, handler in actions.items():
            verbs = ["GET"] if action == "history" else ["POST"]
            found.append(Route(f"{base}/{name}/{action}", handler, methods=verbs))
        methods = ["GET", "POST", "DELETE"]
        found += [Route(p, rest.item(kind), methods=methods) for p in _variants(f"{base}/{name}")]
    for path in _variants(f"{prefix}/data/inputs"):
        found.append(Route(path, mock_tokens.kinds, methods=["GET"]))
    return found


def _management(prefix: str) -> list[BaseRoute]:
    """Every management route under `prefix` (/services, or "" inside the namespace mount)."""
    routes = [*_search(prefix), *_collections(prefix), *mock_access.routes(prefix)]
    for path in _variants(f"{prefix}/receivers/simple"):
        routes.append(Route(path, mock_receivers.receivers_simple, methods=["POST"]))
    for path in (*_variants(f"{prefix}/server/info"), f"{prefix}/server/info/server-info"):
        routes.append(Route(path, server_info, methods=["GET"]))
    for path in _variants(f"{prefix}/auth/login"):
        routes.append(Route(path, login, methods=["POST"]))
    return routes


def routes() -> list[BaseRoute]:
    # A namespaced path is the same endpoint seen from a user's and an app's context.
    return [*_management("/services"), Mount("/servicesNS/{owner}/{app}", routes=_management(""))]

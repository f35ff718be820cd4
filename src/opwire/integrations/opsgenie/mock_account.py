"""Opsgenie's Account API, for the mock: `GET /v2/account` (Get Account Info).

Pages followed: docs.opsgenie.com/docs/account-api (`{"data": {"name", "userCount", "plan":
{"maxUserCount", "name", "isYearly"}}, "took", "requestId"}`), shared/specs/opsgenie/
swagger.json (GetAccountInfoResponse, AccountInfo, AccountPlan).

The mock holds no account: it answers one account, named for the mock. Opsgenie refuses
account-level requests to a team integration's key (docs.opsgenie.com/docs/api-key-management);
the mock does not model whose team a key is, so any valid key reads it (UNCONFIRMED: the
status and text Opsgenie answers such a key).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie.mock_http import answer, auth

ACCOUNT = {
    "name": "opwire-mock",
    "userCount": 1,
    "plan": {"maxUserCount": 1, "name": "Free", "isYearly": False},  # UNCONFIRMED plan name
}


async def get_info(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    return answer(200, {"data": ACCOUNT})

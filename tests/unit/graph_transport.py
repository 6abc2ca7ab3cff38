"""An azure-core transport that plays Microsoft Graph's group-membership answers and records every request.

Shapes from Graph's v1.0 reference: directoryObject getMemberGroups (POST .../directoryObjects/{id}/getMemberGroups
with {"securityEnabledOnly": bool}, 200 {"@odata.context": ...#Collection(Edm.String), "value": [ids]}); user
transitiveMemberOf cast to groups (GET /me/transitiveMemberOf/microsoft.graph.group, 200 {"value": [{"@odata.type":
"#microsoft.graph.group", "id": ...}], "@odata.nextLink" while more pages}); errors as {"error": {"code", "message"}}
(404 Request_ResourceNotFound for an unknown object, 403 Authorization_RequestDenied without the permission).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from tests.unit.dfs_transport import InMemoryTransport, Response, Sent

GRAPH_HOST = "graph.microsoft.com"
COLLECTION = "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)"


def fake_jwt(claims: dict) -> str:
    """An unsigned JWT with these claims (Graph tokens are JWTs; the code reads oid and scp from them)."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.signature"


@dataclass
class JwtToken:
    """A credential whose token names an object ID (delegated: with scp; an application's: without)."""

    oid: str
    delegated: bool = True
    scopes: list[tuple[str, ...]] = field(default_factory=list)

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        claims = {"oid": self.oid, "tid": "33333333-0000-4000-8000-000000000003", "aud": "https://graph.microsoft.com",
                  **({"scp": "User.Read"} if self.delegated else {"roles": ["GroupMember.Read.All"]})}
        return AccessToken(fake_jwt(claims), int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))


class NoIdentity:
    """A credential that has no Entra identity to offer, as DefaultAzureCredential on a machine without one."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token (no identity in tests)")


@dataclass
class FakeGraph(InMemoryTransport):
    """Member groups by object ID, the signed-in user's groups in pages, and objects Graph may not read."""

    member_groups: dict[str, list[str]] = field(default_factory=dict)
    my_pages: list[list[str]] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)  # object IDs whose lookup answers 403
    sent: list[Sent] = field(default_factory=list)

    def send(self, request, **kwargs):
        url = urlparse(request.url)
        body = request.content if hasattr(request, "content") else request.body
        body = body.decode() if isinstance(body, bytes) else str(body or "")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.sent.append(Sent(request.method, unquote(url.path), query, dict(request.headers), url.netloc, body))
        parts = unquote(url.path).strip("/").split("/")
        if request.method == "POST" and parts[:2] == ["v1.0", "directoryObjects"] and parts[3:] == ["getMemberGroups"]:
            object_id = parts[2]
            if object_id in self.denied:
                return _error(request, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the "
                              "operation.")
            if object_id not in self.member_groups:
                return _error(request, 404, "Request_ResourceNotFound",
                              f"Resource '{object_id}' does not exist or one of its queried reference-property objects "
                              "are not present.")
            return _ok(request, {"@odata.context": COLLECTION, "value": self.member_groups[object_id]})
        if request.method == "GET" and parts == ["v1.0", "me", "transitiveMemberOf", "microsoft.graph.group"]:
            page = int(query.get("$skiptoken", "0"))
            answer = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups(id)",
                      "value": [{"@odata.type": "#microsoft.graph.group", "id": g} for g in self.my_pages[page]]}
            if page + 1 < len(self.my_pages):
                answer["@odata.nextLink"] = (f"https://{GRAPH_HOST}/v1.0/me/transitiveMemberOf/microsoft.graph.group"
                                             f"?$select=id&$skiptoken={page + 1}")
            return _ok(request, answer)
        return _error(request, 400, "BadRequest", "Unsupported request in the fake.")


def _ok(request, body: dict) -> Response:
    return Response(request, 200, {"Content-Type": "application/json"}, json.dumps(body).encode())


def _error(request, status: int, code: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "r", "date": "2026-12-02T16:00:00"}}}
    return Response(request, status, {"Content-Type": "application/json"}, json.dumps(body).encode())

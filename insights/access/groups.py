"""Which Entra ID groups a principal is in, read from Microsoft Graph, so a role granted to a group applies to its members.

- `--as OBJECT_ID` (a user, service principal or group not listed in access.yaml itself):
  `POST /v1.0/directoryObjects/{id}/getMemberGroups` with `{"securityEnabledOnly": false}`, transitive. The
  identity running the command needs GroupMember.Read.All with User.Read.All (User.ReadBasic.All when
  delegated), or Directory.Read.All.
- The signed-in identity (no `--as`, no INSIGHTS_PRINCIPAL): its object ID is the `oid` of its own Graph
  token. A user's token (delegated: it has `scp`) reads `GET /v1.0/me/transitiveMemberOf/microsoft.graph.group`,
  which needs only User.Read, page by page (`@odata.nextLink`); an application's token uses getMemberGroups
  on its own object ID (the permissions above).
The token is DefaultAzureCredential's for https://graph.microsoft.com/.default; requests go through azure-core's
pipeline (retries, bearer token), so tests inject a transport. Answers are cached for the process.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from azure.core import PipelineClient
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest

from schemas.permissions import AccessDenied, Permissions, permissions_for
from schemas.workspace import Workspace

GRAPH = "https://graph.microsoft.com"
SCOPE = "https://graph.microsoft.com/.default"
ME_GROUPS = "/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id"


class GroupLookupFailed(RuntimeError):
    """Graph did not answer which groups a principal is in; the message says what Graph said and what is needed."""


@dataclass(frozen=True)
class Membership:
    """A principal's object ID and every group it is in, directly or through other groups."""

    object_id: str
    groups: frozenset[str]


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (not verified: the token is our own, just issued by Entra ID to this process)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise GroupLookupFailed("the Graph token is not a JWT: cannot tell who is signed in") from exc


class GroupLookup:
    """Graph's answers for one process: member groups by object ID, and the signed-in identity's."""

    def __init__(self, credential: Any = None, transport: Any = None, endpoint: str = GRAPH):
        self._credential, self._transport, self._endpoint = credential, transport, endpoint
        self._client: PipelineClient | None = None
        self._groups: dict[str, frozenset[str]] = {}
        self._me: Membership | None = None

    def _credential_or_default(self) -> Any:
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._client is None:
            policies = [HeadersPolicy(), UserAgentPolicy("customer-insights"), RetryPolicy(),
                        BearerTokenCredentialPolicy(self._credential_or_default(), SCOPE)]
            self._client = PipelineClient(self._endpoint, policies=policies, transport=self._transport)
        url = path if path.startswith("https://") else self._endpoint + path
        response = self._client.send_request(HttpRequest(method, url, json=body))
        if response.status_code != 200:
            error = _json(response).get("error") or {}
            needed = (" (needed: GroupMember.Read.All and User.Read.All, or Directory.Read.All; the signed-in user's "
                      "own groups need only User.Read)") if response.status_code in (401, 403) else ""
            raise GroupLookupFailed(
                f"Microsoft Graph answered {response.status_code} {error.get('code', '')} to {method} {path}: "
                f"{error.get('message', response.text()[:200])}{needed}")
        return _json(response)

    def member_groups(self, object_id: str) -> frozenset[str]:
        """Every group the directory object is in (transitive), asked once per process."""
        key = object_id.strip().lower()
        if key not in self._groups:
            answer = self._send("POST", f"/v1.0/directoryObjects/{key}/getMemberGroups", {"securityEnabledOnly": False})
            self._groups[key] = frozenset(g.lower() for g in answer.get("value", []))
        return self._groups[key]

    def groups_of(self, object_id: str) -> frozenset[str]:
        """The groups of an object ID: the signed-in identity's as read for it, anyone else's by getMemberGroups."""
        key = object_id.strip().lower()
        return self._me.groups if self._me is not None and self._me.object_id == key else self.member_groups(key)

    def signed_in(self) -> Membership:
        """Who is signed in (the Graph token's oid) and its groups, asked once per process."""
        if self._me is None:
            claims = token_claims(self._credential_or_default().get_token(SCOPE).token)
            object_id = str(claims.get("oid", "")).lower()
            if not object_id:
                raise GroupLookupFailed("the Graph token names no object ID (oid): cannot tell who is signed in")
            groups = self._my_groups() if "scp" in claims else self.member_groups(object_id)
            self._me = Membership(object_id, groups)
        return self._me

    def _my_groups(self) -> frozenset[str]:
        """The signed-in user's groups, every page of transitiveMemberOf."""
        found: set[str] = set()
        path: str | None = ME_GROUPS
        while path:
            answer = self._send("GET", path)
            found |= {str(g["id"]).lower() for g in answer.get("value", [])}
            path = answer.get("@odata.nextLink")
        return frozenset(found)


def _json(response: Any) -> dict[str, Any]:
    """The JSON body ({} if none): text() is there on azure-core's rest and legacy transport responses alike."""
    try:
        answer = json.loads(response.text() or "{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def principal_permissions(workspace: Workspace, principal: str | None, local_lake: bool,
                          lookup: GroupLookup | None = None) -> Permissions:
    """What the principal may read, its groups looked up only when access.yaml does not list it itself.

    No principal on a remote lake: the signed-in identity (its Graph token's oid). A local lake without one
    is read as admin, as before (whoever runs the command can open its files). When Graph cannot be asked,
    the refusal is the one without groups, with the reason.
    """
    access = workspace.access
    listed = principal and access is not None and principal.strip().lower() in access.principals
    if access is None or listed or (not principal and local_lake):
        return permissions_for(workspace, principal, local_lake)
    lookup = lookup or process_lookup()
    try:
        principal = principal or lookup.signed_in().object_id
        return permissions_for(workspace, principal, local_lake, groups_of=lookup.groups_of)
    except (GroupLookupFailed, AzureError) as exc:
        reason = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        try:
            permissions_for(workspace, principal, local_lake)  # the refusal without groups
        except AccessDenied as refused:
            raise AccessDenied(f"{refused} (groups not looked up in Microsoft Graph: {reason})") from exc
        raise


_PROCESS: GroupLookup | None = None


def process_lookup() -> GroupLookup:
    """The lookup this process shares (DefaultAzureCredential, Graph over the network)."""
    global _PROCESS
    if _PROCESS is None:
        _PROCESS = GroupLookup()
    return _PROCESS

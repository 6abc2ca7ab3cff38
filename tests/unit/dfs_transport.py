"""An azure-core transport that plays the ADLS Gen2 DFS endpoint's ACL operations and records every request.

Azurite has no DFS endpoint, so the ACL calls are checked here against the REST API's documented
shapes: Path - Get Properties (HEAD ?action=getAccessControl: x-ms-owner, x-ms-group,
x-ms-permissions, x-ms-acl headers; 404 x-ms-error-code PathNotFound), Path - Update
(PATCH ?action=setAccessControl with x-ms-acl; ?action=setAccessControlRecursive&mode=modify|remove
answering {directoriesSuccessful, filesSuccessful, failureCount, failedEntries}).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpResponse, HttpTransport
from azure.core.utils import case_insensitive_dict

OWNER = "11111111-0000-4000-8000-000000000001"  # the pipeline's managed identity owns the directories
BASE_ACL = "user::rwx,group::r-x,mask::r-x,other::---"


class Response(HttpResponse):
    """A canned answer: status, headers and a body held in memory."""

    def __init__(self, request, status: int, headers: dict[str, str], body: bytes = b""):
        super().__init__(request, None)
        self.status_code, self.reason, self._body = status, {200: "OK", 404: "Not Found"}.get(status, ""), body
        self.headers = case_insensitive_dict({"x-ms-request-id": "r", "x-ms-version": "2025-11-05", **headers,
                                              "Content-Length": str(len(body))})
        self.content_type = self.headers.get("Content-Type")

    def body(self) -> bytes:
        return self._body

    def read(self) -> bytes:  # the Blob client reads an error's body this way (Get Blob's 404)
        return self._body


@dataclass(frozen=True)
class Sent:
    """One request as the SDK sent it."""

    method: str
    path: str  # URL-decoded, /<file system>/<directory>
    query: dict[str, str]
    headers: dict[str, str]
    host: str = ""
    body: str = ""


class InMemoryTransport(HttpTransport):
    """A transport with nothing to open or close: subclasses answer send() from memory."""

    def open(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


@dataclass
class FakeDfs(InMemoryTransport):
    """Directories (path under the file system -> ACL text and file count) answering the ACL operations."""

    file_system: str
    acls: dict[str, str]
    files: dict[str, int] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)  # directories whose recursive change fails on one file
    sent: list[Sent] = field(default_factory=list)

    def send(self, request, **kwargs):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = unquote(url.path)
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        self.sent.append(Sent(request.method, path, query, dict(request.headers), url.netloc, body))
        if request.method == "POST" and query == {"restype": "service", "comp": "userdelegationkey"}:
            return Response(request, 200, {"Content-Type": "application/xml"}, delegation_key(body).encode())
        directory = path.removeprefix(f"/{self.file_system}").strip("/")
        if directory not in self.acls:
            return Response(request, 404, {"x-ms-error-code": "PathNotFound"})
        if request.method == "HEAD" and query.get("action") == "getAccessControl":
            return Response(request, 200, {"x-ms-owner": OWNER, "x-ms-group": "$superuser",
                                           "x-ms-permissions": "rwxr-x---", "x-ms-acl": self.acls[directory],
                                           "ETag": '"0x1"', "Last-Modified": "Tue, 01 Dec 2026 12:00:00 GMT"})
        if request.method == "PATCH" and query.get("action") == "setAccessControl":
            self.acls[directory] = request.headers["x-ms-acl"]
            return Response(request, 200, {"ETag": '"0x2"', "Last-Modified": "Tue, 01 Dec 2026 12:00:01 GMT"})
        if request.method == "PATCH" and query.get("action") == "setAccessControlRecursive":
            return self._recursive(request, directory, query["mode"], first="continuation" not in query)
        return Response(request, 400, {"x-ms-error-code": "UnsupportedOperation"})

    def _recursive(self, request, directory: str, mode: str, first: bool):
        given = request.headers["x-ms-acl"].split(",")
        entries = dict(_split(e) for e in self.acls[directory].split(","))
        for entry in given:
            key, permissions = _split(entry) if mode == "modify" else (entry, None)
            if mode == "modify":
                entries[key] = permissions
            else:
                entries.pop(key, None)
        self.acls[directory] = ",".join(f"{k}:{v}" for k, v in entries.items())
        failed = [{"errorMessage": "This request is not authorized to perform this operation.",
                   "name": f"{directory}/part-0.parquet", "type": "FILE"}] if directory in self.failing and first else []
        body = {"directoriesSuccessful": 1, "filesSuccessful": self.files.get(directory, 0) - len(failed),
                "failureCount": len(failed), "failedEntries": failed}
        headers = {"Content-Type": "application/json", **({"x-ms-continuation": "VBaHi4TfzA"} if failed else {})}
        return Response(request, 200, headers, json.dumps(body).encode())



SIGNER_OID, TENANT = "22222222-0000-4000-8000-000000000002", "33333333-0000-4000-8000-000000000003"
KEY_VALUE = "a2V5LWZvci10ZXN0cy1vbmx5LW5vdC1hLXJlYWwta2V5LTAxMjM0NTY3ODk="  # base64, as the service sends it


def delegation_key(request_body: str) -> str:
    """Get User Delegation Key's documented response, valid for the KeyInfo's Start and Expiry asked for."""
    start = request_body.split("<Start>")[1].split("</Start>")[0]
    expiry = request_body.split("<Expiry>")[1].split("</Expiry>")[0]
    return (f'<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>{SIGNER_OID}</SignedOid>'
            f"<SignedTid>{TENANT}</SignedTid><SignedStart>{start}</SignedStart><SignedExpiry>{expiry}</SignedExpiry>"
            f"<SignedService>b</SignedService><SignedVersion>2025-11-05</SignedVersion><Value>{KEY_VALUE}</Value>"
            "</UserDelegationKey>")


def _split(entry: str) -> tuple[str, str]:
    key, _, permissions = entry.rpartition(":")
    return key, permissions


class StaticToken:
    """A bearer token credential that never calls Entra ID."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken("test-token", int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))

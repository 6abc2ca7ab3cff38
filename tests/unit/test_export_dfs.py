"""The DFS side of an export (ADLS Gen2: no emulator), through an azure-core transport that records each request.

Checked against the Data Lake Storage REST API's documented shapes: Path - Create (PUT ?resource=file|directory,
x-ms-rename-source for a rename), Path - Update (PATCH ?action=append&position=N with the bytes, then
?action=flush&position=<length>), metadata as x-ms-properties, Path - List (GET ?resource=filesystem
&directory=&recursive=true), Get Blob Properties (HEAD, x-ms-meta-*), Path - Delete (DELETE ?recursive=true).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlparse

from jobs.export.destination import Destination, open_store
from jobs.export.stale import remove_stale_staging
from tests.unit.dfs_transport import InMemoryTransport, Response, Sent, StaticToken

STAMP = {"ETag": '"0x1"', "Last-Modified": "Tue, 01 Dec 2026 12:00:00 GMT"}


@dataclass
class RecordingDfs(InMemoryTransport):
    """Answers create, append, flush, rename and delete as the service does; remembers what was sent."""

    sent: list[Sent] = field(default_factory=list)
    listing: dict[str, tuple[int, str]] = field(default_factory=dict)  # file path -> size, sha256 (for GET/HEAD)
    modified: dict[str, str] = field(default_factory=dict)  # file path -> Last-Modified (default STAMP's)

    def send(self, request, **kwargs):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        self.sent.append(Sent(request.method, unquote(url.path), query, dict(request.headers), url.netloc,
                              body.decode("latin-1")))
        if request.method == "GET" and query.get("resource") == "filesystem":  # Path - List
            paths = [{"name": n, "contentLength": str(size), "isDirectory": "false", "etag": "0x1",
                      "lastModified": self.modified.get(n, STAMP["Last-Modified"])}
                     for n, (size, _) in self.listing.items()]
            return Response(request, 200, {"Content-Type": "application/json"}, json.dumps({"paths": paths}).encode())
        if request.method == "HEAD":  # Get Blob Properties (the SDK asks the Blob endpoint): x-ms-meta-<name>
            _, digest = self.listing[unquote(url.path).removeprefix("/exports/")]
            return Response(request, 200, {**STAMP, "x-ms-meta-sha256": digest, "x-ms-blob-type": "BlockBlob"})
        if request.method == "GET":  # Get Blob (a read): none of these files exist
            return Response(request, 404, {"x-ms-error-code": "BlobNotFound"})
        status = {"PUT": 201, "DELETE": 200}.get(request.method, 202 if query.get("action") == "append" else 200)
        return Response(request, status, STAMP)



def store(transport):
    destination = Destination.parse("abfss://exports@acct.dfs.core.windows.net/crm")
    return open_store(destination, StaticToken(), transport=transport)


def test_a_file_is_created_appended_and_flushed_with_its_checksum_as_metadata():
    transport = RecordingDfs()
    data = b"parquet bytes " * 100
    digest = hashlib.sha256(data).hexdigest()
    store(transport).put("crm/_staging/abc/golden_customer/part-00000.parquet", data, digest)
    create, append, flush = transport.sent
    assert (create.method, create.path, create.query["resource"]) == (
        "PUT", "/exports/crm/_staging/abc/golden_customer/part-00000.parquet", "file")
    assert create.host == "acct.dfs.core.windows.net" and create.headers["Authorization"] == "Bearer test-token"
    # Path - Create's x-ms-properties: name=base64(value) pairs, the file's metadata
    assert create.headers["x-ms-properties"] == "sha256=" + base64.b64encode(digest.encode()).decode()
    assert (append.method, append.query["action"], append.query["position"]) == ("PATCH", "append", "0")
    assert append.body.encode("latin-1") == data
    assert (flush.method, flush.query["action"], flush.query["position"]) == ("PATCH", "flush", str(len(data)))


def test_publish_is_one_rename_of_the_staging_directory():
    transport = RecordingDfs()
    store(transport).publish("crm/_staging/abc", "crm/abc")
    (rename,) = transport.sent
    assert (rename.method, rename.path) == ("PUT", "/exports/crm/abc")
    assert rename.headers["x-ms-rename-source"].split("?")[0] == "/exports/crm/_staging/abc"
    assert rename.query.get("mode") == "legacy"


def test_delete_removes_the_directory_recursively():
    transport = RecordingDfs()
    store(transport).delete("crm/_staging/abc/golden_customer")
    (delete,) = transport.sent
    assert (delete.method, delete.path, delete.query["recursive"]) == (
        "DELETE", "/exports/crm/_staging/abc/golden_customer", "true")


def test_files_lists_the_directory_recursively_and_reads_each_checksum_from_its_properties():
    transport = RecordingDfs(listing={"crm/_staging/abc/golden_customer/part-00000.parquet": (12, "ab" * 32)})
    (found,) = store(transport).files("crm/_staging/abc")
    assert (found.path, found.size, found.sha256) == ("crm/_staging/abc/golden_customer/part-00000.parquet", 12, "ab" * 32)
    listed, head = transport.sent
    assert (listed.method, listed.path, listed.query["directory"], listed.query["recursive"]) == (
        "GET", "/exports", "crm/_staging/abc", "true")
    assert (head.method, head.path) == ("HEAD", "/exports/crm/_staging/abc/golden_customer/part-00000.parquet")
    assert (listed.host, head.host) == ("acct.dfs.core.windows.net", "acct.blob.core.windows.net")


def test_staging_of_other_ids_unchanged_for_over_a_day_is_removed_with_one_recursive_delete(caplog):
    staged = {"crm/_staging/old0000000000000/golden_customer/part-00000.parquet": "Tue, 01 Dec 2026 10:00:00 GMT",
              "crm/_staging/old0000000000000/_tables/golden_customer.json": "Tue, 01 Dec 2026 10:00:05 GMT",
              "crm/_staging/fresh00000000000/golden_customer/part-00000.parquet": "Thu, 03 Dec 2026 11:30:00 GMT",
              "crm/_staging/mine000000000000/golden_customer/part-00000.parquet": "Mon, 30 Nov 2026 09:00:00 GMT"}
    transport = RecordingDfs(listing={p: (12, "ab" * 32) for p in staged}, modified=staged)
    with caplog.at_level("INFO", logger="jobs.export.stale"):
        removed = remove_stale_staging(store(transport), "crm", "mine000000000000", now=datetime(2026, 12, 3, 12, tzinfo=UTC))
    assert [(r.path, r.files) for r in removed] == [("crm/_staging/old0000000000000", 2)]
    assert "unchanged for 50 h" in removed[0].reason and "crm/_staging/old0000000000000" in caplog.text
    listed = transport.sent[0]
    assert (listed.method, listed.query["directory"], listed.query["recursive"]) == ("GET", "crm/_staging", "true")
    assert not [s for s in transport.sent if s.method == "HEAD"], "no checksum is read to judge staging"
    deletes = [(s.path, s.query.get("recursive")) for s in transport.sent if s.method == "DELETE"]
    assert deletes == [("/exports/crm/_staging/old0000000000000", "true")]  # not the fresh one, not this export's own

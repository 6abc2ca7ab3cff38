"""Azurite's Blob service (npm package `azurite`, installed into .tools/ by `make azurite`) for the export tests.

Started on loopback on a free port with a temporary --location, telemetry off and the access log silent;
stopped by its process id. `running(location, tls)` serves HTTPS with that certificate and `--oauth basic`
(bearer tokens, user delegation keys: tests/azurite_oauth.py); clients then verify against the certificate.
With CI=true a missing azurite fails the test (make test installs it), else it
skips with the command that installs it. The account and key are Azurite's public, well-known dev ones.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.azurite_oauth import Tls

BINARY = Path(__file__).resolve().parents[1] / ".tools" / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_SECONDS = 30


@dataclass(frozen=True)
class Azurite:
    """A running Blob endpoint: its account URL (path-style, account in the path) and the shared key."""

    account_url: str
    verify: str | bool = True  # the certificate clients verify an HTTPS Azurite against (azure-core connection_verify)

    def credential(self):
        from azure.core.credentials import AzureNamedKeyCredential

        return AzureNamedKeyCredential(ACCOUNT, KEY)

    def container(self, name: str):
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient(self.account_url, credential=self.credential(), connection_verify=self.verify)
        client = service.get_container_client(name)
        if not client.exists():
            client.create_container()
        return client


def binary() -> Path:
    """The azurite-blob script; missing: a failure under CI, else a skip naming the install command."""
    if BINARY.exists():
        return BINARY
    message = f"azurite is not installed at {BINARY}: run `make azurite` (make test does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running(location: Path, tls: Tls | None = None) -> Iterator[Azurite]:
    """Azurite's Blob service for the duration of the block, its data in location; with tls, HTTPS and OAuth."""
    port = _free_port()
    secure = ["--cert", str(tls.cert), "--key", str(tls.key), "--oauth", "basic"] if tls else []
    process = subprocess.Popen(
        [str(binary()), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(location),
         "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", *secure],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
                pytest.fail(f"azurite did not start on port {port}: {output[-2000:]}")
            time.sleep(0.1)
        scheme = "https" if tls else "http"
        yield Azurite(f"{scheme}://127.0.0.1:{port}/{ACCOUNT}", str(tls.cert) if tls else True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

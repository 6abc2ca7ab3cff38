"""What Azurite's `--oauth basic` needs to hand out user delegation keys: HTTPS (a self-signed cert) and a bearer JWT.

Azurite accepts a bearer token only over HTTPS; in basic mode it decodes the JWT and checks its times (nbf, iat,
exp), issuer (an Entra `sts.windows.net` prefix) and audience (`https://storage.azure.com`), not its signature
(Azurite's BlobTokenAuthenticator.authenticateBasic). Get User Delegation Key then answers with a key derived
from the token's oid and tid, so a SAS signed with it names that signer (skoid, sktid) as ADLS would.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # any GUID: Azurite checks only that the issuer names Entra
SIGNER = "11111111-0000-4000-8000-000000000001"  # the object ID running `insights access sas`


@dataclass(frozen=True)
class Tls:
    """A certificate for 127.0.0.1 and its private key, as PEM files Azurite's --cert/--key read."""

    cert: Path
    key: Path


def self_signed(folder: Path) -> Tls:
    """A one-day RSA certificate for 127.0.0.1, made at test time (clients verify against it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    tls = Tls(folder / "azurite.pem", folder / "azurite.key")
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
    return tls


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class EntraToken:
    """A TokenCredential whose tokens look like Entra ID's for storage (RS256, signed with the TLS key)."""

    key_file: Path
    oid: str = SIGNER
    tid: str = TENANT

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        """A JWT for https://storage.azure.com, valid for an hour, naming oid and tid."""
        now = int(time.time())
        claims = {"aud": "https://storage.azure.com", "iss": f"https://sts.windows.net/{self.tid}/", "iat": now,
                  "nbf": now - 60, "exp": now + 3600, "oid": self.oid, "tid": self.tid, "scp": "user_impersonation"}
        head = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
        private = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        signature = private.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256())
        return AccessToken(f"{head}.{_b64(signature)}", now + 3600)

"""`insights access sas`: refused beyond the role without network; the SAS's fields and signature as documented."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from insights.access import sas as sas_module
from insights.access.lake_storage import LakeLocation
from insights.access.sas import lifetime, sas_request, sign
from insights.cli import main
from schemas.permissions import AccessDenied, permissions_for
from tests.unit.access_world import ADMIN, LAKE, MARKETING, POWERBI, READER, retail, workspace_dir
from tests.unit.dfs_transport import KEY_VALUE, SIGNER_OID, TENANT, FakeDfs, StaticToken

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
__all__ = ["retail", "workspace_dir"]  # fixtures


def request_as(retail, principal: str, path: str, permissions: str = "r", expires: str = "1h"):
    return sas_request(retail, permissions_for(retail, principal), path, permissions, expires, "retail", NOW)


def test_lifetimes_are_minutes_hours_or_days_up_to_a_week():
    assert lifetime("90m") == timedelta(minutes=90) and lifetime("7d") == timedelta(days=7)
    for bad, why in (("8d", "at most 7 days"), ("0h", "like 30m"), ("1w", "like 30m")):
        with pytest.raises(ValueError, match=why):
            lifetime(bad)


def test_a_table_the_role_may_not_read_whole_is_refused_naming_the_grant(retail):
    with pytest.raises(AccessDenied, match=rf"principal {READER} \(role 'reader'\) may not read silver/support_case "
                                           r"as files: no grant on \['support_case'\]"):
        request_as(retail, READER, "silver/support_case")
    with pytest.raises(AccessDenied, match="may not read gold/customer_360 as files: no grant on \\['support_case'\\]"):
        request_as(retail, READER, "gold/customer_360")
    with pytest.raises(AccessDenied, match="silver/customer as files: masked columns"):
        request_as(retail, MARKETING, "silver/customer")


def test_more_than_read_and_list_is_refused_even_for_an_admin(retail):
    with pytest.raises(AccessDenied, match="may be given at most 'rl' \\(read, list\\).*'wd' is refused"):
        request_as(retail, ADMIN, "gold/customer_360", "rwdl")
    with pytest.raises(ValueError, match="use letters of racwdlmeop"):
        request_as(retail, ADMIN, "gold/customer_360", "rx")
    with pytest.raises(ValueError, match="is not a table of the catalogue"):
        request_as(retail, ADMIN, "gold/customer_999")


def test_what_is_granted_is_scoped_to_the_table_directory(retail):
    granted = request_as(retail, POWERBI, "silver/purchase", "lr", "2h")
    assert granted.directory == "retail/silver/purchase" and granted.permissions == "rl"
    assert granted.expiry == NOW + timedelta(hours=2) and granted.start == NOW - timedelta(minutes=5)
    assert granted.agent == POWERBI  # a service principal: ADLS checks its ACLs too
    assert request_as(retail, READER, "silver/purchase").agent is None  # a group cannot be the SAS's user


def test_the_sas_carries_the_documented_fields_and_a_signature_over_them(retail):
    granted = request_as(retail, POWERBI, "silver/purchase", "rl")
    dfs, signed = FakeDfs("lake", {}), []
    url = sign(granted, LakeLocation.parse(LAKE), credential=StaticToken(), sts_hook=signed.append, transport=dfs)
    [key_request] = dfs.sent
    assert (key_request.method, key_request.host, key_request.query) == (
        "POST", "acct.blob.core.windows.net", {"restype": "service", "comp": "userdelegationkey"})
    assert "<Start>2026-12-01T11:55:00Z</Start><Expiry>2026-12-01T13:00:00Z</Expiry>" in key_request.body
    parsed = urlparse(url)
    assert (parsed.netloc, parsed.path) == ("acct.dfs.core.windows.net", "/lake/retail/silver/purchase")
    fields = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert fields["sr"] == "d" and fields["sdd"] == "3" and fields["sp"] == "rl" and fields["spr"] == "https"
    assert (fields["st"], fields["se"]) == ("2026-12-01T11:55:00Z", "2026-12-01T13:00:00Z")
    assert (fields["skoid"], fields["sktid"], fields["sks"]) == (SIGNER_OID, TENANT, "b")
    assert (fields["skt"], fields["ske"]) == (fields["st"], fields["se"])
    assert fields["suoid"] == POWERBI and "saoid" not in fields and fields["sv"]
    [string_to_sign] = signed
    lines = string_to_sign.split("\n")
    assert lines[:4] == ["rl", fields["st"], fields["se"], "/blob/acct/lake/retail/silver/purchase"]
    assert lines[4:10] == [SIGNER_OID, TENANT, fields["skt"], fields["ske"], "b", fields["skv"]]
    assert POWERBI in lines and fields["sv"] in lines and "d" in lines and "https" in lines
    expected = hmac.new(base64.b64decode(KEY_VALUE), string_to_sign.encode(), hashlib.sha256).digest()
    assert fields["sig"] == base64.b64encode(expected).decode()


def test_the_command_prints_the_url_or_the_refusal(monkeypatch, workspace_dir):
    monkeypatch.setenv("INSIGHTS_MLFLOW_URI", "http://127.0.0.1:5000")
    dfs, real = FakeDfs("lake", {}), sas_module.DataLakeServiceClient
    monkeypatch.setattr(sas_module, "DataLakeServiceClient",
                        lambda url, credential: real(url, credential=StaticToken(), transport=dfs))
    args = ["access", "sas", "--workspace", str(workspace_dir), "--lake", LAKE, "--expires", "30m"]
    ok = CliRunner().invoke(main, [*args, "--path", "gold/kpis_business", "--as", ADMIN])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("https://acct.dfs.core.windows.net/lake/retail/gold/kpis_business?") and "sr=d" in ok.output
    refused = CliRunner().invoke(main, [*args, "--path", "gold/scores", "--as", READER])
    assert refused.exit_code == 1 and "may not read gold/scores as files: no grant on predictions ['churn_90d']" \
        in refused.output
    nobody = CliRunner().invoke(main, [*args, "--path", "gold/scores"])
    assert nobody.exit_code == 1 and "the lake is remote: say who you are with --as" in nobody.output
    assert len(dfs.sent) == 1  # only the granted SAS asked for a key

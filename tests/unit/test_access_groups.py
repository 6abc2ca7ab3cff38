"""A principal access.yaml does not list has the role of the listed group it is in, as Microsoft Graph says (no network).

Graph is tests/unit/graph_transport's FakeGraph behind azure-core's pipeline; each request is checked against the
documented shape (method, host, path, JSON body, bearer token for graph.microsoft.com/.default).
"""

from __future__ import annotations

import json

import pytest

from insights.access.groups import SCOPE, GroupLookup, principal_permissions
from insights.access.sas import sas_request
from schemas.permissions import AccessDenied
from tests.unit.access_world import MARKETING, READER, retail, workspace_dir
from tests.unit.graph_transport import GRAPH_HOST, FakeGraph, JwtToken, NoIdentity

__all__ = ["retail", "workspace_dir"]  # fixtures
USER = "aaaaaaaa-1111-4111-8111-000000000001"  # a campaign manager: in the marketing group through a nested group
APP = "bbbbbbbb-2222-4222-8222-000000000002"  # a service principal in the reader group
BOTH = "cccccccc-3333-4333-8333-000000000003"  # in the reader and the marketing group
UNLISTED_GROUP = "dddddddd-4444-4444-8444-000000000004"


def graph(**kwargs) -> FakeGraph:
    memberships = {USER: [UNLISTED_GROUP, MARKETING.upper()], APP: [READER], BOTH: [READER, MARKETING]}
    return FakeGraph(member_groups=memberships, **kwargs)


def test_a_member_of_a_granted_group_has_its_role_and_graph_is_asked_once(retail):
    transport, token = graph(), JwtToken(USER)
    lookup = GroupLookup(token, transport=transport)
    allowed = principal_permissions(retail, USER, local_lake=True, lookup=lookup)
    assert (allowed.principal, allowed.role, allowed.via_group) == (USER, "marketing", MARKETING)
    assert allowed.mask("customer", "email") == "hash" and not allowed.allows("types", "support_case")
    assert f"principal {USER} (role 'marketing', through group {MARKETING})" == allowed.who
    again = principal_permissions(retail, USER.upper(), local_lake=True, lookup=lookup)
    assert again.role == "marketing"
    (asked,) = transport.sent  # cached for the process
    assert (asked.method, asked.host, asked.path) == ("POST", GRAPH_HOST, f"/v1.0/directoryObjects/{USER}/getMemberGroups")
    assert json.loads(asked.body) == {"securityEnabledOnly": False}
    assert asked.headers["Content-Type"] == "application/json"
    assert asked.headers["Authorization"] == f"Bearer {token.get_token(SCOPE).token}"
    assert token.scopes[0] == (SCOPE,)


def test_a_principal_the_file_lists_is_not_looked_up(retail):
    transport = graph()
    allowed = principal_permissions(retail, READER, local_lake=False, lookup=GroupLookup(NoIdentity(), transport))
    assert allowed.role == "reader" and allowed.via_group is None and transport.sent == []


def test_the_signed_in_user_is_its_tokens_oid_with_every_page_of_its_groups(retail):
    transport = graph(my_pages=[[UNLISTED_GROUP], [READER]])
    allowed = principal_permissions(retail, None, local_lake=False, lookup=GroupLookup(JwtToken(USER), transport))
    assert (allowed.principal, allowed.role, allowed.via_group) == (USER, "reader", READER)
    first, second = transport.sent
    assert (first.method, first.path, first.query) == ("GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.group",
                                                       {"$select": "id"})
    assert second.query == {"$select": "id", "$skiptoken": "1"}  # the @odata.nextLink, followed as given


def test_a_signed_in_application_is_looked_up_by_its_own_object_id(retail):
    transport = graph()
    allowed = principal_permissions(retail, None, local_lake=False,
                                    lookup=GroupLookup(JwtToken(APP, delegated=False), transport))
    assert (allowed.principal, allowed.role) == (APP, "reader")
    assert [s.path for s in transport.sent] == [f"/v1.0/directoryObjects/{APP}/getMemberGroups"]
    request = sas_request(retail, allowed, "silver/purchase", "r", "1h", "retail")
    assert request.agent == APP  # ADLS checks the member's own ACLs (its group's entries), not nobody's


@pytest.mark.parametrize("who, denied, expected", [
    (BOTH, set(), "is in groups of different roles ("),
    ("eeeeeeee-5555-4555-8555-000000000005", set(), "is not in access.yaml (principals: "),
    (USER, {USER}, "403 Authorization_RequestDenied"),
])
def test_refusals_say_why_the_groups_gave_no_role(retail, who, denied, expected):
    lookup = GroupLookup(JwtToken(USER), transport=graph(denied=denied))
    with pytest.raises(AccessDenied) as refused:
        principal_permissions(retail, who, local_lake=True, lookup=lookup)
    assert expected in str(refused.value) and f"principal {who}" in str(refused.value)
    if who == BOTH:
        assert f"{READER} (Customer analysts): reader" in str(refused.value) and "marketing" in str(refused.value)
    if denied:
        assert "GroupMember.Read.All" in str(refused.value)


def test_without_an_entra_identity_a_remote_lake_still_asks_who_you_are(retail):
    transport = graph()
    with pytest.raises(AccessDenied) as refused:
        principal_permissions(retail, None, local_lake=False, lookup=GroupLookup(NoIdentity(), transport))
    assert "the lake is remote: say who you are with --as" in str(refused.value)
    assert "no identity in tests" in str(refused.value) and transport.sent == []

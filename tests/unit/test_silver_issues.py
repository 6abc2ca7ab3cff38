"""Values silver cannot normalise: null with a reason per row and attribute, counted in the asset's
metadata and reported by a warning of the silver suite, never a silent null nor a fake E.164."""

from __future__ import annotations

from collections import Counter

import dagster as dg
import phonenumbers
import pycountry
import pytest

from expectations.derived import unnormalised_values
from expectations.runner import validate
from expectations.suite import suite_for_silver
from jobs.bronze import land_source
from orchestration.assets.silver import NOT_NORMALISED, NOT_NORMALISED_BY, silver_assets
from orchestration.resources import LakeResource, SparkResource
from schemas import formats
from schemas.tables import Lake
from tests.unit.mini import mini_workspace

# One row per case: valid, invalid and blank emails, phones and countries (default region GB).
CONTACTS = """id,First Name,last,email,phone,dob,country
1,Ann,Lee,ann@example.com,07911 123456,01/02/1980,GB
2,Ben,Ode,not-an-email,555,01/02/1981,Atlantis
3,Cat,Poe,,07700 900123,,
4,Dov,Ray, Dov@Example.COM ,,,France
5,Eli,Sol,x@y,+44 1234,,XX
6,Fay,Tan,  ,+44 20 7946 0018,,  
7,Gus,Vik,gus@example.ie,087 235 1704,,Ireland
"""
EXPECTED = {  # record -> (attribute, reason), in mapping order; rows not named have no issue
    "contacts:2": [("email", formats.NOT_AN_EMAIL), ("phone", formats.PHONE_TOO_SHORT),
                   ("country", formats.UNKNOWN_COUNTRY)],
    "contacts:3": [("phone", formats.PHONE_NOT_VALID)],  # possible in GB, but a reserved drama number
    "contacts:5": [("email", formats.NOT_AN_EMAIL), ("phone", formats.PHONE_TOO_SHORT),
                   ("country", formats.UNKNOWN_COUNTRY)],
}


@pytest.fixture(scope="module")
def built(spark, tmp_path_factory):
    """The tiny source landed in bronze, then silver/customer materialised by its Dagster asset."""
    ws = mini_workspace(tmp_path_factory.mktemp("issues"))
    folder = ws.root / "data" / "contacts"
    (folder / "contacts_1.csv").write_text(CONTACTS)
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    for name in ("contacts", "members"):
        land_source(spark, name, ws.sources[name], ws.model, ws.source_location(name), lake)
    [asset] = [a for a in silver_assets(ws) if a.key == dg.AssetKey(["silver", "customer"])]
    result = dg.materialize([asset], resources={"spark": SparkResource(profile="test"),
                                                "lake": LakeResource(root=lake.root)})
    [event] = result.get_asset_materialization_events()
    silver = spark.read.format("delta").load(lake.silver("customer"))
    return ws, lake, event.materialization.metadata, silver


def test_exactly_the_values_that_cannot_be_normalised_have_a_reason(built):
    _, _, _, silver = built
    rows = {r.record_id: r for r in silver.collect()}
    issues = {rid: [(i.attribute, i.reason) for i in r["_issues"]] for rid, r in rows.items() if r["_issues"]}
    assert issues == EXPECTED
    for rid, attributes in EXPECTED.items():  # each is null in silver, not a fake value
        assert all(rows[rid][attribute] is None for attribute, _ in attributes)


def test_valid_and_blank_values_are_as_before(built):
    _, _, _, silver = built
    rows = {r.record_id: r for r in silver.collect()}
    assert (rows["contacts:1"].email, rows["contacts:1"].phone, rows["contacts:1"].country) == (
        "ann@example.com", "+447911123456", "GB")
    assert (rows["contacts:4"].email, rows["contacts:4"].phone, rows["contacts:4"].country) == (
        "dov@example.com", None, "FR")
    assert (rows["contacts:6"].email, rows["contacts:6"].phone, rows["contacts:6"].country) == (
        None, "+442079460018", None)  # blank in, null out, no reason
    assert (rows["contacts:7"].phone, rows["contacts:7"].country) == ("+353872351704", "IE")  # its own country's
    assert rows["members:M1"].email == "alice.smith@example.com" and rows["members:M1"]["_issues"] is None


def _recount(spark, lake) -> Counter:
    """Values per attribute silver cannot keep, recounted from bronze with pandas, phonenumbers, pycountry."""

    def blank(v):
        return v is None or not str(v).strip()

    def region(country):  # the record's own country, else the workspace default
        try:
            return pycountry.countries.lookup(country.strip()).alpha_2
        except (LookupError, AttributeError):
            return "GB"

    def bad_phone(v, country):
        try:
            number = phonenumbers.parse(v, region(country))
        except phonenumbers.NumberParseException:
            return True
        possible = phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE
        return not (possible and phonenumbers.is_valid_number(number))

    def bad_country(v):
        try:
            pycountry.countries.lookup(v.strip())
        except LookupError:
            return True
        return False

    counts: Counter = Counter()
    checks = {"email": lambda v: formats.normal_email(v) is None, "country": bad_country}
    for source, attributes in (("contacts", ("email", "phone", "country")), ("members", ("email",))):
        bronze = spark.read.format("delta").load(lake.bronze(source)).toPandas()
        for attribute in attributes:
            present = bronze[~bronze[attribute].map(blank)]
            if attribute == "phone":
                counts[attribute] += int(sum(bad_phone(v, c) for v, c in zip(present.phone, present.country)))
            else:
                counts[attribute] += int(present[attribute].map(checks[attribute]).sum())
    return counts


def test_the_asset_metadata_counts_what_an_independent_recount_finds(spark, built):
    _, lake, metadata, _ = built
    recount = _recount(spark, lake)
    by_reason = metadata[NOT_NORMALISED_BY].value
    assert {a: sum(reasons.values()) for a, reasons in by_reason.items()} == {a: n for a, n in recount.items() if n}
    assert metadata[NOT_NORMALISED].value == sum(recount.values()) == 7
    assert by_reason["phone"] == {formats.PHONE_TOO_SHORT: 2, formats.PHONE_NOT_VALID: 1}


def test_the_silver_suite_warns_of_each_value_without_failing(built):
    ws, _, _, silver = built
    report = validate(silver, suite_for_silver(ws.model, "customer"), sample_size=10)
    [warning] = [r for r in report.results if r.description == unnormalised_values().description]
    assert report.success  # a warning: the table is usable
    assert not warning.success and warning.severity == "warn" and warning.unexpected_count == 7
    listed = sorted((s["record_id"], s["attribute"], s["reason"]) for s in warning.sample)
    assert listed == sorted((rid, a, r) for rid, issues in EXPECTED.items() for a, r in issues)


def test_a_table_written_before_issues_existed_gains_the_column_without_new_rows(spark, tmp_path):
    """An old lake's silver table gets _issues (null) at its next build, so its suite's column set holds."""
    from jobs.silver import build_silver
    from jobs.writes import last_writer

    ws = mini_workspace(tmp_path)
    lake = Lake(str(tmp_path / "lake"))
    for name in ("contacts", "members"):
        land_source(spark, name, ws.sources[name], ws.model, ws.source_location(name), lake)
    build_silver(spark, ws, "customer", lake)
    path = lake.silver("customer")
    old = spark.read.format("delta").load(path).drop("_issues")
    old.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    result = build_silver(spark, ws, "customer", lake)  # no new bronze batch
    table = spark.read.format("delta").load(path)
    assert result.rows_inserted == result.rows_updated == 0
    assert "_issues" in table.columns and table.where("_issues IS NOT NULL").count() == 0
    assert last_writer(spark, path) == "jobs.silver"

"""The example data generator: deterministic, readable, consistent with its ground truth."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow.parquet as pq
import pytest

from insights.generator import SCALES, GenerationReport, generate
from insights.generator.chunks import KeySequence, plan_chunks

SEED = 7

# source -> (folder, format, columns, key columns, required columns)
SOURCES = {
    "crm_contacts": ("crm/contacts", "csv",
                     ["contact_id", "FirstName", "LastName", "Email", "Phone", "BirthDate", "Street", "City",
                      "PostCode", "Country", "CreatedAt"], ["contact_id"], ["contact_id"]),
    "webshop_accounts": ("webshop/accounts", "json",
                         ["account_id", "name", "email", "phone", "address", "created_at"],
                         ["account_id"], ["account_id", "email"]),
    "loyalty_members": ("loyalty/members", "parquet",
                        ["member_no", "first_name", "surname", "email", "mobile", "dob", "postcode", "country",
                         "tier", "home_store", "joined_at"], ["member_no"], ["member_no"]),
    "products": ("catalog/products", "csv", ["sku", "product_name", "category", "brand", "price"],
                 ["sku"], ["sku"]),
    "stores": ("catalog/stores", "csv", ["store_code", "store_name", "city", "country", "opened"],
               ["store_code"], ["store_code"]),
    "web_orders": ("webshop/orders", "json",
                   ["order_id", "account_id", "ordered_at", "total", "currency", "items", "status"],
                   ["order_id"], ["order_id", "account_id", "ordered_at"]),
    "web_order_lines": ("webshop/order_lines", "parquet",
                        ["order_id", "line_no", "account_id", "ordered_at", "sku", "qty", "unit_price"],
                        ["order_id", "line_no"], ["order_id", "line_no", "sku"]),
    "pos_transactions": ("pos/transactions", "parquet",
                         ["txn_id", "store_code", "member_no", "ts", "amount", "currency", "items"],
                         ["txn_id"], ["txn_id", "ts"]),
    "web_events": ("web/events", "json",
                   ["event_id", "ts", "account_id", "email", "session_id", "page", "event_type", "device"],
                   ["event_id"], ["event_id", "ts"]),
    "support_cases": ("support/cases", "csv",
                      ["case_id", "contact_id", "email", "phone", "opened_at", "closed_at", "channel", "category",
                       "priority", "escalated", "csat"], ["case_id"], ["case_id", "opened_at"]),
    "survey_responses": ("surveys/responses", "csv",
                         ["response_id", "email", "submitted_at", "survey", "nps", "csat", "comment"],
                         ["response_id"], ["response_id", "submitted_at"]),
}
PROFILE_SOURCES = ("crm_contacts", "webshop_accounts", "loyalty_members")
INTERACTION_SOURCES = ("web_orders", "web_order_lines", "pos_transactions", "web_events", "support_cases",
                       "survey_responses")


def _files(out: Path, source: str) -> list[Path]:
    folder, fmt, *_ = SOURCES[source]
    ext = {"csv": "*.csv", "json": "*.jsonl", "parquet": "*.parquet"}[fmt]
    return sorted((out / folder).glob(ext))


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value).strip() != ""


def read_source(out: Path, source: str) -> tuple[pd.DataFrame, int]:
    """(good rows, broken rows) read the way the pipeline must: shape and required columns checked."""
    _, fmt, columns, _, required = SOURCES[source]
    good: list[dict] = []
    bad = 0
    for path in _files(out, source):
        if fmt == "csv":
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                assert next(reader) == columns, path
                for fields in reader:
                    if len(fields) != len(columns):
                        bad += 1
                        continue
                    good.append(dict(zip(columns, [v if v != "" else None for v in fields], strict=True)))
        elif fmt == "json":
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    good.append(json.loads(line))
                except json.JSONDecodeError:
                    bad += 1
        else:
            table = pq.read_table(path)
            assert table.column_names == columns, path
            good.extend(table.to_pylist())
    frame = pd.DataFrame(good, columns=columns)
    ok = np.logical_and.reduce([frame[c].map(_filled).to_numpy() for c in required]) if len(frame) else []
    return frame[ok].reset_index(drop=True), bad + int((~np.asarray(ok, dtype=bool)).sum())


def key_of(frame: pd.DataFrame, source: str) -> pd.Series:
    key = SOURCES[source][3]
    return frame[key].astype(str).agg("|".join, axis=1) if len(key) > 1 else frame[key[0]].astype(str)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, GenerationReport]:
    out = tmp_path_factory.mktemp("tiny")
    return out, generate("tiny", SEED, out)


@pytest.fixture(scope="module")
def sources(tiny) -> dict[str, tuple[pd.DataFrame, int]]:
    out, _ = tiny
    return {s: read_source(out, s) for s in SOURCES}


@pytest.fixture(scope="module")
def truth(tiny) -> dict[str, object]:
    out, _ = tiny
    t = out / "_truth"
    return {
        "records": pd.read_csv(t / "records.csv", dtype=str),
        "interactions": pq.read_table(t / "interactions.parquet").to_pandas(),
        "people": pq.read_table(t / "people.parquet").to_pandas(),
        "bad_rows": pd.read_csv(t / "bad_rows.csv", dtype=str, keep_default_na=False),
        "manifest": json.loads((t / "manifest.json").read_text()),
    }


def test_same_scale_and_seed_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate("tiny", 3, a)
    generate("tiny", 3, b)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 15
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_another_seed_gives_other_data(tmp_path, tiny):
    out, _ = tiny
    generate("tiny", SEED + 1, tmp_path)
    rel = "crm/contacts/contacts_0001.csv"
    assert (tmp_path / rel).read_bytes() != (out / rel).read_bytes()


def test_tiny_reports_what_it_made(tiny):
    out, report = tiny
    assert report.seconds > 0  # how fast is the benchmark's business (insights bench), not a test's
    assert report.scale == "tiny" and report.seed == SEED and report.out == out
    assert report.people == SCALES["tiny"].people
    assert 2_000 <= sum(report.rows[s] for s in INTERACTION_SOURCES) <= 6_000


def test_rerun_replaces_previous_parts(tmp_path):
    (tmp_path / "web/events").mkdir(parents=True)
    (tmp_path / "web/events/events_0099.jsonl").write_text("stale\n")
    (tmp_path / "keep.txt").write_text("mine")
    generate("tiny", 1, tmp_path)
    assert not (tmp_path / "web/events/events_0099.jsonl").exists()
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        generate("huge", 1, tmp_path)


def test_every_file_reads_with_pandas_and_pyarrow(tiny):
    out, _ = tiny
    for source, (_, fmt, columns, _, _) in SOURCES.items():
        files = _files(out, source)
        assert files, source
        for path in files:
            if fmt == "csv":
                frame = pd.read_csv(path, dtype=str, on_bad_lines="skip")
                assert list(frame.columns) == columns
            elif fmt == "json":
                good = []
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    good.append(line)
                frame = pd.read_json(io.StringIO("\n".join(good)), lines=True, dtype=False)
                assert list(frame.columns) == columns and len(frame) == len(good)
            else:
                assert pq.read_table(path).column_names == columns


def test_parquet_types(tiny):
    out, _ = tiny
    members = pq.read_table(_files(out, "loyalty_members")[0]).schema
    assert str(members.field("dob").type) == "date32[day]"
    assert str(members.field("joined_at").type) == "timestamp[us, tz=UTC]"
    lines = pq.read_table(_files(out, "web_order_lines")[0]).schema
    assert str(lines.field("line_no").type) == "int32" and str(lines.field("qty").type) == "int32"
    assert str(lines.field("unit_price").type) == "double"
    assert str(lines.field("ordered_at").type) == "timestamp[us, tz=UTC]"
    pos = pq.read_table(_files(out, "pos_transactions")[0]).schema
    assert str(pos.field("items").type) == "int32" and str(pos.field("ts").type) == "timestamp[us, tz=UTC]"


def test_good_and_bad_row_counts_match_the_manifest(sources, truth):
    manifest = truth["manifest"]
    listed = Counter(truth["bad_rows"]["source"])
    for source, (good, bad) in sources.items():
        assert len(good) == manifest["rows"][source], source
        assert bad == manifest["bad_rows"][source] == listed.get(source, 0), source
    for source in ("crm_contacts", "webshop_accounts", "web_orders", "web_events", "support_cases",
                   "survey_responses", "pos_transactions"):
        assert manifest["bad_rows"][source] >= 1, source
    assert manifest["as_of"] == "2026-06-30T00:00:00Z" and manifest["people"] == SCALES["tiny"].people


def test_bad_rows_are_listed_with_file_and_key(tiny, truth):
    out, _ = tiny
    for row in truth["bad_rows"].itertuples():
        assert (out / row.file).is_file()
        assert row.problem
        if row.key:
            assert row.key in (out / row.file).read_text(encoding="utf-8")
    keyed = truth["bad_rows"][truth["bad_rows"]["key"] != ""]
    assert not keyed.empty


def test_keys_are_unique(sources):
    for source, (good, _) in sources.items():
        keys = key_of(good, source)
        assert keys.is_unique, source


def test_every_good_profile_record_is_in_the_truth(sources, truth):
    records = truth["records"]
    expected = {f"{s}:{k}" for s in PROFILE_SOURCES for k in key_of(sources[s][0], s)}
    assert set(records["record_id"]) == expected
    assert records["record_id"].is_unique and records["person_id"].notna().all()


def test_people_and_their_records(sources, truth):
    records, people = truth["records"], truth["people"]
    assert people["person_id"].is_unique
    assert set(records["person_id"]) == set(people["person_id"])  # everyone has at least one record
    source = records["record_id"].str.split(":").str[0]
    per_person = records.assign(source=source).groupby("person_id")["source"]
    assert (per_person.nunique() >= 2).sum() > 0.2 * len(people)
    assert (per_person.size() > per_person.nunique()).sum() >= 1  # duplicates within a source
    assert (people["country"] == "GB").mean() > 0.6
    assert people["email"].is_unique and people["phone"].is_unique
    # frequent names repeat across different people
    assert people["last_name"].value_counts().iloc[0] >= 3


def test_every_good_interaction_is_in_the_truth(sources, truth):
    inter = truth["interactions"]
    for source in INTERACTION_SOURCES:
        ids = {f"{source}:{k}" for k in key_of(sources[source][0], source)}
        assert set(inter.loc[inter["source"] == source, "interaction_id"]) == ids, source
    assert inter["interaction_id"].is_unique


def test_anonymous_interactions_have_no_person(sources, truth):
    inter = truth["interactions"].set_index("interaction_id")["person_id"]
    pos = sources["pos_transactions"][0]
    person = inter.loc["pos_transactions:" + pos["txn_id"]].to_numpy()
    assert (pd.isna(person) == pos["member_no"].isna().to_numpy()).all()
    assert 0.25 < pos["member_no"].isna().mean() < 0.55
    events = sources["web_events"][0]
    person = inter.loc["web_events:" + events["event_id"]].to_numpy()
    anonymous = (events["account_id"].isna() & events["email"].isna()).to_numpy()
    assert (pd.isna(person) == anonymous).all()
    assert events["email"].notna().any() and (events["account_id"].notna() & events["email"].isna()).any()
    for source in ("web_orders", "support_cases", "survey_responses"):
        assert inter[inter.index.str.startswith(source + ":")].notna().all(), source


def test_interactions_point_at_existing_records(sources):
    accounts = set(sources["webshop_accounts"][0]["account_id"])
    members = set(sources["loyalty_members"][0]["member_no"])
    contacts = set(sources["crm_contacts"][0]["contact_id"])
    stores = set(sources["stores"][0]["store_code"])
    skus = set(sources["products"][0]["sku"])
    assert set(sources["web_orders"][0]["account_id"]) <= accounts
    assert set(sources["web_order_lines"][0]["account_id"]) <= accounts
    assert set(sources["web_order_lines"][0]["sku"]) <= skus
    pos = sources["pos_transactions"][0]
    assert set(pos["member_no"].dropna()) <= members and set(pos["store_code"]) <= stores
    assert set(sources["loyalty_members"][0]["home_store"]) <= stores
    events = sources["web_events"][0]
    assert set(events["account_id"].dropna()) <= accounts
    cases = sources["support_cases"][0]
    assert set(cases["contact_id"].dropna()) <= contacts
    assert cases["contact_id"].notna().any() and cases["contact_id"].isna().any()


def test_order_totals_equal_the_sum_of_their_lines(sources):
    orders, lines = sources["web_orders"][0], sources["web_order_lines"][0]
    line_sum = (lines["qty"] * lines["unit_price"]).groupby(lines["order_id"]).sum().round(2)
    per_order = orders.set_index("order_id")
    assert set(line_sum.index) == set(per_order.index)
    assert np.allclose(per_order.loc[line_sum.index, "total"].to_numpy(), line_sum.to_numpy(), atol=1e-9)
    count = lines.groupby("order_id")["line_no"].agg(["size", "min", "max"])
    assert (count["size"] == per_order.loc[count.index, "items"]).all()
    assert (count["min"] == 1).all() and (count["max"] == count["size"]).all()
    first = lines.drop_duplicates("order_id").set_index("order_id")
    assert (first["account_id"] == per_order.loc[first.index, "account_id"]).all()
    ordered = pd.to_datetime(per_order.loc[first.index, "ordered_at"], utc=True)
    assert (first["ordered_at"] == ordered).all()
    assert set(orders["currency"]) <= {"GBP", "EUR", "USD"} and (orders["currency"] == "GBP").mean() > 0.5
    assert (orders["status"] == "completed").mean() > 0.75


def _truth_country(sources, truth, source: str, key_col: str) -> pd.Series:
    people = truth["people"].set_index("person_id")
    records = truth["records"].set_index("record_id")["person_id"]
    frame = sources[source][0]
    person = records.loc[source + ":" + frame[key_col]].to_numpy()
    return pd.Series(people.loc[person, "country"].to_numpy(), index=frame.index), pd.Series(
        people.loc[person, "phone"].to_numpy(), index=frame.index)


@pytest.mark.parametrize("source,key,column", [
    ("crm_contacts", "contact_id", "Phone"),
    ("webshop_accounts", "account_id", "phone"),
    ("loyalty_members", "member_no", "mobile"),
])
def test_phone_numbers_are_valid_and_match_the_person(sources, truth, source, key, column):
    country, e164 = _truth_country(sources, truth, source, key)
    frame = sources[source][0]
    phones = frame[column]
    assert phones.isna().mean() < 0.4
    formats = set()
    for i in np.flatnonzero(phones.notna().to_numpy()):
        number = phonenumbers.parse(phones.iloc[i], country.iloc[i])
        assert phonenumbers.is_valid_number(number), phones.iloc[i]
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164.iloc[i]
        formats.add(phones.iloc[i][:2])
    assert len(formats) >= 3  # '+4', '07', '(0', '00', ...


def test_people_phones_are_valid(truth):
    for phone in truth["people"]["phone"]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone


def _canonical_email(value: str) -> str:
    local, _, domain = value.strip().lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.split("+")[0].replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def test_emails_vary_in_form_but_belong_to_the_person(sources, truth):
    people = truth["people"].set_index("person_id")
    records = truth["records"].set_index("record_id")["person_id"]
    raw = []
    for source, key, column in (("crm_contacts", "contact_id", "Email"),
                                ("webshop_accounts", "account_id", "email"),
                                ("loyalty_members", "member_no", "email")):
        frame = sources[source][0]
        person = records.loc[source + ":" + frame[key]].to_numpy()
        for email, p in zip(frame[column], person, strict=True):
            if email is None or pd.isna(email):
                continue
            raw.append(email)
            mine = {_canonical_email(people.at[p, "email"])}
            if people.at[p, "second_email"] is not None:
                mine.add(_canonical_email(people.at[p, "second_email"]))
            assert _canonical_email(email) in mine, (email, mine)
    assert any(e != e.strip() for e in raw) and any(e != e.lower() for e in raw)
    assert sources["webshop_accounts"][0]["email"].notna().all()


def test_names_vary_but_mostly_match(sources, truth):
    people = truth["people"].set_index("person_id")
    records = truth["records"].set_index("record_id")["person_id"]
    crm = sources["crm_contacts"][0]
    person = records.loc["crm_contacts:" + crm["contact_id"]].to_numpy()
    same_first = crm["FirstName"].str.lower().to_numpy() == people.loc[person, "first_name"].str.lower().to_numpy()
    assert 0.6 < same_first.mean() < 0.97


def test_formats_expected_by_the_mappings(sources):
    crm = sources["crm_contacts"][0]
    assert pd.to_datetime(crm["BirthDate"].dropna(), format="%d/%m/%Y").notna().all()
    assert pd.to_datetime(crm["CreatedAt"], format="%Y-%m-%d %H:%M:%S").notna().all()
    assert crm["Country"].nunique() >= 3 and crm["Street"].str.contains(",").any()  # 'Flat 3, 12 ...' 
    accounts = sources["webshop_accounts"][0]
    codes = accounts["address"].map(lambda a: a["country_code"])
    assert codes.str.len().eq(2).all() and (codes != codes.str.upper()).any()
    assert accounts["created_at"].str.endswith("Z").all()
    members = sources["loyalty_members"][0]
    assert members["country"].str.len().eq(3).all() and set(members["tier"]) <= {"Bronze", "Silver", "Gold"}
    cases = sources["support_cases"][0]
    assert pd.to_datetime(cases["opened_at"], format="%Y-%m-%dT%H:%M:%S").notna().all()
    assert set(cases["escalated"].str.upper()) <= {"Y", "N"}
    assert set(cases["csat"].dropna().astype(int)) <= {1, 2, 3, 4, 5}
    surveys = sources["survey_responses"][0]
    assert pd.to_datetime(surveys["submitted_at"], format="%Y-%m-%d %H:%M:%S").notna().all()
    assert surveys["nps"].astype(int).between(0, 10).all() and surveys["csat"].astype(int).between(1, 5).all()
    comments = surveys["comment"].dropna()
    assert comments.str.contains(",").any() and comments.str.contains('"').any()
    assert not comments.str.contains("\n").any()
    events = sources["web_events"][0]
    assert set(events["device"].str.lower()) <= {"desktop", "mobile", "tablet"}
    assert events["device"].nunique() > 3
    assert set(events["event_type"]) <= {"page_view", "product_view", "add_to_cart", "checkout", "search"}


def test_interactions_lie_in_the_two_years_before_as_of(sources):
    start, end = pd.Timestamp("2024-06-30", tz="UTC"), pd.Timestamp("2026-06-30", tz="UTC")
    for source, column in (("web_orders", "ordered_at"), ("web_events", "ts"), ("pos_transactions", "ts")):
        ts = pd.to_datetime(sources[source][0][column], utc=True)
        assert ts.min() >= start and ts.max() < end, source


def test_churned_people_are_quiet_for_six_months(sources, truth):
    inter = truth["interactions"].dropna(subset=["person_id"])
    churned = set(truth["people"].loc[truth["people"]["churned"], "person_id"])
    orders = sources["web_orders"][0]
    order_person = inter.set_index("interaction_id")["person_id"]
    recent = orders[pd.to_datetime(orders["ordered_at"], utc=True) > pd.Timestamp("2026-01-01", tz="UTC")]
    assert not set(order_person.loc["web_orders:" + recent["order_id"]]) & churned
    assert 0.05 < truth["people"]["churned"].mean() < 0.4


def test_plan_chunks_splits_people_into_bounded_parts():
    rng = np.random.default_rng(0)
    per_person = rng.poisson(3.0, 100_000)
    chunks = plan_chunks(rng, per_person, 50_000, 1.0, 40_000, 17)
    assert len(chunks) == int(np.ceil((per_person.sum() + 50_000) / 40_000))
    assert sum(c.bad for c in chunks) == 17 and sum(c.anonymous for c in chunks) == 50_000
    sizes = [per_person[c.persons].sum() + c.anonymous for c in chunks]
    assert max(sizes) < 40_000 * 1.1
    people = np.concatenate([c.persons for c in chunks])
    assert (np.diff(people) > 0).all() and len(people) == (per_person > 0).sum()


def test_key_sequence_interleaves_bad_rows():
    seq = KeySequence()
    good, bad, at = seq.allocate(np.random.default_rng(1), 10, 3)
    assert sorted([*good, *bad]) == list(range(1, 14)) and list(bad) == list(at + 1)
    good2, _, _ = seq.allocate(np.random.default_rng(2), 5, 0)
    assert list(good2) == [14, 15, 16, 17, 18]


def test_scales_are_ordered():
    sizes = [SCALES[s].people * SCALES[s].interactions_per_person for s in ("tiny", "small", "medium", "large")]
    assert sizes == sorted(sizes)
    assert 200_000 <= sizes[1] <= 300_000 and 40_000_000 <= sizes[3] <= 60_000_000

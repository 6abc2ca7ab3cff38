"""The noisy people: every duplicate carries an error, exact agreement is rare, the workspace fits the files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from insights.generator.noisy_people import KINDS, write_noisy_people
from schemas.loader import load_workspace

ROOT = Path(__file__).resolve().parents[2]
FILES = ("noisy_a/noisy_a.csv", "noisy_b/noisy_b.csv", "_truth/records.csv", "_truth/manifest.json")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("noisy")
    return write_noisy_people(2_000, 7, out)


@pytest.fixture(scope="module")
def pairs(written) -> pd.DataFrame:
    """Each duplicate next to its original (suffixes _a and _b)."""
    truth = pd.read_csv(written.out / "_truth" / "records.csv", dtype=str)
    frames = []
    for source in ("noisy_a", "noisy_b"):
        frame = pd.read_csv(written.out / source / f"{source}.csv", dtype=str, keep_default_na=False)
        frame["record_id"] = f"{source}:" + frame["rec_id"]
        frames.append(frame.merge(truth, on="record_id").drop(columns=["rec_id", "record_id"]))
    return frames[0].merge(frames[1], on="person_id", suffixes=("_a", "_b"))


def _letters(names: pd.Series) -> pd.Series:
    """Names as match.yaml compares them (lower, letters only)."""
    return names.str.lower().str.replace(r"[^\w]|[\d_]", "", regex=True)


def test_same_people_and_seed_give_the_same_bytes(written, tmp_path):
    again = write_noisy_people(2_000, 7, tmp_path)
    assert again.digest == written.digest
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (written.out / name).read_bytes(), name
    assert write_noisy_people(2_000, 8, tmp_path / "other").digest != written.digest


def test_every_duplicate_differs_in_a_name_or_the_birth_date(written, pairs):
    assert len(pairs) == written.records["noisy_b"] == 1_600
    same_first = _letters(pairs["first_name_a"]) == _letters(pairs["first_name_b"])
    same_last = _letters(pairs["last_name_a"]) == _letters(pairs["last_name_b"])
    same_birth = pairs["birth_date_a"] == pairs["birth_date_b"]
    assert not (same_first & same_last & same_birth).any()


def test_every_error_kind_occurs_and_many_duplicates_carry_two(written, pairs):
    assert set(written.errors) == set(KINDS) and min(written.errors.values()) >= 50, written.errors
    assert written.two_or_more >= 0.3 * len(pairs)
    born_a = pairs["birth_date_a"].map(date.fromisoformat)
    born_b = pairs["birth_date_b"].map(date.fromisoformat)
    year = born_a.map(lambda d: d.year) != born_b.map(lambda d: d.year)
    month = born_a.map(lambda d: d.month) != born_b.map(lambda d: d.month)
    day = born_a.map(lambda d: d.day) != born_b.map(lambda d: d.day)
    swapped = (born_a.map(lambda d: (d.month, d.day)) == born_b.map(lambda d: (d.day, d.month))) & day
    assert year.sum() >= 50 and (month & ~swapped).sum() >= 50 and (day & ~month).sum() >= 50 and swapped.sum() >= 20
    assert ((born_b - born_a).abs().max().days) <= 11 * 366  # a changed year moves 10 years at most


def test_exact_agreement_is_rare_and_nothing_identifies_a_person(pairs):
    columns = ["first_name", "last_name", "birth_date", "street", "city", "postcode", "phone"]
    agree = pd.DataFrame({c: pairs[f"{c}_a"] == pairs[f"{c}_b"] for c in columns})
    assert not agree.all(axis=1).any()
    assert agree["birth_date"].mean() < 0.5 and agree["first_name"].mean() < 0.7 and agree["phone"].mean() < 0.5
    assert (pairs["phone_a"] == "").mean() > 0.2  # phones go missing


def test_truth_covers_every_record_and_the_manifest_names_the_data(written):
    truth = pd.read_csv(written.out / "_truth" / "records.csv", dtype=str)
    assert truth["record_id"].is_unique and len(truth) == sum(written.records.values())
    assert truth["record_id"].str.match(r"^noisy_[ab]:[AB]\d{7}$").all() and truth["person_id"].notna().all()
    manifest = json.loads((written.out / "_truth" / "manifest.json").read_text())
    assert manifest["people"] == 2_000 and manifest["seed"] == 7 and manifest["digest"] == written.digest
    assert f"people=2000 seed=7 sha256={written.digest}" in written.fingerprint


def test_small_scale_is_fast(tmp_path):
    report = write_noisy_people(5_000, 42, tmp_path)
    assert report.seconds < 3


def test_the_noisy_workspace_loads_with_the_generated_data(written):
    workspace = load_workspace(ROOT / "examples" / "noisy", data_root=str(written.out))
    assert not workspace.match.link_within_source and workspace.match.training.prior is None
    for name in ("noisy_a", "noisy_b"):
        assert Path(workspace.source_location(name)).is_dir(), name


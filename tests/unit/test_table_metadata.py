"""What every table asset shows in the UI comes from the Delta log and one file footer (delta-rs), checked by pandas."""

from __future__ import annotations

import deltalake
import pandas as pd

from orchestration.assets.common import table_metadata


def test_count_version_and_preview_match_the_table(tmp_path):
    path = str(tmp_path / "gold" / "t")
    first = pd.DataFrame({"customer_id": [f"c:{i}" for i in range(7)], "value": range(7)})
    deltalake.write_deltalake(path, first)
    deltalake.write_deltalake(path, first.head(3).assign(value=-1), mode="append")
    deltalake.write_deltalake(path, first.head(3), mode="overwrite")  # version 2: three rows
    shown = table_metadata(path, preview_rows=2)
    expected = deltalake.DeltaTable(path).to_pandas()
    assert (shown["dagster/row_count"], shown["delta_version"], shown["dagster/uri"]) == (len(expected), 2, path)
    preview = shown["preview"].value
    assert preview.count("\n") == 3 and "customer_id" in preview  # header, rule, two rows
    shown_ids = {cell.strip() for cell in preview.split("|") if cell.strip().startswith("c:")}
    assert len(shown_ids) == 2 and shown_ids <= set(expected["customer_id"])


def test_without_preview_rows_there_is_no_preview_and_an_empty_table_counts_zero(tmp_path):
    path = str(tmp_path / "t")
    deltalake.write_deltalake(path, pd.DataFrame({"a": pd.Series([], dtype="int64")}))
    shown = table_metadata(path, preview_rows=0)
    assert shown["dagster/row_count"] == 0 and "preview" not in shown


def test_a_table_not_written_yet_shows_only_where_it_will_be(tmp_path):
    shown = table_metadata(str(tmp_path / "nothing"))
    assert list(shown) == ["path"]

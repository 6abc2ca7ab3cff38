"""The peer: Splink 5 on DuckDB and on Spark, configured as Splink's own published examples do.

Dates of birth reach Splink as DATE columns (FEBRL's yyyyMMdd text parsed, invalid dates null, as
the demo's invalid_dates_as_null does): Splink's string-date parsing hands Spark 4 a pattern its
parser rejects (DATETIME_PATTERN_RECOGNITION), so both backends get the same typed input.

FEBRL4 follows Splink's febrl4 demo (its "detailed" model), FEBRL1 its febrl3 dedupe demo, and
the generated retail data a standard person model (names, date of birth, email, phone, postcode).
Both backends get the same settings, training and thresholds. Benchmark-only: needs the `bench` extra.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

ID = "record_id"


@dataclass(frozen=True)
class PeerResult:
    """What one Splink run produced."""

    clusters: pd.DataFrame  # record_id, cluster_id
    seconds: float
    threshold: float


def _febrl4(cl, block_on):
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
    ]
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    em = [block_on("date_of_birth"), block_on("postcode")]
    return "link_only", blocking, comparisons, deterministic, 0.8, em, 0.99


def _febrl1(cl, block_on):
    blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
                block_on("date_of_birth"), block_on("postcode")]
    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    deterministic = [
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
    ]
    em = [block_on("date_of_birth"), block_on("postcode")]
    return "dedupe_only", blocking, comparisons, deterministic, 0.9, em, 0.95


def _generated(cl, block_on):
    blocking = [block_on("email"), block_on("phone"), block_on("first_name", "last_name"),
                block_on("last_name", "birth_date"), block_on("postcode", "first_name")]
    comparisons = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("birth_date", input_is_string=False),
        cl.EmailComparison("email"),
        cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        cl.LevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
    ]
    deterministic = [block_on("email"), block_on("first_name", "last_name", "birth_date")]
    em = [block_on("email"), block_on("first_name", "last_name")]
    return "dedupe_only", blocking, comparisons, deterministic, 0.7, em, 0.95


CONFIGS = {"febrl4": _febrl4, "febrl1": _febrl1, "generated": _generated}


def run_splink(dataset: str, frames: list, backend: str, spark=None, u_pairs: float = 1e6) -> PeerResult:
    """Train, predict and cluster with Splink; frames are pandas (duckdb) or Spark DataFrames (spark)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, SparkAPI, block_on

    link_type, blocking, comparisons, deterministic, recall, em, threshold = CONFIGS[dataset](cl, block_on)
    started = time.monotonic()
    db_api = DuckDBAPI() if backend == "duckdb" else SparkAPI(spark_session=spark)
    tables = [db_api.register(frame) for frame in frames]
    settings = SettingsCreator(unique_id_column_name=ID, link_type=link_type,
                               blocking_rules_to_generate_predictions=blocking, comparisons=comparisons,
                               retain_intermediate_calculation_columns=False)
    linker = Linker(tables if len(tables) > 1 else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    for rule in em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=threshold)
    result = clusters.as_pandas_dataframe()[[ID, "cluster_id"]]
    return PeerResult(result, time.monotonic() - started, threshold)

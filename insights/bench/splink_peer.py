"""The peer: Splink 5 on DuckDB and on Spark, configured as Splink's own published examples do.

Input: the same columns our match reads, after the same normalisation (`prepare_records` on
silver: e.g. email through email_canonical, names lower-cased letters only), so neither side
sees cleaner data. Dates of birth reach Splink as DATE columns (FEBRL's yyyyMMdd text parsed,
invalid dates null, as the febrl demos' invalid_dates_as_null does): Splink's string-date
parsing hands Spark 4 a pattern its parser rejects (DATETIME_PATTERN_RECOGNITION).

Timer: both tools start from silver on disk (Delta) and the timer includes reading it: ours
inside `resolve`, Splink from `load()` (a Spark read and normalisation; for DuckDB also the
hand-over to pandas) to its clusters. Nothing is persisted or counted before either timer.

FEBRL4 follows Splink's febrl4 demo (its "detailed" model) and FEBRL1 its febrl3 dedupe demo,
setting for setting, and the noisy people (examples/noisy) the febrl4 demo with the phone in
the place of the SSN, on our policy's blocking keys. The generated retail data gets a person
model built from the comparison library the way the deduplicate_50k_synthetic demo builds one,
on our policy's blocking keys.
Fairness note: OUR examples/retail/match.yaml was tuned on this generator's data (its threshold,
recall, levels and blocking were chosen by looking at benchmark F1); Splink's settings were not,
so each Splink row also reports its best F1 over a few clustering thresholds (`best_threshold`,
`best_f1`, see insights/bench/sweep.py): an upper bound for a Splink user who tuned one number.
Both backends get the same settings, training and thresholds. Benchmark-only: needs `bench`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

ID = "record_id"
PAIR_COLUMNS = [f"{ID}_l", f"{ID}_r", "match_probability"]  # Splink names ids after unique_id_column_name


@dataclass(frozen=True)
class PeerConfig:
    """One data set's Splink settings, in the order Splink's demos apply them."""

    link_type: str
    blocking: list
    comparisons: list
    deterministic: list  # rules for estimate_probability_two_random_records_match
    recall: float  # the share of true matches those rules are assumed to find
    em: list  # one EM session per rule
    threshold: float  # clustering threshold (match probability)
    u_pairs: float  # random pairs sampled to estimate u


@dataclass(frozen=True)
class PeerResult:
    """What one Splink run produced; `pairs` (scored pairs, fetched after the timer) feed the threshold sweep."""

    clusters: pd.DataFrame  # record_id, cluster_id
    seconds: float
    threshold: float
    pairs: pd.DataFrame  # record_id_l, record_id_r, match_probability (>= 0.2)


def _febrl4(cl, block_on) -> PeerConfig:
    blocking = [  # febrl4 demo, verbatim: names, swapped names, birth, SSN, two address keys, postcode
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    comparisons = [  # febrl4 demo's "detailed" model, verbatim
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
    ]
    # febrl4 demo: these two rules, recall 0.8, u from 1e6 pairs, EM on birth then postcode, clusters at 0.99
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    return PeerConfig("link_only", blocking, comparisons, deterministic, 0.8,
                      [block_on("date_of_birth"), block_on("postcode")], 0.99, 1e6)


def _febrl1(cl, block_on) -> PeerConfig:
    # febrl3 demo (the dedupe one), verbatim: one-key blocking on SSN, each name, birth, postcode
    blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
                block_on("date_of_birth"), block_on("postcode")]
    comparisons = [  # febrl3 demo, verbatim
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    deterministic = [  # febrl3 demo's three rules and its recall 0.9
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
    ]
    # febrl3 demo: EM on birth then postcode, u from 1e6 pairs; it shows no clustering, 0.95 is the 50k demo's
    return PeerConfig("dedupe_only", blocking, comparisons, deterministic, 0.9,
                      [block_on("date_of_birth"), block_on("postcode")], 0.95, 1e6)


def _generated_blocking(block_on) -> list:
    """Our policy's blocking, plus its deterministic keys (Splink links only pairs a blocking rule made)."""
    return [
        block_on("email"),  # our same_email rule links these outright; Splink must score them to link them
        block_on("loyalty_number"),  # likewise our same_loyalty_number rule
        block_on("phone"),  # our `phone` rule
        block_on("last_name", "birth_date"),  # ours; the 50k demo blocks on surname+dob too
        block_on("last_name", "postcode"),  # ours; the 50k demo has postcode+surname
        # ours is first_name+postcode+soundex(last_name); DuckDB has no soundex, so the 50k demo's
        # substr() prefix instead: a first-letter prefix is implied by equal soundex (a superset of our pairs)
        block_on("first_name", "postcode", "substr(last_name,1,1)"),
        # not first_name+last_name alone (as before): match.yaml measured it at 30M pairs per million people
    ]


def _person_comparisons(cl) -> dict:
    """The comparison library's person comparisons, by column: every attribute our policies compare."""
    return {
        # NameComparison with term frequencies: as the febrl4 demo does for given name and surname
        "first_name": cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        "last_name": cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
        # DateOfBirthComparison on a DATE column: the 50k and febrl demos' date-of-birth levels
        "birth_date": cl.DateOfBirthComparison("birth_date", input_is_string=False),
        # EmailComparison: the library's email levels (exact, exact username, fuzzy, domain)
        "email": cl.EmailComparison("email"),
        # no phone comparison in the library: edit distance as the febrl4 demo treats an ID number
        "phone": cl.DamerauLevenshteinAtThresholds("phone", [1, 2]).configure(term_frequency_adjustments=True),
        # PostcodeComparison parses UK postcodes only; this data has many countries: the febrl4 demo's postcode
        "postcode": cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        # no address comparison in the library: Jaro-Winkler at the library's default thresholds
        "street": cl.JaroWinklerAtThresholds("street", [0.9, 0.7]),
        # categorical with skewed frequencies: ExactMatch with term frequencies, as the 50k demo's birth_place
        "city": cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        # an ID no two people share: ExactMatch, as the febrl4 demo's simple model treats an ID
        "loyalty_number": cl.ExactMatch("loyalty_number"),
    }


def _generated(cl, block_on) -> PeerConfig:
    # the prior: our deterministic keys plus the 50k demo's full-name-and-birth rule; recall 0.7 is
    # our policy's deterministic_recall (the demos use 0.6 to 0.9)
    deterministic = [block_on("email"), block_on("loyalty_number"),
                     block_on("first_name", "last_name", "birth_date")]
    # EM: two complementary sessions as the 50k demo (names+dob, dob) does; these two are among our
    # em_rules, and between them train every comparison (and stay small at a million people)
    em = [block_on("last_name", "birth_date"), block_on("phone")]
    # 0.95: the 50k demo's clustering threshold (and ours); u from 1e6 pairs: our u_sample_pairs
    return PeerConfig("dedupe_only", _generated_blocking(block_on), list(_person_comparisons(cl).values()),
                      deterministic, 0.7, em, 0.95, 1e6)


def _noisy(cl, block_on) -> PeerConfig:
    blocking = [  # examples/noisy/match.yaml's blocking rules, key for key
        block_on("birth_date"),
        block_on("last_name", "postcode"),
        block_on("first_name", "city"),
        block_on("phone"),
        # Spark SQL's soundex(), as our soundex transform; DuckDB has none, so splink-duckdb fails here
        block_on("soundex(first_name)", "soundex(last_name)"),
    ]
    # the retail data's person comparisons (no email or loyalty number here): the febrl4 demo's names,
    # birth and postcode, the library's street, city and phone
    columns = ("first_name", "last_name", "birth_date", "street", "city", "postcode", "phone")
    comparisons = [_person_comparisons(cl)[c] for c in columns]
    # the febrl4 demo's two rules with the phone as its ID (there is no SSN here) and its recall 0.8;
    # full name and birth alone would find no true pair (every duplicate has a name or birth error),
    # and Splink's prior would be 0
    deterministic = [block_on("phone"), block_on("first_name", "last_name", "birth_date")]
    # febrl4 demo: EM on birth then postcode (between them they train every comparison), u from 1e6
    # pairs, clusters at 0.99
    return PeerConfig("link_only", blocking, comparisons, deterministic, 0.8,
                      [block_on("birth_date"), block_on("postcode")], 0.99, 1e6)


CONFIGS = {"febrl4": _febrl4, "febrl1": _febrl1, "generated": _generated, "noisy": _noisy}


def config(dataset: str) -> PeerConfig:
    """The Splink settings of a data set."""
    import splink.comparison_library as cl
    from splink import block_on

    return CONFIGS[dataset](cl, block_on)


def run_splink(dataset: str, load: Callable[[], list], backend: str, spark=None) -> PeerResult:
    """Read (`load`, inside the timer), train, predict and cluster with Splink; frames are pandas or Spark."""
    from splink import DuckDBAPI, Linker, SettingsCreator, SparkAPI

    peer = config(dataset)
    started = time.monotonic()
    db_api = DuckDBAPI() if backend == "duckdb" else SparkAPI(spark_session=spark)
    tables = [db_api.register(frame) for frame in load()]
    settings = SettingsCreator(unique_id_column_name=ID, link_type=peer.link_type,
                               blocking_rules_to_generate_predictions=peer.blocking,
                               comparisons=peer.comparisons, retain_intermediate_calculation_columns=False)
    linker = Linker(tables if len(tables) > 1 else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(peer.deterministic, recall=peer.recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=peer.u_pairs, seed=1)
    for rule in peer.em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    # 0.2: every demo's predict threshold; pairs below it never link at any clustering threshold used
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=peer.threshold)
    result = clusters.as_pandas_dataframe()[[ID, "cluster_id"]]
    seconds = time.monotonic() - started
    pairs = predictions.as_pandas_dataframe()[PAIR_COLUMNS]  # after the timer: only for the sweep
    return PeerResult(result, seconds, peer.threshold, pairs)

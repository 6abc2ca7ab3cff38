"""Ground truth under OUT/_truth: who is behind each record and interaction, and what is broken."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from insights.generator.countries import ISO2
from insights.generator.lookups import Lookups
from insights.generator.people import People
from insights.generator.scales import AS_OF, GENERATOR_VERSION, Scale
from insights.generator.text import cat, strings, take
from insights.generator.writers import csv_field, csv_header, csv_lines, write_lines, write_parquet

INTERACTIONS_SCHEMA = pa.schema(
    [("interaction_id", pa.string()), ("source", pa.string()), ("person_id", pa.string())]
)


class Truth:
    """Collects ground truth while the sources are written, then writes OUT/_truth."""

    def __init__(self, out: Path) -> None:
        self.dir = out / "_truth"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._interactions = pq.ParquetWriter(
            self.dir / "interactions.parquet", INTERACTIONS_SCHEMA, compression="snappy"
        )
        self._records: list[pa.Table] = []
        self._bad: list[pa.Table] = []
        self.rows: dict[str, int] = {}
        self.bad_rows: dict[str, int] = {}

    def count(self, source: str, good: int) -> None:
        """Good rows written to a source (what bronze must hold)."""
        self.rows[source] = self.rows.get(source, 0) + good

    def records(self, source: str, keys: pa.Array, person_ids: pa.Array) -> None:
        """Profile records of a customer source and their person."""
        self._records.append(pa.table({"record_id": cat(f"{source}:", keys), "person_id": person_ids}))

    def interactions(self, source: str, keys: pa.Array, person_ids: pa.Array) -> None:
        """Interactions of a source with their person (null when nothing identifies one)."""
        table = pa.table(
            {
                "interaction_id": cat(f"{source}:", keys),
                "source": pa.repeat(pa.scalar(source, pa.string()), len(keys)),
                "person_id": person_ids.cast(pa.string()),
            },
            schema=INTERACTIONS_SCHEMA,
        )
        self._interactions.write_table(table)

    def bad(self, source: str, file: str, keys: pa.Array, problems: pa.Array) -> None:
        """Rows deliberately broken in a source file."""
        n = len(problems)
        if n == 0:
            return
        self.bad_rows[source] = self.bad_rows.get(source, 0) + n
        self._bad.append(pa.table({
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "file": pa.repeat(pa.scalar(file, pa.string()), n),
            "key": keys.cast(pa.string()),
            "problem": problems,
        }))

    def finish(self, scale: Scale, seed: int, people: People, lk: Lookups, extra: dict[str, object]) -> None:
        """Write records.csv, people.parquet, bad_rows.csv and manifest.json."""
        self._interactions.close()
        records = pa.concat_tables(self._records)
        write_lines(self.dir / "records.csv",
                    csv_lines([csv_field(records[c].combine_chunks()) for c in records.column_names]),
                    csv_header(records.column_names))
        bad = pa.concat_tables(self._bad) if self._bad else pa.table(
            {c: pa.array([], pa.string()) for c in ("source", "file", "key", "problem")})
        write_lines(self.dir / "bad_rows.csv",
                    csv_lines([csv_field(bad[c].combine_chunks()) for c in bad.column_names]),
                    csv_header(bad.column_names))
        write_parquet(self.dir / "people.parquet", people_table(people, lk, extra))
        manifest = {
            "scale": scale.name,
            "seed": seed,
            "as_of": AS_OF.isoformat().replace("+00:00", "Z"),
            "people": people.n,
            "rows": dict(sorted(self.rows.items())),
            "bad_rows": dict(sorted(self.bad_rows.items())),
            "generator_version": GENERATOR_VERSION,
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def people_table(people: People, lk: Lookups, extra: dict[str, object]) -> pa.Table:
    """The true, canonical attributes of every person (plus behaviour labels for evaluation)."""
    table = pa.table({
        "person_id": people.person_id,
        "first_name": take(strings(lk.first_names.name), people.first),
        "last_name": take(strings(lk.last_names.name), people.last),
        "gender": pa.array(np.where(people.female, "F", "M")),
        "email": people.emails.main,
        "second_email": people.emails.alt,
        "phone": people.phone_e164,
        "birth_date": pa.array(people.birth_day, pa.date32()),
        "street": people.home.street,
        "city": people.home.city(lk),
        "postcode": people.home.postcode,
        "country": take(strings(ISO2), people.country),
    })
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values))
    return table

"""The Spark type of each model attribute type: schemas/ declares types, Spark lives in jobs/."""

from __future__ import annotations

from pyspark.sql import types as T

from schemas.model import AttributeType

SPARK_TYPES: dict[AttributeType, T.DataType] = {
    "string": T.StringType(),
    "long": T.LongType(),
    "double": T.DoubleType(),
    "decimal": T.DecimalType(18, 2),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}

"""Deployment data: Spark profiles, Dagster instance settings, Azure and Power BI files."""

from pathlib import Path

INFRA_DIR = Path(__file__).parent
SPARK_PROFILES_DIR = INFRA_DIR / "spark"
DAGSTER_DIR = INFRA_DIR / "dagster"

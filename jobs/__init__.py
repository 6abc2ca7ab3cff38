"""Plain PySpark jobs: DataFrames or table paths in, DataFrames or Delta tables out. No Dagster."""

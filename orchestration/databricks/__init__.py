"""Runs on Databricks: the job a launch submits (job_spec), and its Dagster Pipes launcher (launch)."""

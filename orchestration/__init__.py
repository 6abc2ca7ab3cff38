"""The Dagster project: thin assets over jobs/ and ml/, generated from a workspace."""

"""Exports of gold tables to Azure Storage (ADLS Gen2 or Blob): read with delta-rs, no Spark."""

"""`insights report`: one static HTML page about a lake, read with delta-rs and MLflow, no Spark.

data.py reads the tables (run summary, KPIs, segments), matching.py the identity tables and
labels, models.py the MLflow store, plots.py draws, sections.py turns each into a section with
its figures and tables, page.py writes DIR/index.html with every image inline.
"""

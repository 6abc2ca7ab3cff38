"""The customer card and search of `insights customer`: gold/customer_360 read with delta-rs, no Spark."""

"""The `insights` command line: run, validate, generate and inspect a customer-insights lakehouse."""

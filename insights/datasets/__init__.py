"""Real, published data sets loaded into example workspaces without network access."""

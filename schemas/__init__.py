"""Typed workspace model (loaded by schemas.loader) and the table catalogue every layer agrees on."""

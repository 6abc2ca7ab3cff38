"""Asset factories: one bronze asset per source, one silver asset per type, gold assets."""

"""Executing plans: targets, parallel nodes, retries, journal records, canonical logs."""

"""Simulated commands, one module per area (cluster, registry, filesystem, services, ACLs)."""

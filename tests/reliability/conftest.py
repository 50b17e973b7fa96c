"""The reliability suite: every module here sets ``pytestmark = pytest.mark.reliability``.

The default run executes a bounded sample of every part (a few fault-matrix cases, 500
injection cases, the secret, bad-input and transport-security tables, an 8-node load
run); ``PSRUNBOOK_RELIABILITY=full`` runs every fault-matrix case, 20,000 injection cases
and the 64-node load run. ``pytest -m reliability`` selects just this suite and
``pytest -m "not reliability"`` leaves it out. See docs/reliability.md.
"""

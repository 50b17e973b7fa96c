"""The installed psrunbook version, read once from the distribution metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("psrunbook")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0.0.0+unknown"

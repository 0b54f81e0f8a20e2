"""forge-audit: a security auditor for Atlassian Forge apps."""

# Read by pyproject.toml too (a static string: importlib.metadata costs ~50 ms of start-up).
__version__ = "0.1.0"

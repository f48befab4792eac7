"""malwar: static analysis that finds malware hidden in agentic AI skill files."""

# The single source of the version: pyproject.toml reads it from here, and reading
# a constant costs nothing at start-up (importlib.metadata costs ~30 ms per process).
__version__ = "0.1.0"

__all__ = ["__version__"]

"""malwar: static analysis that finds malware hidden in agentic AI skill files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("malwar")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

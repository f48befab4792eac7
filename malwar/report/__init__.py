"""Report: render scan results as console text, JSON or SARIF.

Rendering is pure: the same results give byte-identical output.
"""

from __future__ import annotations

from collections.abc import Sequence

from malwar.models import ScanResult
from malwar.report.jsonout import render_json, result_to_dict
from malwar.report.sarif import render_sarif

FORMATS = ("console", "json", "sarif")


def render(results: Sequence[ScanResult], fmt: str, intel_version: str = "") -> str:
    if fmt == "json":
        return render_json(results, intel_version)
    if fmt == "sarif":
        return render_sarif(results)
    from malwar.report.console import render_console

    return render_console(results)


__all__ = ["FORMATS", "render", "render_json", "render_sarif", "result_to_dict"]

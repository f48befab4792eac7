"""Where a URL points decides how much a fetch-and-run weighs."""

from __future__ import annotations

import pytest

from malwar.rules.execution import classify_host, find_urls


@pytest.mark.parametrize(("url", "kind"), [
    ("http://45.9.148.12/x", "ip"),
    ("http://127.0.0.1:8080/", "local"),
    ("http://192.168.1.10/", "local"),
    ("http://203.0.113.5/", "local"),        # documentation range
    ("https://pastebin.com/raw/abc", "paste"),
    ("https://glot.io/snippets/abc", "paste"),
    ("https://abc.trycloudflare.com/", "tunnel"),
    ("https://sh.rustup.rs", "installer"),
    ("https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh", "installer"),
    ("https://raw.githubusercontent.com/someone/tool/main/i.sh", "code-host"),
    ("http://get.tool-site.net/i.sh", "http"),
    ("https://get.tool-site.net/i.sh", "named"),
    ("https://api.example.com/v1", "local"),
])
def test_classify(url: str, kind: str) -> None:
    assert find_urls(url)[0].kind == kind


def test_integer_ip_is_an_ip() -> None:
    assert classify_host("0x2d09940c") == "ip"

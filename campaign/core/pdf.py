"""PDF rendering with WeasyPrint. Documents are self-contained: images come inline as data: URLs and
fonts from the system's CJK fonts (fonts-noto-cjk), so nothing is fetched from a file or the network."""
from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import URLFetcher

# The CJK fonts that `make` installs (fonts-noto-cjk); the body and every @page margin box name them.
SERIF = "'Noto Serif CJK SC', 'Noto Serif CJK', serif"
SANS = "'Noto Sans CJK SC', 'Noto Sans CJK', sans-serif"


def inline_only() -> URLFetcher:
    """A fetcher for data: URLs only: a document naming a file or a web address gets nothing."""
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def render_pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=inline_only(), base_url="data:,").write_pdf()

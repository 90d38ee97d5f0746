"""HTML to PDF with WeasyPrint, for the pick-up documents and the invoices alike.

Its own module so that features printing PDFs do not import each other for it.
"""


def render_pdf(html, base_url):
    """The HTML as an A4 PDF; everything it needs is inline, nothing is fetched."""
    from weasyprint import HTML, URLFetcher  # loads Pango: only when a PDF is asked for

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()

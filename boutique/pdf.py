"""HTML to PDF with WeasyPrint, for the pick-up documents and the invoices alike.

Its own module so that features printing PDFs do not import each other for it.
"""

import warnings


def render_pdf(html, base_url, pdf_variant=None):
    """The HTML as an A4 PDF; everything it needs is inline, nothing is fetched.

    pdf_variant: WeasyPrint's variant, e.g. "pdf/a-3b" for an archivable PDF that may carry
    attached files (a Factur-X invoice's XML); None for a plain PDF.
    """
    from weasyprint import HTML, URLFetcher  # loads Pango: only when a PDF is asked for

    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    if pdf_variant is None:
        return document.write_pdf()
    with warnings.catch_warnings():
        # WeasyPrint 70 reads its sRGB profile for PDF/A from a file it never closes.
        warnings.simplefilter("ignore", ResourceWarning)
        return document.write_pdf(pdf_variant=pdf_variant)

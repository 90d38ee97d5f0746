"""Legal pages: versions written by staff in Markdown, shown rendered and sanitised.

A page is never edited in place: saving adds a version, the highest one is shown, and an
order keeps the number of the CGV version its customer accepted (terms_version()).
"""

import re
import threading

import nh3
from flask import current_app
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.legal import LEGAL_SLUGS, LegalPage
from .defaults import default_page

# Where each page is read (readable French addresses).
PATHS = {
    "mentions-legales": "/mentions-legales",
    "cgv": "/conditions-generales-de-vente",
    "confidentialite": "/confidentialite",
    "accessibilite": "/accessibilite",
    "histoire": "/notre-histoire",
}
TERMS_SLUG = "cgv"
BODY_MAX_LENGTH = 30_000

# What staff's Markdown may become: headings, paragraphs, lists, links, emphasis, tables.
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "ul", "ol", "li", "a", "em", "strong",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

# A placeholder left for staff: capitals in square brackets, not a Markdown link's text.
PLACEHOLDER = re.compile(r"\[(?=[^\]\n]*[A-ZÀ-Ý]{2})[^\]\[\n]{2,}\](?![(\[])")


class LegalPageError(Exception):
    """A version that cannot be saved; the message is for the person who typed it."""


def _parser():
    """CommonMark with tables. markdown-it parses in linear time: Python-Markdown took minutes
    on a body of nested brackets (a preview, or every worker's first view, hung on it).

    What it lets through (raw HTML, any link) is for nh3 to judge, in one place: unsafe tags,
    attributes and link schemes are taken out there, the words kept."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    parser.validateLink = lambda url: True  # nh3 drops a javascript: or data: href
    return parser


def render_markdown(text):
    """Staff's Markdown as safe HTML: raw HTML, scripts, event handlers and javascript: go."""
    html = _parser().render(text or "")
    return Markup(  # noqa: S704  # nosec B704  (nh3 kept only the allowed tags)
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=ALLOWED_SCHEMES,
            link_rel="noopener",
        )
    )


_render_lock = threading.Lock()


def rendered(page):
    """The page's HTML, rendered once per version in each process (versions never change)."""
    cache = current_app.extensions.setdefault("legal_pages_html", {})
    key = (page.slug, page.version)
    html = cache.get(key)
    if html is None:
        html = render_markdown(page.body)
        with _render_lock:
            if len(cache) > 200:  # old versions seen by staff: start again
                cache.clear()
            cache[key] = html
    return html


def placeholders(text):
    """The placeholders still in a text, in order, each once: ["[NOM DU MÉDIATEUR]", ...]."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def current_page(slug):
    """The version shown of a page, or None before its first version."""
    return db.session.scalars(
        select(LegalPage).where(LegalPage.slug == slug).order_by(LegalPage.version.desc()).limit(1)
    ).first()


def current_pages():
    """The version shown of each page that has one, by slug."""
    latest = (
        select(LegalPage.slug, func.max(LegalPage.version).label("version"))
        .group_by(LegalPage.slug)
        .subquery()
    )
    pages = db.session.scalars(
        select(LegalPage).join(
            latest,
            (LegalPage.slug == latest.c.slug) & (LegalPage.version == latest.c.version),
        )
    )
    return {page.slug: page for page in pages}


def page_or_default(slug):
    """The version shown of a page, its default loaded as version 1 if it has none (flushed)."""
    page = current_page(slug)
    if page is None:
        try:
            with db.session.begin_nested():
                page = _add_default(slug)
        except IntegrityError:  # another request loaded it at the same moment
            page = current_page(slug)
    return page


def install_defaults():
    """Load the default of every page that has no version yet; return the pages loaded."""
    present = current_pages()
    return [_add_default(slug) for slug in LEGAL_SLUGS if slug not in present]


def _add_default(slug):
    title, body = default_page(slug)
    page = LegalPage(slug=slug, version=1, title=title, body=body)
    db.session.add(page)
    db.session.flush()
    return page


def save_version(slug, title, body, author, base_version):
    """Add a version of a page, written from `base_version` (the one the editor saw)."""
    current = current_page(slug)
    current_version = current.version if current else 0
    if base_version != current_version:
        raise LegalPageError(
            _(
                "Quelqu'un a enregistré une autre version de cette page pendant que vous "
                "l'écriviez (version %(version)d) : relisez-la avant d'enregistrer la vôtre.",
                version=current_version,
            )
        )
    if current is not None and current.title == title and current.body == body:
        return None
    page = LegalPage(slug=slug, version=current_version + 1, title=title, body=body, author=author)
    try:
        with db.session.begin_nested():
            db.session.add(page)
            db.session.flush()
    except IntegrityError:
        raise LegalPageError(
            _("Quelqu'un vient d'enregistrer cette page : relisez-la avant d'enregistrer.")
        ) from None
    return page


def history(slug):
    """Every version of a page, newest first."""
    return list(
        db.session.scalars(
            select(LegalPage).where(LegalPage.slug == slug).order_by(LegalPage.version.desc())
        )
    )


def version_of(slug, number):
    return db.session.scalars(
        select(LegalPage).where(LegalPage.slug == slug, LegalPage.version == number)
    ).first()


def pages_to_fill():
    """The pages staff must still complete: placeholders left, or no version yet (a default has some)."""
    present = current_pages()
    return [slug for slug in LEGAL_SLUGS if slug not in present or placeholders(present[slug].body)]


def terms_version():
    """The version of the CGV a customer accepts now ("1", "2"…), loaded first if none."""
    return str(page_or_default(TERMS_SLUG).version)

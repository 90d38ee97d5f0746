"""Staff: a week's pick-up documents (printable page, PDF, CSV) and the page listing them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from urllib.parse import urlsplit

from flask import Response, current_app, render_template, request, url_for
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _

from .. import pdf as pdf_writer
from ..auth import admin_required, recent_login_required, staff_required
from ..downloads import download
from ..extensions import db
from ..formatting import parse_id, slugify
from ..links import public_root
from ..models import PickupPoint, SalesWeek, utcnow
from ..pickup import document_cache, document_jobs, documents
from ..pickup.services import slots_by_point, week_slots
from ..weeks import services as weeks
from . import bp

FORMATS = ("html", "pdf", "csv")


class DocumentRequestError(Exception):
    """A parameter of the document's address is wrong; the message is for staff."""

    def __init__(self, message, status=400, week=None):
        super().__init__(message)
        self.message, self.status, self.week = message, status, week


@bp.errorhandler(DocumentRequestError)
def document_request_error(error):
    return render_template(
        "staff/documents/error.html", message=error.message, week=error.week
    ), error.status


@dataclass(frozen=True)
class DocumentRequest:
    week: SalesWeek
    slots: list
    day: date | None
    point: PickupPoint | None
    format: str


def _shown(value):
    return value if len(value) <= 40 else value[:40] + "…"


def _week(week_id):
    week = db.session.get(SalesWeek, week_id)
    if week is None:
        raise DocumentRequestError(_("Cette semaine de vente n'existe pas."), 404)
    return week


def _document_request(week_id, delivery=False):
    """Read ?format=, ?jour= and ?point=; refuse what does not fit this week, clearly."""
    week = _week(week_id)
    fmt = request.args.get("format") or "html"
    if fmt not in FORMATS:
        raise DocumentRequestError(
            _("Format « %(format)s » inconnu : choisissez html, pdf ou csv.", format=_shown(fmt)),
            400,
            week,
        )
    slots = week_slots(week)
    day = None
    if raw := request.args.get("jour"):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise DocumentRequestError(
                _(
                    "« %(value)s » n'est pas une date : écrivez-la AAAA-MM-JJ, par exemple %(example)s.",
                    value=_shown(raw),
                    example=week.pickup_dates[0] if week.pickup_dates else "2026-12-04",
                ),
                400,
                week,
            ) from None
        if day not in documents.document_days(week, slots):
            raise DocumentRequestError(
                _(
                    "Pas de retrait le %(day)s dans « %(week)s ».",
                    day=format_date(day, "full"),
                    week=week.label,
                ),
                404,
                week,
            )
    point = None
    if raw := request.args.get("point"):
        point_id = parse_id(raw)
        if point_id is not None:
            point = db.session.get(PickupPoint, point_id)
        if point is None:
            raise DocumentRequestError(
                _("Point de retrait inconnu : « %(value)s ».", value=_shown(raw)), 404, week
            )
        if delivery and not point.is_delivery:
            raise DocumentRequestError(
                _("« %(name)s » n'est pas une tournée de livraison.", name=point.name), 400, week
            )
    return DocumentRequest(week, slots, day, point, fmt)


def _respond(kind, params, document, wait=False):
    """The document as a printable page, a PDF or a CSV file, as asked.

    A PDF not rendered yet is left to the worker where DOCUMENTS_IN_BACKGROUND is on (the
    page answers at once, "en préparation"); wait=True renders it here (the worker itself).
    """
    name = f"{KINDS[kind].filename}-{weeks.file_stem(params.week)}"  # emargement-2026-S49
    if params.day:
        name += f"-{params.day.isoformat()}"
    if params.point:
        name += f"-{slugify(params.point.name) or params.point.id}"  # -portail-de-la-pepiniere
    if params.format == "csv":
        return download(KINDS[kind].to_csv(document), f"{name}.csv")
    if params.format == "html":
        return _html(kind, params, document, "_screen.html")
    cache_key = _cache_key(kind, params, document)
    if (
        not wait
        and document_jobs.in_background()
        and not document_cache.is_cached(cache_key, "pdf")
    ):
        return _preparing(kind, params, document)
    pdf = document_cache.fetch(
        cache_key,
        "pdf",
        lambda: pdf_writer.render_pdf(
            _html(kind, params, document, "_pdf.html"), base_url=public_root()
        ),
    )
    return download(pdf, f"{name}.pdf")


def _preparing(kind, params, document):
    """The printable page with "PDF en préparation", reloading itself until the PDF is there."""
    path, locale = request.full_path.rstrip("?"), str(get_locale())
    error = document_jobs.failed(path, locale)
    document_jobs.queue(path, locale)  # after a failure: tried again when the page is reloaded
    db.session.commit()
    page = _html(kind, params, document, "_screen.html", preparing=error is None, failed=error)
    if error is not None:
        return page
    # Reloads the PDF's address (no script): the worker has it ready within seconds.
    return page, 202, {"Refresh": str(current_app.config["DOCUMENTS_REFRESH_SECONDS"])}


def render_job(path, locale):
    """Render the PDF a document job asks for into the cache (the worker's side)."""
    parts = urlsplit(path)
    endpoint, args = current_app.url_map.bind("").match(parts.path)
    kind = next(name for name, item in KINDS.items() if f"staff.{item.endpoint}" == endpoint)
    with current_app.test_request_context(path, base_url=public_root()), force_locale(locale):
        _document(kind, args["week_id"], wait=True)


def queue_week_pdfs(week):
    """Ask the worker for the week's whole-week PDFs (the schedule changed; the caller commits)."""
    if not document_jobs.in_background():
        return
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    for kind in KINDS.values():
        path = current_app.url_map.bind("").build(
            f"staff.{kind.endpoint}", {"week_id": week.id, "format": "pdf"}
        )
        document_jobs.queue(path, locale)


def _cache_key(kind, params, document):
    """Everything a PDF shows: same key, same PDF."""
    return document_cache.key(
        kind,
        params.week.id,
        params.week.label,
        params.week.pickup_dates,
        params.day,
        params.point.id if params.point else None,
        params.point.name if params.point else None,
        str(get_locale()),
        public_root(),
        current_app.config["SHOP_NAME"],
        documents.fingerprint(document),
    )


def _html(kind, params, document, layout, **extra):
    qr_images = {}
    # The same QR codes as last time come from the cache. While the PDF is being prepared the
    # page goes without them: drawing 2,000 of them is the worker's job, not this request's.
    if kind == "labels" and not extra.get("preparing"):
        qr_images = document_cache.qr_images(
            [row.handover_url for row in document],
            documents.qr_image,
            namespace=("labels", params.week.id, public_root()),
        )
    return render_template(
        f"staff/documents/{kind}.html",
        layout=f"staff/documents/{layout}",
        kind=kind,
        pdf=layout == "_pdf.html",
        week=params.week,
        day=params.day,
        point=params.point,
        document=document,
        generated_at=utcnow(),
        qr_image=qr_images.get,
        format_links=_format_links(),
        **extra,
    )


def _format_links():
    """This document's address in each format, keeping its other parameters."""
    args = {key: request.args[key] for key in ("jour", "point") if request.args.get(key)}
    return {
        fmt: url_for(request.endpoint, **request.view_args, **args, format=fmt) for fmt in FORMATS
    }


@bp.get("/documents.css")
@staff_required
def documents_stylesheet():
    """The documents' print styles, shared with the PDFs, as a stylesheet (no inline styles)."""
    css = render_template("staff/documents/_screen.css")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/semaines/<int:week_id>/documents")
@staff_required
def documents_index(week_id):
    week = _week(week_id)
    slots = week_slots(week)
    return render_template(
        "staff/documents/index.html",
        week=week,
        days=documents.document_days(week, slots),
        groups=slots_by_point(slots),
    )


@dataclass(frozen=True)
class Kind:
    """A kind of document: its endpoint, file name, how it is built and exported."""

    endpoint: str
    filename: str
    build: Callable
    to_csv: Callable
    delivery: bool = False


KINDS = {
    "preparation": Kind(
        "preparation_list",
        "preparation",
        lambda p: documents.preparation(p.week, p.day, p.point),
        documents.preparation_csv,
    ),
    "labels": Kind(
        "order_labels",
        "etiquettes",
        lambda p: documents.labels(p.week, p.day, p.point),
        documents.labels_csv,
    ),
    "pickup_list": Kind(
        "pickup_list",
        "emargement",
        lambda p: documents.pickup_list(p.week, p.slots, p.day, p.point),
        documents.pickup_list_csv,
    ),
    "delivery_round": Kind(
        "delivery_round",
        "tournee",
        lambda p: documents.delivery_round(p.week, p.slots, p.day, p.point),
        documents.delivery_round_csv,
        delivery=True,
    ),
}


def csv_for_admins(view):
    """The CSV files carry customers' names, phones and addresses out of the shop, into
    spreadsheets and mail attachments: admins only, with a recent login. Staff print the
    page or the PDF, which show the same orders."""
    guarded = admin_required(recent_login_required(view))

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.args.get("format") == "csv":
            return guarded(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def _document(kind, week_id, wait=False):
    """The document of this kind the address asks for, as a page, a PDF or a CSV file."""
    params = _document_request(week_id, delivery=KINDS[kind].delivery)
    return _respond(kind, params, KINDS[kind].build(params), wait=wait)


@bp.get("/semaines/<int:week_id>/documents/preparation")
@staff_required
@csv_for_admins
def preparation_list(week_id):
    return _document("preparation", week_id)


@bp.get("/semaines/<int:week_id>/documents/etiquettes")
@staff_required
@csv_for_admins
def order_labels(week_id):
    return _document("labels", week_id)


@bp.get("/semaines/<int:week_id>/documents/emargement")
@staff_required
@csv_for_admins
def pickup_list(week_id):
    return _document("pickup_list", week_id)


@bp.get("/semaines/<int:week_id>/documents/tournee")
@staff_required
@csv_for_admins
def delivery_round(week_id):
    return _document("delivery_round", week_id)


def prepare_pdfs(week):
    """Render the week's whole-week PDFs into the document cache (for `flask documents prepare`).

    Each is rendered as staff will ask for it (its address's parameters, their cache key,
    which never depends on the host they reach the shop by), so that their request finds it.
    Returns [(kind, "cached" or "rendered")].
    """
    done = []
    for name, kind in KINDS.items():
        path = current_app.url_map.bind("").build(
            f"staff.{kind.endpoint}", {"week_id": week.id, "format": "pdf"}
        )
        with current_app.test_request_context(path, base_url=public_root()):
            params = _document_request(week.id, delivery=kind.delivery)
            if kind.delivery and not any(
                p.is_delivery for p, _slots in slots_by_point(params.slots)
            ):
                continue  # no delivery round this week
            document = kind.build(params)
            hit = document_cache.is_cached(_cache_key(name, params, document), "pdf")
            _respond(name, params, document, wait=True)
            done.append((name, "cached" if hit else "rendered"))
    return done

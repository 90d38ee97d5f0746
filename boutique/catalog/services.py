"""Catalog rules: products, activation, CSV export and import."""

import csv
import io

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..formatting import cents_to_input, parse_euros
from ..models import VAT_RATES, Category, Offer, Product, SalesWeek
from ..passports.services import is_valid_botanical_name
from ..spreadsheet import csv_text, uncell
from ..transactions import lock_weeks

PRODUCT_FIELDS = (
    "name",
    "variety",
    "category_id",
    "unit_label",
    "vat_rate_bp",
    "price_individual_cents",
    "price_restaurant_cents",
    "price_amap_cents",
    "description",
)
# Copied when the form gives them (the CSV import does not: a product keeps its English unit).
OPTIONAL_PRODUCT_FIELDS = ("unit_label_en",)
CSV_COLUMNS = (
    "categorie",
    "nom",
    "variete",
    "unite",
    "tva",
    "prix_particulier_ttc",
    "prix_restaurant_ht",
    "prix_amap_ht",
    "description",
    "actif",
    "plant_a_planter",
    "nom_botanique",
)
# Files exported before plant passports lack these columns: the products keep their values.
OPTIONAL_CSV_COLUMNS = ("plant_a_planter", "nom_botanique")
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ProductError(ValueError):
    """A rule refused the product; the message is for staff, and nothing was saved."""


class CsvImportError(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def categories(locked=False):
    """Every category in storefront order.

    locked: each row is taken FOR KEY SHARE (in id order) until the commit, for products about
    to point at them: a category being deleted at the same moment is then either kept until
    they are saved (and its deletion refused) or already gone, never a foreign-key error.
    """
    if not locked:
        return db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    rows = db.session.scalars(
        select(Category).order_by(Category.id).with_for_update(key_share=True)
    ).all()
    return sorted(rows, key=lambda c: (c.position, c.name))


def _category_still_there(category_id):
    return db.session.scalar(
        select(Category.id).where(Category.id == category_id).with_for_update(key_share=True)
    )


def all_products():
    return db.session.scalars(
        select(Product)
        .options(joinedload(Product.category))
        .join(Product.category)
        .order_by(Category.position, Product.name, Product.variety)
    ).all()


def find_product(name, variety):
    return db.session.scalar(
        select(Product).where(Product.name == name, Product.variety == (variety or ""))
    )


def _copy_fields(product, data):
    for field in PRODUCT_FIELDS:
        value = data[field]
        setattr(product, field, value.strip() if isinstance(value, str) else value)
    for field in OPTIONAL_PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, (data[field] or "").strip())
    if "plant_for_planting" in data:
        product.plant_for_planting = bool(data["plant_for_planting"])
    if "botanical_name" in data:
        product.botanical_name = (data["botanical_name"] or "").strip()


def bump_weeks_showing(product_ids):
    """The storefront of every week offering these products changes: bump those weeks' version."""
    bump_weeks(
        db.session.scalars(
            select(Offer.week_id).where(Offer.product_id.in_(product_ids)).distinct()
        ).all()
    )


def bump_weeks(week_ids):
    """These weeks' storefronts change: bump their version (the catalog's cache key)."""
    week_ids = sorted(set(week_ids))
    lock_weeks(week_ids)  # in id order (rule 9), not in whatever order the UPDATE meets them
    db.session.execute(
        update(SalesWeek)
        .where(SalesWeek.id.in_(week_ids))
        .values(version=SalesWeek.version + 1)
        .execution_options(synchronize_session=False)
    )


def save_product(product, data):
    """Copy the form's values onto a product (new or existing).

    The weeks showing it first (rule 9), then its category's row (see categories(locked)):
    ProductError when staff deleted that category in the meantime.
    """
    if product.id is not None:  # a new product is offered in no week yet
        bump_weeks_showing([product.id])
    gone = ProductError(_("Cette catégorie vient d'être supprimée : choisissez-en une autre."))
    if _category_still_there(data["category_id"]) is None:
        raise gone
    try:
        with db.session.begin_nested():  # everything written inside it (it flushes first)
            _copy_fields(product, data)
            if product.id is None:
                db.session.add(product)
            db.session.flush()
    except IntegrityError:
        # SQLite takes no row lock: the category may have gone since it was read above.
        if _category_still_there(data["category_id"]) is None:
            raise gone from None
        raise
    return product


def set_active(product, active):
    """Deactivated products leave the grid of future weeks but stay on past orders."""
    product.active = active
    db.session.flush()
    bump_weeks_showing([product.id])
    if not active:  # its waiting list ends without a mail (the worker's round ends the rest)
        from ..waitlist.services import end_retired

        end_retired([product.id])


def export_csv():
    """The whole catalog as CSV, like the pick-up documents' (no cell runs as a formula)."""
    return csv_text(
        CSV_COLUMNS,
        (
            [
                product.category.name,
                product.name,
                product.variety,
                product.unit_label,
                f"{product.vat_rate_bp / 100:g}".replace(".", ","),
                cents_to_input(product.price_individual_cents),
                cents_to_input(product.price_restaurant_cents),
                cents_to_input(product.price_amap_cents),
                product.description,
                "oui" if product.active else "non",
                "oui" if product.plant_for_planting else "non",
                product.botanical_name,
            ]
            for product in all_products()
        ),
    )


def _parse_vat(text):
    try:
        basis_points = parse_euros(text)  # "5,5" -> 550: same arithmetic as euros to cents
    except ValueError:
        return None
    return basis_points if basis_points in VAT_RATES else None


def _parse_row(row, category_by_key):
    """Return (values, errors) for one CSV row."""
    errors = []
    get = lambda key: uncell((row.get(key) or "").strip())  # noqa: E731
    category = category_by_key.get(get("categorie").lower())
    if category is None:
        errors.append(_("catégorie inconnue « %(name)s »", name=get("categorie")))
    if not get("nom"):
        errors.append(_("nom manquant"))
    if not get("unite"):
        errors.append(_("unité manquante"))
    if len(get("nom")) > 120 or len(get("variete")) > 120 or len(get("unite")) > 60:
        errors.append(_("texte trop long"))
    vat = _parse_vat(get("tva"))
    if vat is None:
        errors.append(_("taux de TVA invalide « %(value)s » (5,5, 10 ou 20)", value=get("tva")))
    prices = {}
    for column, field in (
        ("prix_particulier_ttc", "price_individual_cents"),
        ("prix_restaurant_ht", "price_restaurant_cents"),
        ("prix_amap_ht", "price_amap_cents"),
    ):
        try:
            prices[field] = parse_euros(get(column))
        except ValueError:
            prices[field] = None
        if prices[field] is None or not 0 <= prices[field] <= 10_000_000:
            errors.append(_("prix invalide dans « %(column)s »", column=column))
    active = get("actif").lower() or "oui"
    if active not in ("oui", "non", "yes", "no", "1", "0"):
        errors.append(_("« actif » doit valoir oui ou non"))
    if "plant_a_planter" in row or "nom_botanique" in row:
        plant = get("plant_a_planter").lower() or "non"
        botanical = get("nom_botanique")
        if plant not in ("oui", "non", "yes", "no", "1", "0"):
            errors.append(_("« plant_a_planter » doit valoir oui ou non"))
        elif plant in ("oui", "yes", "1") and not botanical:
            errors.append(_("nom botanique manquant pour un plant à planter"))
        if botanical and not is_valid_botanical_name(botanical):
            errors.append(
                _("nom botanique invalide « %(value)s » (genre et espèce)", value=botanical)
            )
        if len(botanical) > 160:
            errors.append(_("texte trop long"))
        passport_values = {
            "plant_for_planting": plant in ("oui", "yes", "1"),
            "botanical_name": botanical,
        }
    else:
        passport_values = {}
    values = {
        "name": get("nom"),
        "variety": get("variete"),
        "category_id": category.id if category else None,
        "unit_label": get("unite"),
        "vat_rate_bp": vat,
        "description": get("description"),
        "active": active in ("oui", "yes", "1"),
        **prices,
        **passport_values,
    }
    return values, errors


def import_csv(raw):
    """Create or update products from CSV bytes; all rows or none.

    Rows are matched to existing products by name and variety.
    Returns (created, updated); raises CsvImportError listing every bad line.
    """
    if len(raw) > MAX_IMPORT_BYTES:
        raise CsvImportError([_("Fichier trop gros (2 Mo au plus).")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError([_("Le fichier doit être un CSV encodé en UTF-8.")]) from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [
        c
        for c in CSV_COLUMNS
        if c not in (reader.fieldnames or []) and c not in OPTIONAL_CSV_COLUMNS
    ]
    if missing:
        raise CsvImportError([_("Colonnes manquantes : %(columns)s", columns=", ".join(missing))])

    category_by_key = {}
    for category in categories():
        category_by_key[category.name.lower()] = category
        category_by_key[category.slug.lower()] = category
    errors, rows, seen = [], [], set()
    try:
        for row in reader:
            line = reader.line_num
            values, row_errors = _parse_row(row, category_by_key)
            key = (values["name"].lower(), values["variety"].lower())
            if key in seen:
                row_errors.append(_("produit en double dans le fichier"))
            seen.add(key)
            errors.extend(_("Ligne %(line)d : %(error)s", line=line, error=e) for e in row_errors)
            rows.append(values)
    except csv.Error as exc:
        errors.append(_("Ligne %(line)d : %(error)s", line=reader.line_num, error=str(exc)))
    if errors:
        raise CsvImportError(errors)
    if not rows:
        raise CsvImportError([_("Le fichier ne contient aucun produit.")])

    # One query for the existing products, one flush for the whole file.
    existing = {(p.name, p.variety): p for p in db.session.scalars(select(Product))}
    bump_weeks_showing([product.id for product in existing.values()])  # weeks first (rule 9)
    still_there = {category.id for category in categories(locked=True)}
    names = {category.id: category.name for category in category_by_key.values()}
    gone = sorted({names[v["category_id"]] for v in rows if v["category_id"] not in still_there})
    if gone:  # deleted by staff while the file was read
        raise CsvImportError([_("catégorie inconnue « %(name)s »", name=name) for name in gone])
    created = updated = 0
    for values in rows:
        product = existing.get((values["name"], values["variety"]))
        if product is None:
            product = Product()
            db.session.add(product)
            created += 1
        else:
            updated += 1
        _copy_fields(product, values)
        product.active = values["active"]
    db.session.flush()
    return created, updated

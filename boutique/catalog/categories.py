"""Categories: the storefront's sections, created, renamed, ordered and removed by staff.

A category's slug is its name as it goes in the storefront's address (`?categorie=legumes`): it
follows the name and stays unique. Positions are kept 1, 2, 3… (the storefront groups products
by position): a new category goes last, and each move numbers them all again.

Every change shows on the storefront: the weeks showing the category's products (as product
edits) and every published week (its category filter lists all of them) get a new version, so
no cached catalog shows the old names or order. The weeks' rows are taken first (rule 9, see
transactions.py), then the categories' rows in id order.
"""

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..formatting import slugify
from ..models import Category, Offer, Product, SalesWeek
from .services import bump_weeks, categories

NAME_MAX_LENGTH = 80  # Category.name and Category.slug


class CategoryError(ValueError):
    """A rule refused the change; the message is for staff, and nothing was changed."""


def category_rows():
    """Every category in storefront order with the number of products using it (inactive too)."""
    counts = (
        select(Product.category_id, func.count().label("products"))
        .group_by(Product.category_id)
        .subquery()
    )
    return db.session.execute(
        select(Category, func.coalesce(counts.c.products, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.name)
    ).all()


def clean_name(name):
    """The name as it is kept: surrounding and repeated spaces removed."""
    return " ".join((name or "").split())


def create_category(name, name_en=""):
    """A new category, last in the storefront's order; name_en is for English pages (optional)."""
    name, slug = _checked_name(name, None)
    name_en = _checked_english_name(name_en)
    _bump_storefront()
    existing = _locked_categories()
    position = max((c.position or 0 for c in existing), default=0) + 1
    category = Category(name=name, name_en=name_en, slug=slug, position=position)
    db.session.add(category)
    _flush_names(name)
    return category


def rename_category(category, name, name_en=None):
    """Give the category a new name (its slug follows) and English name (None: kept); False when
    both are the same. English pages show the English name at once too (same bump)."""
    name, slug = _checked_name(name, category)
    name_en = category.name_en if name_en is None else _checked_english_name(name_en)
    if name == category.name and slug == category.slug and name_en == category.name_en:
        return False
    _bump_storefront([category.id])
    category.name, category.slug, category.name_en = name, slug, name_en
    _flush_names(name)
    return True


def move_category(category, step):
    """Move the category one place up (step -1) or down (+1); False when it is already at that
    end. Positions are numbered again from 1, whatever they were."""
    _bump_storefront()
    ordered = sorted(_locked_categories(), key=lambda c: (c.position or 0, c.name, c.id))
    index = next((i for i, c in enumerate(ordered) if c.id == category.id), None)
    if index is None:  # removed by someone else since the page was shown
        raise CategoryError(_("Cette catégorie n'existe plus."))
    target = index + step
    moved = 0 <= target < len(ordered)
    if moved:
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, each in enumerate(ordered, start=1):
        if each.position != position:
            each.position = position
    db.session.flush()
    return moved


def delete_category(category):
    """Remove a category that no product uses; CategoryError (nothing changed) otherwise.

    Inactive products count: they still name their category on past orders' pages and in the
    CSV export, and come back with it when reactivated.
    """
    _bump_storefront([category.id])
    _locked_categories()  # a product being saved into it waits, or is counted below
    used_by = db.session.scalar(
        select(func.count()).select_from(Product).where(Product.category_id == category.id)
    )
    if used_by:
        raise CategoryError(_in_use_message(category, used_by))
    db.session.delete(category)
    try:
        db.session.flush()
    except IntegrityError:  # a product saved into it in the meantime (the database's check)
        raise CategoryError(_in_use_message(category, 1)) from None


def _in_use_message(category, used_by):
    return ngettext(
        "La catégorie « %(name)s » n'est pas supprimée : %(num)d produit l'utilise (les "
        "produits désactivés comptent). Changez la catégorie de ce produit d'abord.",
        "La catégorie « %(name)s » n'est pas supprimée : %(num)d produits l'utilisent (les "
        "produits désactivés comptent). Changez la catégorie de ces produits d'abord.",
        used_by,
        name=category.name,
    )


def _checked_name(name, category):
    """(name, slug) for this category (None: a new one), or CategoryError saying why not."""
    name = clean_name(name)
    if not name:
        raise CategoryError(_("Indiquez le nom de la catégorie."))
    if len(name) > NAME_MAX_LENGTH:
        raise CategoryError(
            _("Le nom est trop long : %(max)d caractères au plus.", max=NAME_MAX_LENGTH)
        )
    slug = slugify(name, NAME_MAX_LENGTH)
    if not slug:
        raise CategoryError(_("Le nom doit contenir au moins une lettre ou un chiffre."))
    for other in categories():
        if category is not None and other.id == category.id:
            continue
        if other.name.casefold() == name.casefold():
            raise CategoryError(_("La catégorie « %(name)s » existe déjà.", name=other.name))
        if other.slug == slug:
            raise CategoryError(
                _(
                    "« %(name)s » est trop proche de la catégorie « %(other)s » : les deux "
                    "s'écriraient « %(slug)s » dans l'adresse de la boutique. Choisissez un "
                    "nom qui s'en distingue.",
                    name=name,
                    other=other.name,
                    slug=slug,
                )
            )
    return name, slug


def _checked_english_name(name_en):
    """The English name as it is kept ("": the French one shows), or CategoryError."""
    name_en = clean_name(name_en)
    if len(name_en) > NAME_MAX_LENGTH:
        raise CategoryError(
            _("Le nom est trop long : %(max)d caractères au plus.", max=NAME_MAX_LENGTH)
        )
    return name_en


def _flush_names(name):
    """Write the name; another member of staff may have just taken it (unique constraints)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise CategoryError(
            _("La catégorie « %(name)s » vient d'être créée par ailleurs.", name=name)
        ) from None


def _locked_categories():
    """Every category's row, taken in id order and read as it is now."""
    return db.session.scalars(
        select(Category).order_by(Category.id).with_for_update(),
        execution_options={"populate_existing": True},
    ).all()


def _bump_storefront(category_ids=()):
    """New versions for the weeks whose storefront shows categories: the published ones (their
    filter lists every category) and those offering these categories' products."""
    week_ids = set(db.session.scalars(select(SalesWeek.id).where(SalesWeek.status == "published")))
    if category_ids:
        week_ids.update(
            db.session.scalars(
                select(Offer.week_id)
                .join(Product, Product.id == Offer.product_id)
                .where(Product.category_id.in_(list(category_ids)))
                .distinct()
            )
        )
    bump_weeks(week_ids)

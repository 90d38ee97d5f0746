"""Cancelling an order asks first, on its own page (issue 12, part 6): the order page has a plain
link far from the quantities' save button; the confirmation page says what goes and what happens
to the money, in the order page's words; only its POST cancels."""

from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.models import CardPayment, Payment, utcnow
from boutique.ordering.services import cancel_order
from tests import test_ordering
from tests.browser import ARTIFACTS, serious_violations
from tests.conftest import page_text
from tests.test_ordering import close_week, follow, fresh, place, state

# The ordering tests' shop: tomatoes at 2,50 €, basil at 3,00 €, geraniums, and a slot.
make_slot, shop = test_ordering.make_slot, test_ordering.shop

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], ""

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def all_text(self):
        return " ".join((self.text + " " + " ".join(c.all_text() for c in self.children)).split())


class Tree(HTMLParser):
    """The page as nested elements: enough to say what is inside what."""

    def __init__(self, html):
        super().__init__()
        self.root = self.current = Element("document", {}, None)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text += data

    def find_all(self, predicate):
        return [e for e in self.root.iter() if predicate(e)]


def order_url(order, action=""):
    return f"/commande/suivi/{order.access_token}{'/' + action if action else ''}"


def card_order(shop, card_status="authorised", captured_cents=0):
    """A card order the customer can still cancel: authorised (16,00 €), maybe captured early."""
    order = place(shop.week, [(shop.tomato, 4), (shop.basil, 2)], shop.slot, payment_method="card")
    order.status = "placed"
    db.session.add(
        CardPayment(
            order=order,
            amount_requested_cents=1600,
            amount_authorised_cents=1600,
            authorised_at=utcnow(),
            intent_id="pi_cancel_page",
            status=card_status,
        )
    )
    if captured_cents:
        db.session.add(
            Payment(order=order, method="card", amount_cents=captured_cents, reference="ch_1")
        )
    db.session.commit()
    return order


# --- The order page ---------------------------------------------------------------------------------


def test_the_order_page_links_to_the_confirmation_apart_from_the_save_button(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)

    html = client.get(order_url(order)).get_data(as_text=True)

    tree = Tree(html)
    (quantities,) = tree.find_all(
        lambda e: e.tag == "form" and e.attrs.get("action", "").endswith("/modifier")
    )
    (cancel_link,) = tree.find_all(
        lambda e: e.tag == "a" and e.attrs.get("href") == order_url(order, "annuler")
    )
    assert cancel_link.all_text() == "Annuler ma commande…"
    # Nothing on the page cancels in one tap: no form posts to /annuler.
    assert not tree.find_all(
        lambda e: e.tag == "form" and e.attrs.get("action", "").endswith("/annuler")
    )
    # The link is neither in the quantities' form nor in the section around it…
    assert quantities not in cancel_link.ancestors()
    lines_section = next(a for a in quantities.ancestors() if a.tag == "section")
    assert lines_section not in cancel_link.ancestors()
    # …but in a section of its own, with its heading, that has no form and no button at all.
    cancel_section = next(a for a in cancel_link.ancestors() if a.tag == "section")
    assert "cancel-section" in cancel_section.attrs.get("class", "")
    assert [e.all_text() for e in cancel_section.iter() if e.tag == "h2"] == ["Annuler la commande"]
    assert not [e for e in cancel_section.iter() if e.tag in ("form", "button")]
    save = [e for e in quantities.iter() if e.tag == "button"]
    assert [b.all_text() for b in save] == ["Enregistrer les quantités"]
    # Not next to it either: other content stands between the lines' section and this one.
    siblings = lines_section.parent.children
    between = siblings[siblings.index(lines_section) + 1 : siblings.index(cancel_section)]
    assert "Gardez le lien de cette page" in " ".join(e.all_text() for e in between)


def test_an_order_that_cannot_be_cancelled_has_no_cancel_link(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    close_week(shop.week)

    page = page_text(client.get(order_url(order)))

    assert "Annuler ma commande" not in page and order_url(order, "annuler") not in page


# --- The confirmation page --------------------------------------------------------------------------


def test_the_confirmation_page_says_what_goes_and_changes_nothing(client, shop):
    order = place(shop.week, [(shop.tomato, 4), (shop.geranium, 1)], shop.slot)
    before = state()

    response = client.get(order_url(order, "annuler"))

    assert response.status_code == 200
    assert state() == before
    assert fresh(order).status == "placed"
    page = page_text(response)
    assert f"Annuler la commande {order.number} ?" in page
    assert "Rien n'est encore annulé." in page
    assert "Tomate Cœur de bœuf" in page and "Géranium Lierre rouge" in page
    assert "Total TTC" in page and "15,00 €" in page
    assert "Votre créneau de retrait sera libéré : Portail de la pépinière" in page
    assert "Vous n'avez rien payé : il n'y a rien à rembourser." in page
    tree = Tree(response.get_data(as_text=True))
    (form,) = tree.find_all(
        lambda e: e.tag == "form" and "cancel-actions" in e.attrs.get("class", "")
    )
    assert form.attrs["method"] == "post" and form.attrs["action"] == order_url(order, "annuler")
    assert any(e.attrs.get("name") == "csrf_token" for e in form.iter() if e.tag == "input")
    assert [b.all_text() for b in form.iter() if b.tag == "button"] == ["Oui, annuler la commande"]
    (keep,) = [a for a in form.iter() if a.tag == "a"]
    assert keep.all_text() == "Non, garder ma commande" and keep.attrs["href"] == order_url(order)


def test_confirming_cancels_the_order_as_before(client, shop):
    order = place(shop.week, [(shop.tomato, 4)], shop.slot)

    response = client.post(order_url(order, "annuler"))

    page = follow(client, response)
    assert "Votre commande est annulée." in page
    order = fresh(order)
    assert order.status == "cancelled" and order.cancel_reason == "Annulée par le client"
    assert fresh(shop.tomato).quantity_reserved == 0 and fresh(shop.slot).booked == 0


def test_the_card_sentence_is_the_one_the_order_page_shows_once_cancelled(client, shop, staff):
    order = card_order(shop)

    asked = page_text(client.get(order_url(order, "annuler")))

    sentence = "Nous annulons l'autorisation de votre carte : rien ne sera débité."
    assert 'data-money="releasing"' in asked and sentence in asked
    assert "Carte autorisée pour" not in asked  # today's state is not what cancelling does
    cancel_order(fresh(order), staff, reason="Essai")
    db.session.commit()
    shown = page_text(client.get(order_url(order)))
    assert 'data-money="releasing"' in shown and sentence in shown


def test_a_card_already_debited_is_refunded_says_the_confirmation(client, shop):
    order = card_order(shop, card_status="captured", captured_cents=1600)

    page = page_text(client.get(order_url(order, "annuler")))

    assert 'data-money="refund_pending"' in page
    assert "Nous vous remboursons 16,00 € sur votre carte (débitée de 16,00 €)." in page


def test_a_lapsed_authorisation_says_it_is_released(client, shop):
    order = card_order(shop, card_status="cancelled")

    page = page_text(client.get(order_url(order, "annuler")))

    assert "L'autorisation de votre carte est libérée : rien n'a été débité." in page


def test_after_the_deadline_the_page_says_so_without_a_button(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    close_week(shop.week)
    before = state()

    response = client.get(order_url(order, "annuler"))

    assert response.status_code == 200 and state() == before
    page = page_text(response)
    assert "Cette commande ne peut plus être annulée en ligne : contactez-nous." in page
    assert (
        "Oui, annuler" not in page and "<form" not in page.split("<main", 1)[1].split("</main>")[0]
    )


def test_an_order_already_cancelled_says_so_without_a_button(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    client.post(order_url(order, "annuler"))

    page = page_text(client.get(order_url(order, "annuler")))

    assert "Cette commande est déjà annulée." in page and "Oui, annuler" not in page


def test_the_confirmation_page_of_an_unknown_order_is_a_404(client, shop):
    assert client.get("/commande/suivi/inconnu/annuler").status_code == 404


def test_the_cancelling_post_needs_its_form_token(app, client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post(order_url(order, "annuler"))

    assert response.status_code == 400 and fresh(order).status == "placed"


# --- In Chromium, on a phone --------------------------------------------------------------------------


@pytest.mark.browser
def test_a_customer_cancels_on_a_phone_after_confirming(page, shop):
    order = place(shop.week, [(shop.tomato, 4), (shop.basil, 1)], shop.slot)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(order_url(order))
    save = page.get_by_role("button", name="Enregistrer les quantités")
    link = page.get_by_role("link", name="Annuler ma commande…")
    expect(link).to_be_visible()
    gap = link.bounding_box()["y"] - (save.bounding_box()["y"] + save.bounding_box()["height"])
    assert gap > 100  # well apart from the save button, not 16 px under it
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "order-cancel-link-phone.png"), full_page=True)

    link.click()
    expect(page.locator("h1")).to_have_text(f"Annuler la commande {order.number} ?")
    expect(page.locator("table.lines")).to_contain_text("Tomate Cœur de bœuf")
    expect(page.locator('[data-money="nothing_due"]')).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "order-cancel-confirm-phone.png"), full_page=True)
    db.session.expire_all()
    assert fresh(order).status == "placed"

    page.get_by_role("link", name="Non, garder ma commande").click()
    expect(page).to_have_url(f"{page.url.split('/commande')[0]}{order_url(order)}")
    db.session.expire_all()
    assert fresh(order).status == "placed"

    page.get_by_role("link", name="Annuler ma commande…").click()
    page.get_by_role("button", name="Oui, annuler la commande").click()
    expect(page.locator(".flash-info")).to_contain_text("Votre commande est annulée.")
    expect(page.get_by_role("link", name="Annuler ma commande…")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "order-cancelled-phone.png"), full_page=True)
    db.session.expire_all()
    assert fresh(order).status == "cancelled"

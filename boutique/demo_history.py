"""Two seasons of demo sales before the demo's last week, generated from a fixed seed.

Every ISO week from week 1 of the year before the demo's last week (two years before until
midsummer) up to the week before it is an archived sales week with its pick-up slots, offers
and orders, so the season dashboard and the sowing plan have a real history to read. The
same `last` week gives the same history: one `random.Random(SEED)` drives every draw (the
secret tokens aside, which come from `secrets` since they open order pages).

Demand follows each product's season as a grower knows it (SEASONS: tomato seedlings in April
and May, leek seedlings in summer, cut tomatoes from July…), shared between individuals (many
small orders, most in spring), restaurants and AMAPs (weekly, bigger), the later year about
12 % above the earlier one. What staff offered is last year's level of demand, usually with a
margin and sometimes short (a failed sowing), so some weeks sell out: orders then got what was
left, and a few customers left their address on the waiting list (ended "notified" when the
product came back).

How the books stay coherent (each row as the shop's own code would have written it):
- an order was placed, confirmed by staff on the deadline's afternoon, then collected at its
  slot; about 4 % were cancelled before confirmation (their units and places given back, no
  invoice, no payment) and about 3 % were not collected (no-show: units and place kept, as
  `mark_no_show` does);
- an individual paying at pick-up has a Payment (cash, cheque or card terminal) taken at the
  gate, with its entry in the gate's cash journal chained as `record_gate_payment` chains it,
  so `flask books verify` holds; the sales journal lists the order as a receipt;
- a card order has its CardPayment, captured at confirmation, and the Payment of the capture;
- every professional order has its invoice, issued at confirmation (FA-YYYY-NNNN, numbered in
  date order after any earlier ones; the counters continue from there). Invoices paid by
  transfer were paid 10 to 45 days later (a transfer Payment, `paid_at`) when that day is
  past, else they are still to pay; invoices paid at pick-up are settled by the gate's payment.
"""

import random
import secrets
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, insert, select, text

from .account.services import siret_is_valid
from .books.cash_journal import GENESIS, entry_hash
from .extensions import db
from .models import (
    CardPayment,
    CashClosing,
    CashJournalEntry,
    CropPlan,
    Invoice,
    InvoiceCounter,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PickupSlot,
    SalesWeek,
    SeasonCharge,
    SownLot,
    WaitlistEntry,
)
from .payments.invoices import PREFIXES, _bank, _line, _seller, _totals_of_lines
from .pricing import compute_totals, vat_rate_for
from .timezones import local_to_utc, shop_today

SEED = 16  # issue 16
GROWTH = 1.12  # the later season over the earlier one

# Monthly weight of demand (January … December), 1 at the product's peak.
SEASONS = {
    "solanacees": (0, 0, 0.08, 0.75, 1, 0.3, 0.04, 0, 0, 0, 0, 0),
    "cucurbitacees": (0, 0, 0, 0.35, 1, 0.45, 0.08, 0, 0, 0, 0, 0),
    "courges": (0, 0, 0, 0.15, 1, 0.3, 0, 0, 0, 0, 0, 0),
    "salades": (0, 0.1, 0.6, 0.9, 1, 0.85, 0.7, 0.75, 0.6, 0.25, 0.05, 0),
    "poireaux": (0, 0, 0.05, 0.15, 0.4, 0.9, 1, 0.75, 0.15, 0, 0, 0),
    "choux": (0, 0, 0.1, 0.35, 0.9, 1, 0.8, 0.3, 0.1, 0, 0, 0),
    "celeri": (0, 0, 0.1, 0.6, 1, 0.5, 0.1, 0, 0, 0, 0, 0),
    "haricots": (0, 0, 0, 0.2, 1, 0.8, 0.4, 0.1, 0, 0, 0, 0),
    "fraisiers": (0, 0.1, 0.6, 1, 0.6, 0.2, 0.1, 0.4, 0.8, 0.5, 0.1, 0),
    "basilic": (0, 0, 0.1, 0.7, 1, 0.9, 0.6, 0.3, 0.1, 0, 0, 0),
    "aromatiques_vivaces": (0, 0.05, 0.4, 0.9, 1, 0.7, 0.4, 0.25, 0.35, 0.25, 0.05, 0),
    "aromatiques_annuelles": (0, 0.1, 0.5, 0.9, 1, 0.7, 0.5, 0.5, 0.6, 0.4, 0.1, 0),
    "fleurs": (0, 0, 0.05, 0.6, 1, 0.6, 0.2, 0, 0, 0, 0, 0),
    "dahlias": (0, 0, 0.3, 0.9, 1, 0.3, 0, 0, 0, 0, 0, 0),
    "bouquets": (0, 0, 0, 0.2, 0.6, 0.9, 1, 1, 0.9, 0.5, 0.1, 0),
    "tomates": (0, 0, 0, 0, 0, 0.2, 0.8, 1, 0.8, 0.25, 0, 0),
    "courgettes": (0, 0, 0, 0, 0.2, 0.8, 1, 1, 0.7, 0.2, 0, 0),
    "salade": (0.6, 0.6, 0.8, 1, 1, 0.8, 0.5, 0.5, 0.8, 0.9, 0.8, 0.6),
    "radis": (0, 0.1, 0.7, 1, 0.9, 0.5, 0.2, 0.2, 0.6, 0.7, 0.4, 0.1),
    "carottes": (0.5, 0.3, 0.1, 0.1, 0.5, 0.9, 1, 0.9, 0.9, 0.9, 0.8, 0.7),
    "pommes_de_terre": (0.6, 0.5, 0.3, 0.1, 0.2, 0.8, 1, 1, 0.9, 0.8, 0.8, 0.7),
    "oignons": (0, 0, 0.3, 0.9, 1, 0.6, 0.1, 0, 0, 0, 0, 0),
    "blettes": (0.4, 0.3, 0.2, 0.2, 0.4, 0.8, 1, 1, 1, 0.9, 0.8, 0.6),
    "epinards": (0.8, 0.9, 1, 0.7, 0.2, 0, 0, 0, 0.2, 0.7, 1, 0.8),
    "poireaux_legume": (1, 0.9, 0.6, 0.2, 0, 0, 0, 0, 0.2, 0.7, 1, 1),
    "potimarron": (0.7, 0.5, 0.2, 0, 0, 0, 0, 0, 0.5, 1, 1, 0.9),
}

# Product → (season, units a week at its peak in the earlier year, all customers together).
DEMAND = {
    ("Tomate", "Cœur de bœuf"): ("solanacees", 42),
    ("Tomate", "Noire de Crimée"): ("solanacees", 27),
    ("Tomate", "Green Zebra"): ("solanacees", 16),
    ("Tomate", "Ananas"): ("solanacees", 13),
    ("Tomate", "Roma"): ("solanacees", 39),
    ("Tomate cerise", "Miel du Mexique"): ("solanacees", 51),
    ("Courgette", "Black Beauty"): ("cucurbitacees", 30),
    ("Courgette", "Ronde de Nice"): ("cucurbitacees", 18),
    ("Aubergine", "Violette de Barbentane"): ("solanacees", 22),
    ("Poivron", "Corno di toro rosso"): ("solanacees", 22),
    ("Piment", "Gorria"): ("solanacees", 13),
    ("Concombre", "Marketmore"): ("cucurbitacees", 23),
    ("Batavia", "Blonde de Paris"): ("salades", 17),
    ("Laitue", "Feuille de chêne rouge"): ("salades", 16),
    ("Laitue", "Merveille des quatre saisons"): ("salades", 14),
    ("Chou pommé", "Cœur de bœuf des Vertus"): ("choux", 12),
    ("Poireau", "Bleu de Solaise"): ("poireaux", 16),
    ("Céleri-rave", "Monarch"): ("celeri", 22),
    ("Courge butternut", "Waltham"): ("courges", 18),
    ("Potimarron", "Red Kuri"): ("courges", 23),
    ("Melon", "Petit gris de Rennes"): ("cucurbitacees", 13),
    ("Haricot nain", "Contender"): ("haricots", 11),
    ("Fraisier", "Gariguette"): ("fraisiers", 33),
    ("Basilic", "Grand vert"): ("basilic", 48),
    ("Basilic pourpre", "Red Rubin"): ("basilic", 22),
    ("Persil plat", "Géant d’Italie"): ("aromatiques_annuelles", 30),
    ("Persil frisé", "Vert foncé"): ("aromatiques_annuelles", 18),
    ("Ciboulette", ""): ("aromatiques_vivaces", 24),
    ("Thym", ""): ("aromatiques_vivaces", 22),
    ("Romarin", ""): ("aromatiques_vivaces", 11),
    ("Menthe", "Marocaine"): ("aromatiques_vivaces", 22),
    ("Sauge officinale", ""): ("aromatiques_vivaces", 14),
    ("Coriandre", ""): ("aromatiques_annuelles", 20),
    ("Estragon", "Français"): ("aromatiques_vivaces", 10),
    ("Origan", ""): ("aromatiques_vivaces", 14),
    ("Verveine citronnée", ""): ("aromatiques_vivaces", 7),
    ("Mélisse", ""): ("aromatiques_vivaces", 11),
    ("Œillet d’Inde", "Bonanza"): ("fleurs", 33),
    ("Capucine", "Tom Thumb"): ("fleurs", 22),
    ("Cosmos", "Sensation"): ("fleurs", 22),
    ("Zinnia", "Géant de Californie"): ("fleurs", 22),
    ("Souci", "Pacific Beauty"): ("fleurs", 20),
    ("Tournesol", "Géant de Russie"): ("fleurs", 16),
    ("Dahlia", "Café au lait"): ("dahlias", 7),
    ("Bouquet de saison", ""): ("bouquets", 8),
    ("Tomates anciennes", ""): ("tomates", 45),
    ("Courgettes", ""): ("courgettes", 40),
    ("Salade", ""): ("salade", 84),
    ("Radis", "De 18 jours"): ("radis", 50),
    ("Carottes", "Nantaise améliorée"): ("carottes", 43),
    ("Pommes de terre", "Charlotte"): ("pommes_de_terre", 60),
    ("Oignons nouveaux", "Blanc hâtif de Paris"): ("oignons", 34),
    ("Blettes", "Verte à carde blanche"): ("blettes", 31),
    ("Épinards", ""): ("epinards", 23),
    ("Poireaux", ""): ("poireaux_legume", 52),
    ("Potimarron", ""): ("potimarron", 36),
}

# Who buys what: shares of a product's demand (individuals, restaurants, AMAPs).
SHARES = {
    "plants-potagers": (0.72, 0.04, 0.24),
    "aromatiques": (0.55, 0.32, 0.13),
    "fleurs": (0.85, 0.05, 0.10),
    "legumes": (0.30, 0.35, 0.35),
}
SHARES_BY_PRODUCT = {("Bouquet de saison", ""): (0.6, 0.4, 0.0)}
KINDS = ("individual", "restaurant", "amap")
BASKETS = (1, 2, 2, 3, 3, 3, 4, 4, 5, 6)  # products in an individual's order
SPRING_BASKETS = (3, 4, 5, 6, 6, 7, 8, 8, 9, 10, 12)

# How the team grows each plant: (weeks to sale-ready, loss %, cells per sowing tray, seeds
# per cell, note). What the shop sells is counted in cells by CELLS_PER_UNIT: a godet is one
# cell, a "plaque de 12 mottes" twelve. The sowing weeks follow from the weeks the product
# sells less its growing time (sowing_window).
_TOMATO = (8, 10, 77, 1, "Plaque de 77 mottes, repiquage en godet 10 cm vers 3 semaines.")
_PEPPER = (10, 15, 77, 1, "Plaque de 77 mottes sur tablette chauffante (25 °C).")
_CUCURBIT = (4, 8, 40, 1, "Semis direct en godet, plaque de 40.")
_SALAD = (5, 10, 150, 1, "Plaque de semis de 150 mottes, vendue par 12 mottes.")
_HERB = (8, 15, 77, 3, "Plaque de 77 mottes, 3 graines par motte.")
_FLOWER = (7, 10, 77, 1, "Plaque de 77 mottes, repiquage en godet 8 cm.")
CROPS = {
    ("Tomate", "Cœur de bœuf"): _TOMATO,
    ("Tomate", "Noire de Crimée"): _TOMATO,
    ("Tomate", "Green Zebra"): _TOMATO,
    ("Tomate", "Ananas"): _TOMATO,
    ("Tomate", "Roma"): (7, 10, 77, 1, _TOMATO[4]),
    ("Tomate cerise", "Miel du Mexique"): (7, 8, 77, 1, _TOMATO[4]),
    ("Courgette", "Black Beauty"): _CUCURBIT,
    ("Courgette", "Ronde de Nice"): _CUCURBIT,
    ("Aubergine", "Violette de Barbentane"): _PEPPER,
    ("Poivron", "Corno di toro rosso"): _PEPPER,
    ("Piment", "Gorria"): (11, 18, 77, 1, _PEPPER[4]),
    ("Concombre", "Marketmore"): (5, 10, 40, 1, _CUCURBIT[4]),
    ("Batavia", "Blonde de Paris"): _SALAD,
    ("Laitue", "Feuille de chêne rouge"): _SALAD,
    ("Laitue", "Merveille des quatre saisons"): _SALAD,
    ("Chou pommé", "Cœur de bœuf des Vertus"): (6, 12, 150, 1, _SALAD[4]),
    ("Poireau", "Bleu de Solaise"): (
        11,
        15,
        150,
        2,
        "Plaque de semis de 150 alvéoles, 2 graines par motte, vendue par 40 mottes.",
    ),
    ("Céleri-rave", "Monarch"): (
        10,
        20,
        77,
        2,
        "Graine fine : semer en surface, 2 par motte.",
    ),
    ("Courge butternut", "Waltham"): (4, 8, 40, 1, _CUCURBIT[4]),
    ("Potimarron", "Red Kuri"): (4, 8, 40, 1, _CUCURBIT[4]),
    ("Melon", "Petit gris de Rennes"): (5, 12, 40, 1, _CUCURBIT[4]),
    ("Haricot nain", "Contender"): (
        3,
        10,
        40,
        3,
        "Plaque de semis de 40 mottes, 3 graines par motte, vendue par 12 mottes.",
    ),
    ("Fraisier", "Gariguette"): (6, 8, 40, 1, "Stolons repiqués en godet 8 cm."),
    ("Basilic", "Grand vert"): (6, 12, 77, 4, "Plaque de 77 mottes, 4 graines par motte."),
    ("Basilic pourpre", "Red Rubin"): (7, 15, 77, 4, "Plaque de 77 mottes."),
    ("Persil plat", "Géant d’Italie"): (8, 15, 77, 4, "Plaque de 77 mottes, 4 graines par motte."),
    ("Persil frisé", "Vert foncé"): (8, 15, 77, 4, "Plaque de 77 mottes, 4 graines par motte."),
    ("Ciboulette", ""): (9, 10, 77, 10, "Touffes de 10 graines par motte."),
    ("Thym", ""): (10, 15, 77, 5, _HERB[4]),
    ("Romarin", ""): (16, 20, 40, 1, "Boutures en plaque de 40, rempotées en pot 1 L."),
    ("Menthe", "Marocaine"): (6, 5, 40, 1, "Éclats de touffe en plaque de 40."),
    ("Sauge officinale", ""): (10, 15, 77, 2, _HERB[4]),
    ("Coriandre", ""): (6, 15, 77, 3, _HERB[4]),
    ("Estragon", "Français"): (8, 10, 40, 1, "Éclats de souche (ne se sème pas)."),
    ("Origan", ""): (10, 15, 77, 5, _HERB[4]),
    ("Verveine citronnée", ""): (12, 20, 40, 1, "Boutures, rempotées en pot 1 L."),
    ("Mélisse", ""): (9, 15, 77, 3, _HERB[4]),
    ("Œillet d’Inde", "Bonanza"): _FLOWER,
    ("Capucine", "Tom Thumb"): (6, 10, 40, 2, "Grosses graines : plaque de 40."),
    ("Cosmos", "Sensation"): _FLOWER,
    ("Zinnia", "Géant de Californie"): (6, 10, 77, 1, _FLOWER[4]),
    ("Souci", "Pacific Beauty"): _FLOWER,
    ("Tournesol", "Géant de Russie"): (5, 10, 40, 1, "Plaque de 40, godet 10 cm."),
    ("Dahlia", "Café au lait"): (8, 10, 12, 1, "Tubercules mis en pot 2 L, caisse de 12."),
}
# Cells in a unit sold, for the products sold by the tray ("plaque de 12 / 40 mottes").
CELLS_PER_UNIT = {
    ("Batavia", "Blonde de Paris"): 12,
    ("Laitue", "Feuille de chêne rouge"): 12,
    ("Laitue", "Merveille des quatre saisons"): 12,
    ("Chou pommé", "Cœur de bœuf des Vertus"): 12,
    ("Poireau", "Bleu de Solaise"): 40,
    ("Haricot nain", "Contender"): 12,
}

# The association's charges for a year (cents), typed in by staff for the funders: sales
# cover a little under the 30 % an insertion workshop may earn (the dashboard's funders' part).
CHARGES = (
    ("Salaires des salariés en insertion (net de l'aide au poste)", 11_500_000),
    ("Salaires de l'encadrement technique et de l'accompagnement (net des aides)", 8_200_000),
    ("Semences, plants mères et terreau", 720_000),
    ("Godets, plaques de semis et fournitures", 410_000),
    ("Loyer des serres et du terrain", 780_000),
    ("Carburant et entretien du véhicule", 330_000),
    ("Eau et électricité", 295_000),
    ("Assurances", 165_000),
    ("Petit outillage et réparations", 240_000),
)

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Alice",
    "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Martine", "Françoise", "Mireille",
    "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Pierre", "Paul", "Antoine", "Mathieu",
    "Olivier", "Philippe", "Jean", "Michel", "Bernard", "Patrick", "Yannick", "Karim", "Mehdi",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Blanc", "Guerin", "Boyer",
    "Garnier", "Chevalier", "Faure", "Rolland", "Bonnet", "Mathieu", "Fabre", "Arnaud", "Reynaud",
)  # fmt: skip

# The demo's other professional customers (accounts approved), besides its own two.
OTHER_PROS = (
    ("restaurant", "L'Oustau", "Marion", "Chabert", "5 rue Joseph Vernet", "84000", "Avignon"),
    ("restaurant", "La Table du Rhône", "Cédric", "Pons", "21 quai de la Ligne", "84000",
     "Avignon"),
    ("restaurant", "Cantine du collège Mistral", "Sylvie", "Imbert", "2 avenue des Écoles",
     "84130", "Le Pontet"),
    ("restaurant", "Chez Fanny", "Stéphane", "Aubert", "9 place Pie", "84000", "Avignon"),
    ("restaurant", "Le Comptoir des Halles", "Nadia", "Ferrand", "18 place Pie", "84000",
     "Avignon"),
    ("amap", "AMAP de Montfavet", "Gérard", "Bouchet", "Maison pour tous, route de Montfavet",
     "84140", "Avignon"),
    ("amap", "AMAP Les Paniers de Saint-Ruf", "Odile", "Marchand", "Salle Saint-Ruf",
     "84000", "Avignon"),
)  # fmt: skip
GATE_METHODS_INDIVIDUAL = (("cash", 45), ("card_terminal", 40), ("cheque", 15))
GATE_METHODS_PRO = (("cheque", 50), ("card_terminal", 50))


def history_mondays(last_monday):
    """The Mondays of the history, up to the week before `last_monday`: from ISO week 1 of
    the year before, so two seasons (in November 2026: all of 2025 and 2026). Before
    midsummer (week 26) this year's season has hardly begun, so one more year is taken: the
    last full season then still has a season before it to be forecast from."""
    iso = last_monday.isocalendar()
    first = date.fromisocalendar(iso.year - (1 if iso.week > 26 else 2), 1, 1)
    mondays = []
    day = first
    while day < last_monday.date():
        mondays.append(day)
        day += timedelta(days=7)
    return mondays


def season_weight(season, day):
    """The season's weight on a day: monthly weights centred on the 15th, linear between."""
    months = SEASONS[season]
    index = day.month - 1
    offset = (day.day - 15) / 30.5
    neighbour = months[(index + (1 if offset >= 0 else -1)) % 12]
    return months[index] + (neighbour - months[index]) * abs(offset)


def _pick(rng, weighted):
    total = sum(weight for _value, weight in weighted)
    point = rng.uniform(0, total)
    for value, weight in weighted:
        point -= weight
        if point <= 0:
            return value
    return weighted[-1][0]


def _unit_group(unit_label):
    if unit_label.startswith("plaque"):
        return "tray"
    if unit_label in ("kg", "botte", "pièce"):
        return "produce"
    if unit_label == "bouquet":
        return "bouquet"
    return "plant"


LINE_QUANTITIES = {  # (unit group, kind) → quantities a line usually asks for
    ("plant", "individual"): (1, 1, 2, 2, 3, 3, 4, 6),
    ("plant", "restaurant"): (3, 4, 6, 6, 8, 10, 12),
    ("plant", "amap"): (6, 10, 12, 15, 20, 24),
    ("tray", "individual"): (1, 1, 1, 2),
    ("tray", "restaurant"): (1, 2, 2, 3),
    ("tray", "amap"): (2, 3, 4, 5, 6),
    ("produce", "individual"): (1, 1, 2, 2, 3),
    ("produce", "restaurant"): (3, 4, 5, 6, 8, 10),
    ("produce", "amap"): (8, 10, 12, 15, 20, 25),
    ("bouquet", "individual"): (1, 1, 1, 2),
    ("bouquet", "restaurant"): (1, 2, 2, 3),
    ("bouquet", "amap"): (1,),
}


def _noisy(rng, value, spread=0.18):
    return max(0.0, value * rng.lognormvariate(0, spread))


def _round_units(value):
    return int(value + 0.5)


class _Week:
    """One history week while it is generated."""

    def __init__(self, monday):
        self.monday = monday
        self.opens_at = datetime.combine(monday, time(7, 0), tzinfo=UTC)
        self.closes_at = self.opens_at + timedelta(days=3, hours=5)
        self.pickup_days = [(self.closes_at + timedelta(days=d)).date() for d in (1, 2)]
        self.iso = self.pickup_days[0].isocalendar()
        self.offers = {}  # product key → {"available": int | None, "reserved": int}
        self.orders = []
        self.unmet = defaultdict(int)  # product key → units asked and not sold
        self.sold_out_at = {}  # product key → when the last unit went
        self.id = None


def load_history(products, points, staff, customers, last_monday):
    """Write the history before `last_monday`; the demo's catalog, points and accounts given.

    products: {(name, variety): (Product, values)}; points: [(PickupPoint, values)];
    staff: {"admin", "staff", "gate"} users; customers: {"individual", "restaurant", "amap"}
    lists of accounts (the demo's first). Returns the counts of rows written.
    """
    rng = random.Random(SEED)  # noqa: S311  # nosec B311 (demo figures, not secrets)
    mondays = history_mondays(last_monday)
    if not mondays:
        return {}
    first_year = mondays[0].isocalendar().year
    weeks = [_Week(monday) for monday in mondays]
    guests = [
        (f"{first} {last}", f"{first.lower()}.{last.lower()}@exemple.fr".replace(" ", ""))
        for first in FIRST_NAMES
        for last in LAST_NAMES
    ]
    guests = [(name, _ascii_email(email)) for name, email in guests]
    rng.shuffle(guests)
    guests = guests[:420]
    # Each professional buys much the same products week after week (their tastes).
    tastes = {
        (buyer.id, key): rng.choice((0.2, 1, 1, 3, 6))
        for kind in ("restaurant", "amap")
        for buyer in customers[kind]
        for key in products
    }
    for week in weeks:
        later = week.iso.year - first_year
        growth = GROWTH**later * rng.lognormvariate(0, 0.06)
        _generate_week(rng, week, products, points, customers, tastes, growth, later)

    counts = {"weeks": len(weeks)}
    _insert_weeks(weeks)
    slots = _insert_slots(weeks, points)
    _insert_offers(weeks, products)
    # Transfers are paid up to the start of this week (not up to `now`): the same history
    # whatever the day of the week the demo is loaded.
    this_week = datetime.combine(last_monday.date() + timedelta(days=7), time(), tzinfo=UTC)
    counts.update(_insert_orders(rng, weeks, products, slots, staff, this_week))
    # The accounts that buy and sell throughout the history were opened before it (a customer
    # page would otherwise say that a restaurant ordering since 2025 signed up today).
    opened = weeks[0].opens_at - timedelta(days=30)
    for user in [*staff.values(), *(buyer for kind in customers.values() for buyer in kind)]:
        user.created_at = opened
        if user.email_verified_at is not None:
            user.email_verified_at = opened
        if user.reviewed_at is not None:
            user.reviewed_at = opened + timedelta(days=1)
    counts["waitlist"] = _insert_waitlist(rng, weeks, products, guests, customers, last_monday)
    counts["crop_plans"] = _insert_crops(products)
    counts["sown_lots"] = _insert_sown_lots(staff["staff"], last_monday.date() + timedelta(days=7))
    counts["charges"] = _insert_charges(first_year, last_monday, staff["admin"])
    return counts


def _ascii_email(email):
    table = str.maketrans("éèëêïîôöüûçàâ", "eeeeiioouucaa")
    return email.translate(table).replace("'", "")


def _generate_week(rng, week, products, points, customers, tastes, growth, later):
    """Draw the week's offers and orders, then give each order what the stock allowed."""
    friday = week.pickup_days[0]
    wanted = {kind: [] for kind in KINDS}  # kind → [(product key, quantity)]
    for key, (_product, values) in products.items():
        season, peak = DEMAND[key]
        weight = season_weight(season, friday)
        if weight < 0.04:
            continue  # out of season: not offered
        shares = SHARES_BY_PRODUCT.get(key, SHARES[values["category"]])
        expected = peak * weight
        # Staff plan from last year's level with a margin (a little more in the later year);
        # now and then short: a sowing that failed, a cold week.
        if values["quantity"] is None:
            available = None
        else:
            if rng.random() < 0.1:
                factor = rng.uniform(0.6, 0.9)
            else:
                factor = rng.uniform(1.1, 1.45) * (1.05 if later else 1)
            available = max(6, _round_units(expected * factor))
        week.offers[key] = {"available": available, "reserved": 0}
        group = _unit_group(values["unit_label"])
        limit = values["max_per_order"]
        for kind, share in zip(KINDS, shares, strict=True):
            units = _round_units(_noisy(rng, expected * share * growth, 0.25))
            while units > 0:
                quantity = min(units, rng.choice(LINE_QUANTITIES[(group, kind)]))
                if limit:
                    quantity = min(quantity, limit)
                wanted[kind].append((key, quantity))
                units -= quantity

    orders = []
    # Individuals: their lines packed into small baskets of a few products.
    lines = wanted["individual"]
    rng.shuffle(lines)
    # Spring gardeners fill bigger baskets (a whole vegetable patch at once).
    sizes = SPRING_BASKETS if friday.month in (3, 4, 5, 6) else BASKETS
    while lines:
        size = rng.choice(sizes)
        basket, lines = lines[:size], lines[size:]
        orders.append(_order(rng, week, "individual", basket, customers))
    # Professionals: each account orders most weeks (fewer in winter); lines go to one of them.
    winter = friday.month in (12, 1, 2)
    for kind in ("restaurant", "amap"):
        buyers = [c for c in customers[kind] if rng.random() < (0.6 if winter else 0.88)]
        if not buyers:
            continue
        baskets = {buyer.id: [] for buyer in buyers}
        for key, quantity in wanted[kind]:
            buyer = _pick(rng, [(b, tastes[(b.id, key)]) for b in buyers])
            baskets[buyer.id].append((key, quantity))
        for buyer in buyers:
            if baskets[buyer.id]:
                orders.append(_order(rng, week, kind, baskets[buyer.id], customers, buyer))
    orders.sort(key=lambda order: order["created_at"])
    for order in orders:
        _settle_status(rng, order)
        _allocate(week, order)
    week.orders = [order for order in orders if order["lines"]]
    for order in week.orders:
        _choose_slot(rng, week, order, points)


def _order(rng, week, kind, basket, customers, buyer=None):
    window = (week.closes_at - week.opens_at).total_seconds() - 900
    if kind != "individual":
        window *= 0.6  # professionals order early in the week
    created_at = week.opens_at + timedelta(seconds=rng.random() * window)
    merged = {}
    for key, quantity in basket:
        merged[key] = merged.get(key, 0) + quantity
    customer = buyer
    if kind == "individual" and rng.random() < 0.012:
        customer = customers["individual"][0]  # the demo's own individual, now and then
    return {
        "kind": kind,
        "customer": customer,
        "wanted": merged,
        "lines": {},
        "created_at": created_at,
    }


def _allocate(week, order):
    """Give each line what the stock still allowed (the shop refuses more than is left).

    A cancelled order gave its units back before anyone missed them: it reserves nothing.
    """
    kept = order["status"] != "cancelled"
    for key, quantity in order["wanted"].items():
        offer = week.offers[key]
        if offer["available"] is None:
            got = quantity
        else:
            got = min(quantity, offer["available"] - offer["reserved"])
        if got < quantity and kept:
            week.unmet[key] += quantity - got
            week.sold_out_at.setdefault(key, order["created_at"])
        if got > 0:
            order["lines"][key] = got
            if kept:
                offer["reserved"] += got


def _settle_status(rng, order):
    draw = rng.random()
    kind = order["kind"]
    if kind == "individual":
        method = "card" if rng.random() < 0.4 else "on_pickup"
    else:
        method = (
            "invoice" if rng.random() < (0.75 if kind == "restaurant" else 0.9) else "on_pickup"
        )
    order["payment_method"] = method
    if draw < 0.04:
        order["status"] = "cancelled"
    elif draw < 0.07 and not (kind != "individual" and method == "on_pickup"):
        order["status"] = "no_show"
    else:
        order["status"] = "collected"
    if method == "on_pickup":
        methods = GATE_METHODS_INDIVIDUAL if kind == "individual" else GATE_METHODS_PRO
        order["gate_method"] = _pick(rng, methods)


def _choose_slot(rng, week, order, points):
    kind = order["kind"]
    names = {values["name"]: point for point, values in points}
    if kind == "individual":
        choices = (("Portail de la pépinière", 70), ("Local de l'association, centre-ville", 30))
    elif kind == "restaurant":
        choices = (("Tournée des restaurants", 60), ("Portail de la pépinière", 40))
    elif order["customer"] is not None and order["customer"].email == "amap@exemple.fr":
        choices = (("Distribution AMAP des Trois Ponts", 1),)
    else:
        choices = (("Portail de la pépinière", 1),)
    point = names[_pick(rng, choices)]
    values = next(v for p, v in points if p is point)
    day = week.pickup_days[0] if kind == "amap" else rng.choice(week.pickup_days)
    start, end, _capacity = rng.choice(values["slots"])
    order["slot"] = (point.id, day, time.fromisoformat(start))
    order["point_name"] = values["name"]
    order["slot_end"] = time.fromisoformat(end)


# --- Writing ------------------------------------------------------------------------------------


def _insert(model, rows, returning=False):
    """Insert rows with one executemany; with `returning`, give them ids first (returned).

    Through the table (Core) rather than the ORM's bulk insert: the ORM leaves None values
    out of a row, so rows with and without a date would go in many small statements. Ids are
    taken beforehand rather than read back with RETURNING, which psycopg parses slowly for
    thousands of rows in one statement.
    """
    if not rows:
        return []
    table = model.__table__
    ids = []
    if returning:
        ids = _new_ids(table, len(rows))
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    db.session.execute(insert(table), rows)
    return ids


def _new_ids(table, count):
    """`count` unused ids of a table, in increasing order."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sorted(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": count},
            )
        )
    # SQLite gives max(id) + 1 to the next row; this transaction holds the write lock.
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def _insert_weeks(weeks):
    rows = []
    for week in weeks:
        counted = sum(1 for _ in week.orders)
        rows.append(
            {
                "label": f"Semaine {week.iso.week}",
                "opens_at": week.opens_at,
                "closes_at": week.closes_at,
                "pickup_dates": [day.isoformat() for day in week.pickup_days],
                "status": "archived",
                "published_at": week.opens_at,
                "version": 1 + counted,
                "schedule_published_at": week.closes_at + timedelta(hours=5),
                "order_counter": counted,
                "created_at": week.opens_at - timedelta(days=4),
            }
        )
    for week, week_id in zip(weeks, _insert(SalesWeek, rows, returning=True), strict=True):
        week.id = week_id


def _insert_slots(weeks, points):
    """Each week's slots, as the demo's own weeks have them; {(week id, point id, day, start):
    slot id}. A slot's capacity is raised to what was booked (staff opened more places)."""
    booked = defaultdict(int)
    for week in weeks:
        for order in week.orders:
            if order["status"] != "cancelled":
                booked[(week.id, *order["slot"])] += 1
    keys, rows = [], []
    for week in weeks:
        for day in week.pickup_days:
            for point, values in points:
                for start, end, capacity in values["slots"]:
                    key = (week.id, point.id, day, time.fromisoformat(start))
                    keys.append(key)
                    rows.append(
                        {
                            "week_id": week.id,
                            "point_id": point.id,
                            "day": day,
                            "starts_at": time.fromisoformat(start),
                            "ends_at": time.fromisoformat(end),
                            "capacity": max(capacity, booked[key]),
                            "booked": booked[key],
                            "closed": False,
                        }
                    )
    return dict(zip(keys, _insert(PickupSlot, rows, returning=True), strict=True))


def _insert_offers(weeks, products):
    keys, rows = [], []
    for week in weeks:
        for key, offer in week.offers.items():
            values = products[key][1]
            keys.append((week, key))
            rows.append(
                {
                    "week_id": week.id,
                    "product_id": products[key][0].id,
                    "offered": True,
                    "quantity_available": offer["available"],
                    "quantity_reserved": offer["reserved"],
                    "max_per_order": values["max_per_order"],
                }
            )
    for (week, key), offer_id in zip(keys, _insert(Offer, rows, returning=True), strict=True):
        week.offers[key]["id"] = offer_id


def _client_label(customer):
    return f"client ({customer.email})" if customer is not None else "client"


def _insert_orders(rng, weeks, products, slots, staff, paid_until):
    """Orders, their lines and history, payments, card payments, invoices, cash journal."""
    order_rows, order_refs = [], []
    for week in weeks:
        for sequence, order in enumerate(week.orders, start=1):
            kind, customer = order["kind"], order["customer"]
            if customer is not None:
                name = f"{customer.first_name} {customer.last_name}".strip()
                email, phone = customer.email, customer.phone or ""
            else:
                name, email = order["guest"] = _guest(rng, order)
                phone = (
                    f"06 {rng.randrange(10, 100)} {rng.randrange(10, 100)} "
                    f"{rng.randrange(10, 100)} {rng.randrange(10, 100)}"
                )
            point_id, day, start = order["slot"]
            confirmed_at = week.closes_at + timedelta(minutes=rng.randrange(120, 360))
            status = order["status"]
            order["number"] = f"S{week.iso.week:02d}-{sequence:03d}"
            order["confirmed_at"] = None if status == "cancelled" else confirmed_at
            order["collected_at"] = None
            if status == "collected":
                starts = local_to_utc(datetime.combine(day, start))
                ends = local_to_utc(datetime.combine(day, order["slot_end"]))
                span = (ends - starts).total_seconds()
                order["collected_at"] = starts + timedelta(seconds=rng.random() * span)
            if status == "cancelled":
                order["cancelled_at"] = order["created_at"] + timedelta(
                    seconds=rng.random() * (week.closes_at - order["created_at"]).total_seconds()
                )
            slot_id = slots[(week.id, point_id, day, start)]
            order["lines_list"] = [
                {
                    "offer_id": week.offers[key]["id"],
                    "product_id": products[key][0].id,
                    "product_name": products[key][0].full_name,
                    "unit_label": products[key][0].unit_label,
                    "unit_price_cents": products[key][0].price_cents(kind),
                    "vat_rate_bp": vat_rate_for(products[key][0]),
                    "quantity_ordered": quantity,
                    "quantity": quantity,
                }
                for key, quantity in sorted(
                    order["lines"].items(), key=lambda item: products[item[0]][0].id
                )
            ]
            order["gross"] = compute_totals(
                (
                    (line["unit_price_cents"], line["quantity"], line["vat_rate_bp"])
                    for line in order["lines_list"]
                ),
                prices_include_vat=kind == "individual",
            ).gross_cents
            if order["payment_method"] == "card" and order["gross"] < 50:
                order["payment_method"] = "on_pickup"
                order["gate_method"] = "cash"
            order_rows.append(
                {
                    "number": order["number"],
                    "week_id": week.id,
                    "customer_id": customer.id if customer is not None else None,
                    "customer_kind": kind,
                    "contact_name": name,
                    "email": email,
                    "phone": phone,
                    "locale": "fr",
                    "slot_id": slot_id,
                    "payment_method": order["payment_method"],
                    "status": status,
                    "prices_include_vat": kind == "individual",
                    "note": "",
                    "billing_name": "",
                    "billing_address": "",
                    "terms_version": "1",
                    "after_deadline": False,
                    "cancel_reason": "Annulée par le client." if status == "cancelled" else "",
                    "checkout_token": secrets.token_urlsafe(24),
                    "access_token": secrets.token_urlsafe(24),
                    "created_at": order["created_at"],
                    "confirmed_at": order["confirmed_at"],
                    "cancelled_at": order.get("cancelled_at"),
                    "notified_slot_id": None if status == "cancelled" else slot_id,
                    "collected_at": order["collected_at"],
                    "collected_by_id": staff["gate"].id if status == "collected" else None,
                }
            )
            order_refs.append(order)
    for order, order_id in zip(order_refs, _insert(Order, order_rows, returning=True), strict=True):
        order["id"] = order_id

    line_rows = []
    for order in order_refs:
        for line in order["lines_list"]:
            line["order_id"] = order["id"]
            line_rows.append(line)
    for line, line_id in zip(line_rows, _insert(OrderLine, line_rows, returning=True), strict=True):
        line["id"] = line_id

    invoices = _insert_invoices(rng, order_refs, staff, paid_until)
    payments, journal, closings = _insert_payments(order_refs, staff)
    _insert_events(order_refs, staff)
    return {
        "orders": len(order_rows),
        "lines": len(line_rows),
        "invoices": invoices,
        "payments": payments,
        "cash_journal": journal,
        "cash_closings": closings,
    }


def _guest(rng, order):
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", _ascii_email(f"{first}.{last}@exemple.fr".lower())


def _insert_invoices(rng, orders, staff, paid_until):
    """Every professional order not cancelled: its invoice at confirmation, in date order."""
    config = current_app.config
    due_days = config["INVOICE_DUE_DAYS"]
    billed = sorted(
        (o for o in orders if o["kind"] != "individual" and o["status"] != "cancelled"),
        key=lambda o: (o["confirmed_at"], o["id"]),
    )
    counters = {
        (row.kind, row.year): row.last for row in db.session.scalars(select(InvoiceCounter))
    }
    bank = _bank()
    rows = []
    for order in billed:
        customer = order["customer"]
        lines = [
            _line(
                line["id"],
                line["product_name"],
                line["unit_label"],
                line["quantity"],
                line["unit_price_cents"],
                line["vat_rate_bp"],
            )
            for line in order["lines_list"]
        ]
        by_rate = _totals_of_lines(lines)
        issued_at = order["confirmed_at"]
        year = shop_today(issued_at).year
        sequence = counters[("invoice", year)] = counters.get(("invoice", year), 0) + 1
        sale_date = order["slot"][1]
        by_transfer = order["payment_method"] == "invoice"
        paid_at, reference, paid_by = None, "", None
        number = f"{PREFIXES['invoice']}-{year}-{sequence:04d}"
        if by_transfer:
            due_date = shop_today(issued_at) + timedelta(days=due_days)
            transfer_at = issued_at + timedelta(days=rng.randrange(10, 46), hours=rng.randrange(8))
            if transfer_at < paid_until:
                paid_at, paid_by = transfer_at, staff["admin"].id
                reference = f"VIR {customer.organisation[:40]} {number}"
                order["transfer_at"] = transfer_at
        else:
            due_date = max(sale_date, shop_today(issued_at))
            if order["status"] == "collected":
                paid_at, reference = order["collected_at"], order["number"]
        order["invoice_number"] = number
        rows.append(
            {
                "number": number,
                "kind": "invoice",
                "year": year,
                "sequence": sequence,
                "order_id": order["id"],
                "issued_at": issued_at,
                "sale_date": sale_date,
                "due_date": due_date,
                "buyer_name": f"{customer.first_name} {customer.last_name}".strip(),
                "buyer_organisation": customer.organisation or "",
                "buyer_address": customer.address or "",
                "buyer_postcode": customer.postcode or "",
                "buyer_city": customer.city or "",
                "buyer_siren": (customer.siret or "")[:9],
                **_seller(lines),
                **(bank if by_transfer else dict.fromkeys(bank, "")),
                "payment_method": order["payment_method"],
                "prices_include_vat": False,
                "lines": lines,
                "net_cents": sum(r["net_cents"] for r in by_rate),
                "vat_cents": sum(r["vat_cents"] for r in by_rate),
                "gross_cents": sum(r["gross_cents"] for r in by_rate),
                "by_rate": by_rate,
                "paid_at": paid_at,
                "paid_by_id": paid_by,
                "payment_reference": reference,
            }
        )
    if rows:
        _insert(Invoice, rows)
    for (kind, year), last in counters.items():
        existing = db.session.get(InvoiceCounter, (kind, year))
        if existing is None:
            db.session.add(InvoiceCounter(kind=kind, year=year, last=last))
        else:
            existing.last = last
    db.session.flush()
    return len(rows)


def _insert_payments(orders, staff):
    """Card captures, the gate's payments (with the cash journal and closings), transfers."""
    card_rows, payment_rows, gate = [], [], []
    for order in orders:
        status, method, gross = order["status"], order["payment_method"], order["gross"]
        if method == "card":
            intent = f"pi_demo_{order['created_at']:%Y%m%d}{order['id']:07d}"
            captured = status != "cancelled"
            card_rows.append(
                {
                    "order_id": order["id"],
                    "session_id": f"cs_demo_{order['created_at']:%Y%m%d}{order['id']:07d}",
                    "intent_id": intent,
                    "status": "captured" if captured else "cancelled",
                    "amount_requested_cents": gross,
                    "amount_authorised_cents": gross,
                    "authorised_at": order["created_at"] + timedelta(minutes=2),
                    "settle_due": False,
                    "created_at": order["created_at"],
                    "updated_at": order["confirmed_at"] or order["cancelled_at"],
                }
            )
            if captured:
                payment_rows.append(
                    {
                        "order_id": order["id"],
                        "method": "card",
                        "amount_cents": gross,
                        "reference": intent,
                        "recorded_by_id": None,
                        "created_at": order["confirmed_at"],
                    }
                )
        elif method == "on_pickup" and status == "collected":
            row = {
                "order_id": order["id"],
                "method": order["gate_method"],
                "amount_cents": gross,
                "reference": None,
                "recorded_by_id": staff["gate"].id,
                "created_at": order["collected_at"],
            }
            payment_rows.append(row)
            gate.append((row, order))
            order["gate_payment"] = row
        elif method == "invoice" and order.get("transfer_at"):
            payment_rows.append(
                {
                    "order_id": order["id"],
                    "method": "transfer",
                    "amount_cents": gross,
                    "reference": None,
                    "recorded_by_id": staff["admin"].id,
                    "created_at": order["transfer_at"],
                }
            )
    if card_rows:
        _insert(CardPayment, card_rows)
    payment_rows.sort(key=lambda row: row["created_at"])
    for row, payment_id in zip(
        payment_rows, _insert(Payment, payment_rows, returning=True), strict=True
    ):
        row["id"] = payment_id
    entries, closings = _insert_cash_journal(orders, gate, staff)
    return len(payment_rows), entries, closings


def _insert_cash_journal(orders, gate, staff):
    """The gate's payments and each day's cash closing at each point, in the cash journal,
    chained after its last entry in the order they happened; (entries, closings)."""
    closings = _closings(orders, staff)
    closing_ids = _new_ids(CashClosing.__table__, len(closings))
    for closing, closing_id in zip(closings, closing_ids, strict=True):
        closing["id"] = closing_id
    _insert(CashClosing, closings)
    happened = [
        (payment["created_at"], 0, payment["id"], payment, order) for payment, order in gate
    ]
    happened += [(closing["closed_at"], 1, closing["id"], closing, None) for closing in closings]
    happened.sort(key=lambda item: item[:3])
    previous = db.session.scalar(
        select(CashJournalEntry.entry_hash).order_by(CashJournalEntry.id.desc()).limit(1)
    )
    previous = previous or GENESIS
    rows = []
    for at, is_closing, _id, item, order in happened:
        if is_closing:
            totals = item["totals"]
            row = {
                "kind": "closing",
                "order_id": None,
                "payment_id": None,
                "closing_id": item["id"],
                "amount_cents": totals["taken"],
                "method": "",
                "details": {
                    "day": item["day"].isoformat(),
                    "point": item["point_name"],
                    "by": item["closed_by_label"],
                    "cash": totals["cash"],
                    "cheque": totals["cheque"],
                    "card_terminal": totals["card_terminal"],
                    "payment_ids": totals["payment_ids"],
                    "counted_cash_cents": item["counted_cash_cents"],
                },
            }
        else:
            row = {
                "kind": "payment",
                "order_id": order["id"],
                "payment_id": item["id"],
                "closing_id": None,
                "amount_cents": item["amount_cents"],
                "method": item["method"],
                "details": {
                    "order": order["number"],
                    "by": staff["gate"].email,
                    "day": order["slot"][1].isoformat(),
                    "point": order["point_name"],
                },
            }
        row.update(created_at=at, previous_hash=previous)
        # The hash as record_gate_payment and record_closing compute it.
        row["entry_hash"] = previous = entry_hash(
            previous, SimpleNamespace(**row), order["number"] if order else ""
        )
        rows.append(row)
    _insert(CashJournalEntry, rows)
    for closing in closings:
        del closing["point_name"]
    return len(rows), len(closings)


def _closings(orders, staff):
    """Each day's cash at each point with orders, closed by the gate half an hour after its
    last slot, with the figures `pickup.cash` freezes (the till counted as recorded)."""
    days = defaultdict(list)
    for order in orders:
        if order["status"] != "cancelled":
            days[(order["slot"][1], order["slot"][0])].append(order)
    closings = []
    for (day, point_id), day_orders in sorted(days.items()):
        taken = dict.fromkeys(("cash", "cheque", "card_terminal"), 0)
        payment_ids = []
        no_show_due = []
        for order in day_orders:
            if order.get("gate_payment"):
                taken[order["gate_payment"]["method"]] += order["gate_payment"]["amount_cents"]
                payment_ids.append(order["gate_payment"]["id"])
            if order["status"] == "no_show" and order["payment_method"] == "on_pickup":
                no_show_due.append(order["gross"])
        totals = {
            **taken,
            "taken": sum(taken.values()),
            "orders": len(day_orders),
            "collected": sum(o["status"] == "collected" for o in day_orders),
            "collected_due_count": 0,
            "collected_due": 0,
            "waiting_count": 0,
            "waiting_due": 0,
            "no_shows": sum(o["status"] == "no_show" for o in day_orders),
            "no_show_due": sum(no_show_due),
            "payment_ids": sorted(payment_ids),
            "due": 0,
        }
        last_slot = max(order["slot_end"] for order in day_orders)
        closings.append(
            {
                "day": day,
                "point_id": point_id,
                "point_name": day_orders[0]["point_name"],
                "closed_at": local_to_utc(datetime.combine(day, last_slot)) + timedelta(minutes=30),
                "closed_by_id": staff["gate"].id,
                "closed_by_label": staff["gate"].email,
                "totals": totals,
                "counted_cash_cents": taken["cash"],
                "note": "",
            }
        )
    return closings


def _insert_events(orders, staff):
    """Each order's history: placed, confirmed, then collected, not collected or cancelled."""
    team, gate, admin = staff["staff"], staff["gate"], staff["admin"]
    rows = []
    for order in orders:
        customer = order["customer"]
        client = {
            "order_id": order["id"],
            "actor_id": customer.id if customer is not None else None,
            "actor_label": _client_label(customer),
        }
        rows.append({**client, "at": order["created_at"], "action": "placed", "details": {}})
        if order["status"] == "cancelled":
            rows.append(
                {
                    **client,
                    "at": order["cancelled_at"],
                    "action": "cancelled",
                    "details": {"reason": "Annulée par le client."},
                }
            )
            continue
        document = {"document": order["invoice_number"]} if "invoice_number" in order else {}
        rows.append(
            {
                "order_id": order["id"],
                "actor_id": team.id,
                "actor_label": team.email,
                "at": order["confirmed_at"],
                "action": "confirmed",
                "details": {"total_cents": order["gross"], **document},
            }
        )
        if order["status"] == "collected":
            due = order["gross"] if order["payment_method"] == "on_pickup" else 0
            rows.append(
                {
                    "order_id": order["id"],
                    "actor_id": gate.id,
                    "actor_label": gate.email,
                    "at": order["collected_at"],
                    "action": "collected",
                    "details": {"amount_due_cents": due},
                }
            )
        else:
            due = order["gross"] if order["payment_method"] == "on_pickup" else 0
            point_id, day, _start = order["slot"]
            rows.append(
                {
                    "order_id": order["id"],
                    "actor_id": gate.id,
                    "actor_label": gate.email,
                    "at": local_to_utc(datetime.combine(day, order["slot_end"]))
                    + timedelta(minutes=45),
                    "action": "no_show",
                    "details": {"amount_due_cents": due},
                }
            )
        if order.get("transfer_at"):
            rows.append(
                {
                    "order_id": order["id"],
                    "actor_id": admin.id,
                    "actor_label": admin.email,
                    "at": order["transfer_at"],
                    "action": "invoice_paid",
                    "details": {
                        "number": order["invoice_number"],
                        "amount_cents": order["gross"],
                    },
                }
            )
    if rows:
        _insert(OrderEvent, rows)


def _insert_waitlist(rng, weeks, products, guests, customers, last_monday):
    """A few waiting entries in each sold-out week, ended when the product was back."""
    offered_weeks = defaultdict(list)  # product key → [(opens_at, week id)] in order
    for week in weeks:
        for key in week.offers:
            offered_weeks[key].append((week.opens_at, week.id))
    last_week_id = db.session.scalar(
        select(SalesWeek.id)
        .where(
            SalesWeek.status == "published",
            SalesWeek.opens_at >= datetime.combine(last_monday.date(), time(), tzinfo=UTC),
        )
        .order_by(SalesWeek.opens_at)
    )
    last_opens = last_monday.replace(hour=7, minute=0, second=0, microsecond=0)
    rows = []
    for week in weeks:
        for key, unmet in week.unmet.items():
            offer = week.offers[key]
            if offer["available"] is None or offer["reserved"] < offer["available"]:
                continue
            sold_out_at = week.sold_out_at[key]
            later = [(o, i) for o, i in offered_weeks[key] if o > week.opens_at]
            notified_at, notified_week = later[0] if later else (last_opens, last_week_id)
            if rng.random() < 0.35:
                continue  # nobody asked to be told
            for _ in range(min(3, 1 + rng.randrange(1 + unmet // 8))):
                name, email = rng.choice(guests)
                customer = None
                if rng.random() < 0.15:
                    customer = rng.choice(customers["individual"])
                    email = customer.email
                remaining = (week.closes_at - sold_out_at).total_seconds()
                rows.append(
                    {
                        "product_id": products[key][0].id,
                        "email": email,
                        "customer_id": customer.id if customer is not None else None,
                        "quantity": rng.choice((None, 1, 2, 3, 4, 6))
                        if _unit_group(products[key][1]["unit_label"]) != "tray"
                        else rng.choice((None, 1, 2)),
                        "locale": "fr",
                        "token": secrets.token_urlsafe(24),
                        "week_id": week.id,
                        "created_at": sold_out_at
                        + timedelta(seconds=rng.random() * max(remaining, 60)),
                        "notified_at": notified_at + timedelta(minutes=5),
                        "notified_week_id": notified_week,
                        "ended_at": notified_at + timedelta(minutes=5),
                        "end_reason": "notified",
                    }
                )
    if rows:
        _insert(WaitlistEntry, rows)
    return len(rows)


def sowing_window(season, weeks_to_ready, threshold=0.1):
    """(first, last) ISO week to sow so plants are ready for the weeks the product sells
    (its season's weight at least `threshold`); the range may wrap over the new year."""
    selling = [
        week
        for week in range(1, 53)
        if season_weight(season, date.fromisocalendar(2025, week, 5)) >= threshold
    ]
    # The selling weeks may wrap too (leeks from October to March): start after the gap.
    gaps = [b - a for a, b in zip(selling, selling[1:], strict=False)]
    if gaps and max(gaps) > 1:
        cut = gaps.index(max(gaps)) + 1
        selling = selling[cut:] + selling[:cut]
    first, last = selling[0], selling[-1]
    return (first - weeks_to_ready - 1) % 52 + 1, (last - weeks_to_ready - 1) % 52 + 1


def _insert_crops(products):
    rows = []
    for key, (product, _values) in products.items():
        if key not in CROPS:
            continue
        weeks, loss, per_tray, seeds, note = CROPS[key]
        sow_from, sow_to = sowing_window(DEMAND[key][0], weeks)
        rows.append(
            {
                "product_id": product.id,
                "weeks_to_ready": weeks,
                "loss_percent": loss,
                "units_per_tray": per_tray,
                "cells_per_unit": CELLS_PER_UNIT.get(key, 1),
                "seeds_per_unit": seeds,
                "sow_from_week": sow_from,
                "sow_to_week": sow_to,
                "note": note,
            }
        )
    _insert(CropPlan, rows)
    return len(rows)


def _insert_sown_lots(staff, this_monday):
    """The greenhouse team sowed what the plan asked for until last week, in its week: the
    demo's plan has nothing late, and this week's lots wait for their « Semé »."""
    from .sowing.services import sowing_plan

    rows = [
        {
            "product_id": s.product_id,
            "iso_year": s.sales_monday.isocalendar().year,
            "iso_week": s.sales_monday.isocalendar().week,
            "cells": s.units,
            "sown_on": s.sowing_monday,
            "recorded_by_id": staff.id,
        }
        for s in sowing_plan(this_monday).late
    ]
    _insert(SownLot, rows)
    return len(rows)


def _insert_charges(first_year, last_monday, admin):
    rows = []
    for year in range(first_year, last_monday.isocalendar().year + 1):
        rise = 1.03 ** (year - first_year)
        for label, cents in CHARGES:
            rows.append(
                {
                    "year": year,
                    "label": label,
                    "amount_cents": int(round(cents * rise, -2)),
                    "updated_by_id": admin.id,
                }
            )
    _insert(SeasonCharge, rows)
    return len(rows)


def history_totals():
    """(orders, units sold, gross cents of lines) of archived weeks: what tests compare."""
    return db.session.execute(
        select(
            func.count(func.distinct(Order.id)),
            func.coalesce(func.sum(OrderLine.quantity), 0),
            func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price_cents), 0),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(SalesWeek, SalesWeek.id == Order.week_id)
        .where(SalesWeek.status == "archived")
    ).one()


def siret_for(number):
    """A SIRET that passes the Luhn check (fictitious: 9xx xxx xxx), one per demo account."""
    base = f"9{number:08d}0001"  # SIREN 90000000n, establishment 0001, then the Luhn key
    for digit in range(10):
        if siret_is_valid(candidate := f"{base}{digit}"):
            return candidate
    raise AssertionError("unreachable: one check digit always fits")

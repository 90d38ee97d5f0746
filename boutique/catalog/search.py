"""Catalog search that forgives: case, accents, ligatures, French plurals, word order, typos.

A week offers a few hundred products at most, already loaded for the page: they are matched
here, in Python, so that SQLite and PostgreSQL give the same results (neither folds "œ" or
plurals the same way). A query matches a product when each of its words (stop words aside)
starts one of the words of the product's name, variety or category, once both are folded:
"Tomates cœur de bœuf", "coeur de boeuf tomate" and "TOMATE COEUR" find the same plant.

When nothing matches, each word that matches no product word is replaced by the closest word
of the week's products (rapidfuzz), and that query is offered: "Vouliez-vous dire : basilic ?".
"""

import re
import unicodedata

from rapidfuzz import fuzz, process

LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# Words that say nothing of a product ("plants de tomate"): left out of queries.
# fmt: off
STOP_WORDS = frozenset({
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "un", "une",
    "pour", "avec", "sans", "plant",
})
# fmt: on
SUGGESTION_CUTOFF = 70  # rapidfuzz ratio (0-100): "basilique" -> "basilic" is 75


def fold(text):
    """Lower case, no accents, ligatures spelt out, only letters and digits: "Cœur de bœuf"
    -> "coeur de boeuf"."""
    text = (text or "").translate(LIGATURES).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def stem(word):
    """The singular of a French plural, near enough: tomates, choux, chevaux, poireaux."""
    if len(word) > 4 and word.endswith("aux") and not word.endswith("eaux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def words(text):
    return [stem(word) for word in fold(text).split()]


def query_words(query):
    return [word for word in words(query) if word not in STOP_WORDS]


def normalise_query(query):
    """The form a query is kept and cached under: folded, spaces collapsed, 80 characters."""
    return fold((query or "")[:200])[:80] or None  # a megabyte of query costs nothing


def _haystack(offer):
    product = offer.product
    return words(f"{product.name} {product.variety or ''} {product.category.name}")


def _matches(wanted, haystack):
    return all(any(word.startswith(part) for word in haystack) for part in wanted)


def search_offers(offers, query):
    """(the offers matching `query`, a suggested query or None), in the offers' order."""
    wanted = query_words(query)
    if not wanted:
        return list(offers), None
    haystacks = [(offer, _haystack(offer)) for offer in offers]
    found = [offer for offer, haystack in haystacks if _matches(wanted, haystack)]
    if found:
        return found, None
    return [], _suggestion(wanted, haystacks)


def _suggestion(wanted, haystacks):
    """The query with each unknown word replaced by the closest product word, as the shop
    spells it ("basilique" -> "basilic", "coeur" stays), or None when that finds nothing."""
    spelling = {}
    for offer, _haystack_words in haystacks:
        product = offer.product
        for word in f"{product.name} {product.variety or ''} {product.category.name}".split():
            for key in words(word):
                spelling.setdefault(key, word.strip(",.;:()'").lower())
    vocabulary = sorted(spelling)
    if not vocabulary:
        return None
    corrected, shown = [], []
    for part in wanted:
        known = next((word for word in vocabulary if word.startswith(part)), None)
        if known is not None:
            corrected.append(part)
            shown.append(spelling[known] if known == part else part)
            continue
        best = process.extractOne(
            part, vocabulary, scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF
        )
        if best is None:
            return None
        corrected.append(best[0])
        shown.append(spelling[best[0]])
    if not any(_matches(corrected, haystack) for _offer, haystack in haystacks):
        return None
    return " ".join(shown)

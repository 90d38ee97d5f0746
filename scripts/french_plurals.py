"""Write the French catalog from the template (run by `make extract-messages`).

French texts are the msgids, so French needs no translation; but without a French catalog,
gettext applies the English plural rule ("0 commandes"). This catalog holds only the plural
messages, copied as they are, so that French rules apply (0 and 1 are singular).
"""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "boutique" / "translations"

with (ROOT / "messages.pot").open("rb") as handle:
    template = read_po(handle)
catalog = Catalog(locale="fr", project="La Pépinière", charset="utf-8", fuzzy=False)
for message in template:
    if message.id and message.pluralizable:
        singular, plural = message.id
        # CLDR gives French a third form for round millions: it reads like the plural.
        forms = (singular,) + (plural,) * (catalog.num_plurals - 1)
        catalog.add(message.id, string=forms, locations=message.locations)
target = ROOT / "fr" / "LC_MESSAGES" / "messages.po"
target.parent.mkdir(parents=True, exist_ok=True)
with target.open("wb") as handle:
    write_po(handle, catalog, width=100, omit_header=False)
print(f"{target}: {len(catalog)} plural messages")

"""CSV files that staff open in a spreadsheet: the catalog export and the pick-up documents.

Semicolons and UTF-8 with a BOM, so that a French spreadsheet reads columns and accents. Text
typed by someone else (a customer's name, a product's) never runs there as a formula.
"""

import csv
import io

# A spreadsheet takes a cell starting with one of these for a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value as a safe cell: text that looks like a formula (=HYPERLINK(...)) gets a leading
    apostrophe, which spreadsheets read as "this is text" and do not show."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def uncell(text):
    """A cell read back from a CSV file, without the apostrophe `cell` put before a formula
    sign: an exported catalog imports unchanged (a description starting with "- " stays so)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_text(header, rows):
    """The header (texts, lazy or not) and rows as CSV text, every cell through `cell`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(title) for title in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()

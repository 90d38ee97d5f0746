"""Factur-X: the CII XML (EN 16931 profile) of a professional's invoice or credit note,
embedded in its PDF/A-3 so that the buyer's software reads the figures without retyping them.

Everything comes from the invoice's frozen snapshot, like its PDF. Amounts are the row's own
(integer cents), so the XML's totals are the printed ones to the cent.
"""

import io
import re
from decimal import Decimal

from lxml import etree

from ..timezones import shop_today

LEVEL = "en16931"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
# UNTDID 4461: 58 SEPA credit transfer, 48 bank card, 1 instrument not defined (at the gate:
# cash, cheque or card, the customer's choice).
PAYMENT_MEANS = {"invoice": "58", "card": "48", "on_pickup": "1"}
SIREN_SCHEME = "0002"  # ISO 6523 code of the French SIRENE register
UNIT_CODE = "C62"  # "one": pots, trays and bunches are counted, not weighed
COUNTRY = "FR"
_POSTCODE_CITY = re.compile(r"^(?P<street>.*?)[,\s]*(?P<postcode>\d{5})\s+(?P<city>.+)$")


def is_facturx(invoice):
    """A document to a professional (priced excluding VAT) is Factur-X; an individual's is not."""
    return not invoice.prices_include_vat


def _el(parent, tag, text=None, **attrib):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _amount(cents):
    return f"{Decimal(cents) / 100:.2f}"


def _rate(rate_bp):
    """550 → "5.5", 2000 → "20"."""
    whole, hundredths = divmod(rate_bp, 100)
    return f"{whole}.{hundredths:02d}".rstrip("0").rstrip(".")


def _date(parent, tag, day, qualified=False):
    wrapper = _el(parent, tag)
    _el(
        wrapper,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"),
        format="102",
    )


def _split_address(address):
    """'Chemin des Jardins, 84000 Avignon' → ('Chemin des Jardins', '84000', 'Avignon')."""
    match = _POSTCODE_CITY.match(" ".join((address or "").split()))
    if match is None:
        return address or "", "", ""
    return match["street"], match["postcode"], match["city"]


def _address(party, street, postcode, city):
    address = _el(party, "ram:PostalTradeAddress")
    if postcode:
        _el(address, "ram:PostcodeCode", postcode)
    if street:
        _el(address, "ram:LineOne", street)
    if city:
        _el(address, "ram:CityName", city)
    _el(address, "ram:CountryID", COUNTRY)


def _vat_exempt(invoice):
    """The seller is outside VAT (no VAT number, an exemption mention, no VAT billed)."""
    return bool(invoice.seller_vat_exemption) and invoice.vat_cents == 0


def _category(invoice, rate_bp):
    if _vat_exempt(invoice):
        return "E"
    return "S" if rate_bp else "Z"


def _tax(parent, invoice, rate_bp, basis_cents=None, tax_cents=None):
    tax = _el(parent, "ram:ApplicableTradeTax")
    category = _category(invoice, rate_bp)
    if tax_cents is not None:
        _el(tax, "ram:CalculatedAmount", _amount(tax_cents))
    _el(tax, "ram:TypeCode", "VAT")
    if tax_cents is not None and category == "E":
        _el(tax, "ram:ExemptionReason", invoice.seller_vat_exemption)
    if basis_cents is not None:
        _el(tax, "ram:BasisAmount", _amount(basis_cents))
    _el(tax, "ram:CategoryCode", category)
    _el(tax, "ram:RateApplicablePercent", _rate(0 if category == "E" else rate_bp))


def _seller(agreement, invoice):
    seller = _el(agreement, "ram:SellerTradeParty")
    _el(seller, "ram:Name", invoice.seller_name)
    legal = _el(seller, "ram:SpecifiedLegalOrganization")
    _el(legal, "ram:ID", invoice.seller_siret[:9], schemeID=SIREN_SCHEME)
    _address(seller, *_split_address(invoice.seller_address))
    if invoice.seller_vat_number:
        registration = _el(seller, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", invoice.seller_vat_number, schemeID="VA")
    elif _vat_exempt(invoice):
        # EN 16931 (BR-E-02) asks an exempt seller for a tax registration: without a VAT
        # number, the association is known to the tax office by its SIRET.
        registration = _el(seller, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", invoice.seller_siret, schemeID="FC")


def _buyer(agreement, invoice):
    buyer = _el(agreement, "ram:BuyerTradeParty")
    _el(buyer, "ram:Name", invoice.buyer_organisation or invoice.buyer_name)
    if invoice.buyer_siren:
        legal = _el(buyer, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", invoice.buyer_siren, schemeID=SIREN_SCHEME)
    if invoice.buyer_organisation and invoice.buyer_name != invoice.buyer_organisation:
        contact = _el(buyer, "ram:DefinedTradeContact")
        _el(contact, "ram:PersonName", invoice.buyer_name)
    _address(buyer, invoice.buyer_address, invoice.buyer_postcode, invoice.buyer_city)


def _line(transaction, invoice, number, line):
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", number)
    product = _el(item, "ram:SpecifiedTradeProduct")
    _el(product, "ram:Name", f"{line['name']} — {line['unit']}" if line["unit"] else line["name"])
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    price = _el(agreement, "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", _amount(line["unit_price_cents"]))
    delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
    _el(delivery, "ram:BilledQuantity", line["quantity"], unitCode=UNIT_CODE)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    _tax(settlement, invoice, line["vat_rate_bp"])
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line["total_cents"]))


def _payment_terms_text(invoice, terms):
    if invoice.is_credit_note:
        return terms["credit_note"]
    return terms[invoice.payment_method]


def _settlement(transaction, invoice, terms):
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    if not invoice.is_credit_note and invoice.payment_method == "invoice":
        _el(settlement, "ram:PaymentReference", invoice.number)
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    if not invoice.is_credit_note:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", PAYMENT_MEANS.get(invoice.payment_method, "1"))
        _el(means, "ram:Information", _payment_terms_text(invoice, terms))
        if invoice.payment_method == "invoice" and invoice.seller_iban:
            account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
            _el(account, "ram:IBANID", "".join(invoice.seller_iban.split()))
            if invoice.seller_account_holder:
                _el(account, "ram:AccountName", invoice.seller_account_holder)
            if invoice.seller_bic:
                bank = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
                _el(bank, "ram:BICID", invoice.seller_bic)
    for rate in invoice.by_rate:
        _tax(settlement, invoice, rate["rate_bp"], rate["net_cents"], rate["vat_cents"])
    payment_terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(payment_terms, "ram:Description", _payment_terms_text(invoice, terms))
    if invoice.due_date is not None:
        _date(payment_terms, "ram:DueDateDateTime", invoice.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(sum(li["total_cents"] for li in invoice.lines)))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(invoice.net_cents))
    _el(summation, "ram:TaxTotalAmount", _amount(invoice.vat_cents), currencyID="EUR")
    _el(summation, "ram:GrandTotalAmount", _amount(invoice.gross_cents))
    _el(summation, "ram:DuePayableAmount", _amount(invoice.gross_cents))
    if invoice.is_credit_note:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", invoice.credit_note_of.number)
        _date(
            referenced,
            "ram:FormattedIssueDateTime",
            shop_today(invoice.credit_note_of.issued_at),
            qualified=True,
        )


def facturx_xml(invoice, notes, terms):
    """The document's CII XML as UTF-8 bytes.

    notes: [(UNTDID 4451 subject code, text)] printed on the document (legal mentions);
    terms: the payment terms' text per payment method and for a credit note, in French.
    """
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(
        _el(context, "ram:GuidelineSpecifiedDocumentContextParameter"),
        "ram:ID",
        "urn:cen.eu:en16931:2017",
    )
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", TYPE_CODES[invoice.kind])
    _date(document, "ram:IssueDateTime", shop_today(invoice.issued_at))
    for subject, text in notes:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", subject)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(invoice.lines, start=1):
        _line(transaction, invoice, number, line)
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _seller(agreement, invoice)
    _buyer(agreement, invoice)
    order = _el(agreement, "ram:SellerOrderReferencedDocument")
    _el(order, "ram:IssuerAssignedID", invoice.order.number)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
    _date(event, "ram:OccurrenceDateTime", invoice.sale_date)
    _settlement(transaction, invoice, terms)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def embed(pdf, xml, invoice):
    """The PDF/A-3 with the XML attached as factur-x.xml, schema-checked on the way.

    Its dates are the document's issue, not the time of printing, so that the same invoice
    gives the same file every time it is downloaded.
    """
    from facturx import generate_from_binary

    title = f"{invoice.seller_name} : {invoice.number}"
    result = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=LEVEL,
        check_xsd=True,
        pdf_metadata={
            "author": invoice.seller_name,
            "keywords": "Factur-X",
            "title": title,
            "subject": title,
        },
        lang="fr-FR",
    )
    return _stamped(result, invoice.issued_at)


def _stamped(pdf, moment):
    """Replace the library's 'now' in the PDF's info and XMP metadata by `moment`."""
    from datetime import UTC

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    moment = moment.astimezone(UTC)
    pdf_date = moment.strftime("D:%Y%m%d%H%M%S+00'00'")
    xmp_date = moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/CreationDate": pdf_date, "/ModDate": pdf_date})
    metadata = writer.root_object["/Metadata"].get_object()
    xmp = metadata.get_data().decode("utf-8")
    xmp = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", xmp_date, xmp)
    metadata.set_data(xmp.encode("utf-8"))
    for filespec in writer.root_object["/AF"]:  # the attached XML's own date
        params = filespec.get_object()["/EF"]["/F"].get_object()["/Params"]
        params[NameObject("/ModDate")] = TextStringObject(pdf_date)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..catalog.services import find_product
from ..formatting import parse_id
from ..forms import MoneyField, WholeNumberField, not_negative_money
from ..passports.services import is_valid_botanical_name

PHOTO_MAX_BYTES = 5 * 1024 * 1024
VAT_CHOICES = [SelectChoice(550, "5,5 %"), SelectChoice(1000, "10 %"), SelectChoice(2000, "20 %")]
MAX_QUANTITY = 1_000_000


class ProductForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(), Length(max=120)])
    variety = StringField(_l("Variété"), validators=[Optional(), Length(max=120)])
    category_id = SelectField(_l("Catégorie"), coerce=int, validators=[InputRequired()])
    unit_label = StringField(
        _l("Unité de vente"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("Par exemple : godet 8 cm, plaque de 40 mottes, botte, kg"),
    )
    unit_label_en = StringField(
        _l("Unité en anglais (facultatif)"),
        validators=[Optional(), Length(max=60)],
        description=_l("Vide : les pages en anglais montrent l'unité en français."),
    )
    vat_rate_bp = SelectField(_l("Taux de TVA"), coerce=int, choices=VAT_CHOICES)
    price_individual_cents = MoneyField(
        _l("Prix particulier TTC (€)"), validators=[InputRequired(), not_negative_money]
    )
    price_restaurant_cents = MoneyField(
        _l("Prix restaurant HT (€)"), validators=[InputRequired(), not_negative_money]
    )
    price_amap_cents = MoneyField(
        _l("Prix AMAP HT (€)"), validators=[InputRequired(), not_negative_money]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    plant_for_planting = BooleanField(
        _l("Plant destiné à la plantation (passeport phytosanitaire)"),
        description=_l("Oui pour les plants et les aromatiques en pot, non pour les légumes."),
    )
    botanical_name = StringField(
        _l("Nom botanique (genre et espèce)"),
        # No Optional(): it would stop validate_botanical_name, which requires it for plants.
        validators=[Length(max=160)],
        description=_l("Par exemple : Solanum lycopersicum. Imprimé sur le passeport (A)."),
    )
    photo = FileField(
        _l("Photo (JPEG, PNG ou WebP, 5 Mo au plus)"),
        validators=[
            FileSize(max_size=PHOTO_MAX_BYTES, message=_l("La photo dépasse 5 Mo.")),
        ],
    )

    def __init__(self, *args, product=None, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.offer_categories(categories)

    def offer_categories(self, categories):
        self.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]

    def validate_name(self, field):
        same = find_product(field.data.strip(), (self.variety.data or "").strip())
        if same is not None and (self.product is None or same.id != self.product.id):
            raise ValidationError(_l("Ce produit (même nom et même variété) existe déjà."))

    def validate_botanical_name(self, field):
        text = (field.data or "").strip()
        if self.plant_for_planting.data and not text:
            raise ValidationError(
                _l("Un plant destiné à la plantation a besoin de son nom botanique (passeport A).")
            )
        if text and not is_valid_botanical_name(text):
            raise ValidationError(
                _l("Nom botanique attendu : genre et espèce, par exemple « Solanum lycopersicum ».")
            )


class ImportForm(FlaskForm):
    file = FileField(_l("Fichier CSV"), validators=[FileRequired(_l("Choisissez un fichier CSV."))])


class WeekForm(FlaskForm):
    label = StringField(_l("Nom de la semaine"), validators=[DataRequired(), Length(max=80)])
    opens_at = DateTimeLocalField(
        _l("Ouverture des commandes"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Date et heure invalides."))],
    )
    closes_at = DateTimeLocalField(
        _l("Clôture des commandes"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Date et heure invalides."))],
    )
    pickup_date_1 = DateField(
        _l("Jour de retrait"), validators=[DataRequired(_l("Date invalide."))]
    )
    pickup_date_2 = DateField(_l("Autre jour de retrait (facultatif)"), validators=[Optional()])
    pickup_date_3 = DateField(_l("Autre jour de retrait (facultatif)"), validators=[Optional()])

    def pickup_dates(self):
        fields = (self.pickup_date_1, self.pickup_date_2, self.pickup_date_3)
        return [f.data.isoformat() for f in fields if f.data]

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("La clôture doit être après l'ouverture."))

    def validate_pickup_date_1(self, field):
        for other in (field, self.pickup_date_2, self.pickup_date_3):
            if other.data and self.closes_at.data and other.data < self.closes_at.data.date():
                raise ValidationError(_l("Les retraits ont lieu après la clôture des commandes."))


class OfferRowForm(Form):
    product_id = HiddenField()
    offered = BooleanField(_l("Proposé"))
    unlimited = BooleanField(_l("Illimité"))
    quantity = WholeNumberField(
        _l("Quantité disponible"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_QUANTITY, message=_l("Quantité entre 0 et 1 000 000.")),
        ],
    )
    max_per_order = WholeNumberField(
        _l("Maximum par commande"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_QUANTITY, message=_l("Au moins 1, ou laisser vide.")),
        ],
    )
    price_individual_cents = MoneyField(
        _l("Prix particulier TTC"), validators=[Optional(), not_negative_money]
    )
    price_restaurant_cents = MoneyField(
        _l("Prix restaurant HT"), validators=[Optional(), not_negative_money]
    )
    price_amap_cents = MoneyField(_l("Prix AMAP HT"), validators=[Optional(), not_negative_money])
    # The plant passport's part C; empty: the code derived from the week and the product.
    traceability_code = StringField(
        _l("Code de traçabilité"),
        filters=[lambda text: (text or "").strip()],
        validators=[
            Optional(),
            Length(max=40, message=_l("Code de lot : 40 caractères au plus.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$",
                message=_l("Code de lot : lettres, chiffres, espaces, tirets, points ou « / »."),
            ),
        ],
    )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        missing = self.offered.data and not self.unlimited.data and self.quantity.data is None
        if missing and not self.quantity.errors:
            self.quantity.errors.append(_l("Indiquez une quantité ou cochez « illimité »."))
            return False
        return ok

    def values(self):
        return {
            "offered": self.offered.data,
            "quantity_available": None if self.unlimited.data else self.quantity.data,
            "max_per_order": self.max_per_order.data,
            "price_individual_cents": self.price_individual_cents.data,
            "price_restaurant_cents": self.price_restaurant_cents.data,
            "price_amap_cents": self.price_amap_cents.data,
            "traceability_code": self.traceability_code.data or "",
        }


class GridForm(FlaskForm):
    rows = FieldList(FormField(OfferRowForm), max_entries=5000)

    def product_ids(self):
        """Row product ids, or None if a hidden field was tampered with."""
        ids = []
        for row in self.rows:
            product_id = parse_id(row.form.product_id.data)
            if product_id is None:
                return None
            ids.append(product_id)
        return ids if len(ids) == len(set(ids)) else None

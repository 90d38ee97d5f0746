"""The legal pages a new shop starts with (French Markdown), loaded as version 1 of each page.

What the shop already knows (the seller's name, address and SIRET from the configuration)
is written in; what only the nursery knows is left as a placeholder in square brackets in
capitals, such as [NOM DU MÉDIATEUR], which the staff dashboard asks to fill.
"""

from flask import current_app

TITLES = {
    "mentions-legales": "Mentions légales",
    "cgv": "Conditions générales de vente",
    "confidentialite": "Politique de confidentialité",
    "accessibilite": "Déclaration d'accessibilité",
    "histoire": "Notre histoire",
}

MENTIONS_LEGALES = """\
## Éditeur du site

{seller}, association régie par la loi du 1er juillet 1901, déclarée en préfecture
sous le numéro [NUMÉRO RNA W…].

- Siège : {address}
- SIRET : {siret}
- Téléphone : [TÉLÉPHONE]
- Courriel : [ADRESSE E-MAIL DE CONTACT]

La boutique {shop} vend la production de la pépinière maraîchère de l'association,
un atelier et chantier d'insertion conventionné par l'État.

## Directeur ou directrice de la publication

[PRÉNOM NOM], [FONCTION : président·e ou directeur·rice de l'association].

## Hébergement

Le site est hébergé par [NOM DE L'HÉBERGEUR], [ADRESSE DE L'HÉBERGEUR],
téléphone : [TÉLÉPHONE DE L'HÉBERGEUR].

## Propriété intellectuelle

Les textes et photographies de ce site appartiennent à l'association, sauf mention
contraire. Toute reproduction demande son accord écrit.

## Données personnelles

Voir notre [politique de confidentialité](/confidentialite).
"""

CGV = """\
Les présentes conditions générales de vente s'appliquent aux commandes passées sur la
boutique {shop}, éditée par {seller} ({address}, SIRET {siret}). Le vendeur est une
association qui gère une pépinière maraîchère en chantier d'insertion.

## 1. Produits

La boutique vend des plants potagers, des plantes aromatiques, des fleurs et des
légumes de saison, produits par la pépinière. Les photos sont indicatives : des
plantes vivantes varient d'un lot à l'autre.

## 2. Commandes

Les commandes sont ouvertes chaque semaine jusqu'à la date de clôture indiquée sur la
boutique. Jusqu'à cette date, vous pouvez modifier ou annuler votre commande depuis son
lien de suivi. L'équipe confirme ensuite chaque commande ; si une culture manque, elle
peut réduire une quantité et vous en informe par courriel : vous ne payez que ce qui
vous est remis.

## 3. Prix

Les prix affichés aux particuliers sont toutes taxes comprises (TTC). Les prix
professionnels sont hors taxes (HT), la TVA s'ajoutant au taux en vigueur. Le prix
retenu est celui affiché au moment de la commande.

## 4. Paiement

- **Par carte bancaire** en ligne : le montant est autorisé à la commande et débité
  seulement quand l'équipe confirme la commande, pour le montant des produits remis.
- **Au retrait** : en espèces, par chèque ou par carte au point de retrait, pour les
  comptes dont l'adresse e-mail est vérifiée.
- **Sur facture** pour les professionnels (restaurants, AMAP) dont le compte est
  validé : facture émise à la remise, payable par virement à {due_days} jours. Tout
  retard de paiement entraîne des pénalités au taux de {late_rate} et une indemnité
  forfaitaire pour frais de recouvrement de {indemnity} € (article L441-10 du Code de
  commerce).

## 5. Retrait

Les commandes se retirent au point et au créneau choisis lors de la commande. Une
commande non retirée à la fin du créneau peut être remise en vente ; contactez-nous
dès que possible en cas d'empêchement.

## 6. Absence de droit de rétractation

Conformément à l'article L221-28, 4° du Code de la consommation, le droit de
rétractation ne peut être exercé pour la fourniture de biens susceptibles de se
détériorer ou de se périmer rapidement. C'est le cas des plantes vivantes et des
légumes frais vendus par la boutique. Vous pouvez en revanche modifier ou annuler
votre commande en ligne jusqu'à la clôture des commandes de la semaine.

## 7. Conformité et réclamations

Vérifiez vos produits au retrait. Une réclamation (produit abîmé, manquant, non
conforme) s'adresse à [ADRESSE E-MAIL DE CONTACT] ou au [TÉLÉPHONE], dans les 48 heures
suivant le retrait, avec une photo si possible. Nous vous proposons un remplacement la
semaine suivante ou un remboursement (avoir). Les garanties légales de conformité
(articles L217-3 et suivants du Code de la consommation) et des vices cachés (articles
1641 et suivants du Code civil) s'appliquent.

## 8. Médiation de la consommation

Après une réclamation écrite restée sans solution, vous pouvez saisir gratuitement le
médiateur de la consommation dont nous relevons (article L612-1 du Code de la
consommation) :

- Médiateur : [NOM DU MÉDIATEUR]
- Adresse : [ADRESSE POSTALE DU MÉDIATEUR]
- Site internet : [SITE INTERNET DU MÉDIATEUR]

## 9. Données personnelles

Voir notre [politique de confidentialité](/confidentialite).

## 10. Droit applicable

Les présentes conditions sont soumises au droit français.
"""

CONFIDENTIALITE = """\
{seller} ({address}) est responsable des données traitées par la boutique {shop}.
Contact pour toute question sur vos données : [ADRESSE E-MAIL DE CONTACT].

## Ce que nous gardons, et pourquoi

| Données | Pourquoi | Combien de temps |
|---|---|---|
| Nom, courriel, téléphone | préparer votre commande, vous prévenir d'un changement | [DURÉE] après le retrait pour une commande sans compte ; tant que le compte existe sinon |
| Commandes et paiements | exécuter le contrat de vente | 10 ans pour les pièces comptables (article L123-22 du Code de commerce) |
| Factures (professionnels) | obligation légale | 10 ans |
| Compte (mot de passe chiffré, langue) | vous reconnaître | jusqu'à la suppression du compte |
| Courriels envoyés | preuve d'envoi, nouvelle tentative en cas d'échec | [DURÉE] |
| Alertes « Prévenez-moi » (courriel, quantité souhaitée) | vous écrire une fois quand le produit revient | jusqu'à ce courriel ou votre désinscription ; l'adresse est ensuite effacée avec les courriels envoyés |

Le paiement par carte est traité par notre prestataire de paiement (Stripe) : nous ne
voyons ni ne gardons votre numéro de carte.

Nous ne vendons ni ne cédons vos données. Elles ne servent pas à de la publicité. Le
site ne dépose pas de cookie de mesure d'audience, seulement ceux nécessaires à la
session et au panier.

## Vos droits

Vous pouvez accéder à vos données, les faire rectifier, les télécharger ou les faire
effacer (articles 15 à 21 du RGPD) depuis votre compte ou en écrivant à
[ADRESSE E-MAIL DE CONTACT]. Les commandes et factures sont alors conservées de façon
anonyme ou pour la seule durée légale.

Si vous estimez que vos droits ne sont pas respectés, vous pouvez saisir la CNIL
(<https://www.cnil.fr>).
"""

ACCESSIBILITE = """\
{seller} veut que la boutique {shop} soit utilisable par toutes et tous, en application
de l'acte européen sur l'accessibilité (directive (UE) 2019/882, en vigueur depuis le
28 juin 2025) et du référentiel général d'amélioration de l'accessibilité (RGAA 4.1).

## État de conformité

La boutique est **[PARTIELLEMENT CONFORME / NON CONFORME]** au RGAA 4.1. Audit
réalisé le [DATE DE L'AUDIT] par [AUDITEUR].

Ce que nous avons fait : navigation au clavier, contrastes vérifiés, textes
alternatifs, formulaires étiquetés, pages lisibles sur téléphone, tests automatiques
avec axe.

## Contenus non accessibles

[LISTE DES NON-CONFORMITÉS CONNUES, OU « AUCUNE CONNUE »]

## Nous signaler un problème

Si vous ne parvenez pas à commander ou à lire une page, écrivez-nous à
[ADRESSE E-MAIL DE CONTACT] ou appelez le [TÉLÉPHONE] : nous prenons votre commande
autrement et corrigeons la page.

## Voies de recours

Sans réponse satisfaisante, vous pouvez saisir le Défenseur des droits
(<https://www.defenseurdesdroits.fr>, ou par courrier gratuit : Défenseur des droits,
Libre réponse 71120, 75342 Paris CEDEX 07).
"""

HISTOIRE = """\
{shop} est une pépinière maraîchère gérée par {seller}. C'est aussi un **chantier
d'insertion** : des personnes en fin de peine de prison y apprennent le métier de
maraîcher et d'horticulteur, en vue d'un emploi à la sortie.

## Ce que nous cultivons

Des plants potagers (tomates, courges, salades, choux…), des plantes aromatiques en
godet, des fleurs et des légumes de saison, cultivés [SOUS SERRE ET EN PLEIN CHAMP]
à [COMMUNE], sans [PRÉCISER VOS PRATIQUES DE CULTURE].

## Pourquoi une boutique en circuit court

Vendre directement aux habitants, aux restaurants et aux AMAP du territoire donne du
sens au travail de chacun : les plants que vous mettez en terre ont été semés,
repiqués et soignés ici.

## L'équipe

[QUELQUES MOTS SUR L'ASSOCIATION, SA DATE DE CRÉATION ET SES PARTENAIRES]
"""

BODIES = {
    "mentions-legales": MENTIONS_LEGALES,
    "cgv": CGV,
    "confidentialite": CONFIDENTIALITE,
    "accessibilite": ACCESSIBILITE,
    "histoire": HISTOIRE,
}


def default_page(slug):
    """The title and Markdown a page starts with, the shop's identity written in."""
    config = current_app.config
    body = BODIES[slug].format(
        shop=config["SHOP_NAME"],
        seller=config["SELLER_NAME"],
        address=config["SELLER_ADDRESS"],
        siret=config["SELLER_SIRET"] or "[SIRET]",
        due_days=config["INVOICE_DUE_DAYS"],
        late_rate=config["LATE_PAYMENT_RATE"],
        indemnity=config["RECOVERY_INDEMNITY_EUROS"],
    )
    return TITLES[slug], body

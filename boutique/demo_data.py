"""Demo catalog of the nursery: vegetable seedlings, aromatic herbs, flowers and vegetables.

Data only (no application imports); loaded by boutique.demo. Prices are integer cents:
price_individual_cents includes VAT, the professional prices exclude it. vat_rate_bp is in
basis points (550 = 5.5 % for food plants and vegetables, 1000 = 10 % for ornamental plants
and cut flowers). quantity None means unlimited; max_per_order None means no limit.
"""

VAT_FOOD = 550  # food plants, herbs and vegetables
VAT_HORTI = 1000  # ornamental plants and cut flowers

CATEGORIES = [
    {"name": "Plants potagers", "slug": "plants-potagers", "position": 1},
    {"name": "Aromatiques", "slug": "aromatiques", "position": 2},
    {"name": "Fleurs", "slug": "fleurs", "position": 3},
    {"name": "Légumes", "slug": "legumes", "position": 4},
]

PRODUCTS = [
    {
        "category": "plants-potagers",
        "name": "Tomate",
        "variety": "Cœur de bœuf",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Grosse tomate charnue à la chair dense et peu juteuse, avec peu de graines. À "
            "planter après les Saintes Glaces, en plein soleil, contre un tuteur solide."
        ),
        "quantity": 60,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Tomate",
        "variety": "Noire de Crimée",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 340,
        "price_restaurant_cents": 275,
        "price_amap_cents": 260,
        "description": (
            "Variété ancienne à la peau brun-pourpre et à la saveur sucrée, légèrement fumée. "
            "Arroser régulièrement au pied pour limiter l’éclatement des fruits."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Tomate",
        "variety": "Green Zebra",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 340,
        "price_restaurant_cents": 275,
        "price_amap_cents": 260,
        "description": (
            "Fruit moyen vert strié de jaune, acidulé et très parfumé. Il est mûr quand il "
            "prend des reflets ambrés et cède légèrement sous le doigt."
        ),
        "quantity": 24,
        "max_per_order": 6,
    },
    {
        "category": "plants-potagers",
        "name": "Tomate",
        "variety": "Ananas",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 340,
        "price_restaurant_cents": 275,
        "price_amap_cents": 260,
        "description": (
            "Gros fruit jaune orangé marbré de rouge, très doux et peu acide. Variété tardive "
            ": la planter tôt en saison, à l’emplacement le plus chaud du jardin."
        ),
        "quantity": 20,
        "max_per_order": 6,
    },
    {
        "category": "plants-potagers",
        "name": "Tomate",
        "variety": "Roma",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 260,
        "price_restaurant_cents": 210,
        "price_amap_cents": 195,
        "description": (
            "Tomate allongée à chair ferme, parfaite pour les sauces et les conserves. Port "
            "déterminé : elle demande peu de taille et un simple tuteur."
        ),
        "quantity": 60,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Tomate cerise",
        "variety": "Miel du Mexique",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 280,
        "price_restaurant_cents": 225,
        "price_amap_cents": 210,
        "description": (
            "Petits fruits rouges très sucrés, en longues grappes, jusqu’aux premières "
            "fraîcheurs. Se cultive aussi en grand pot sur un balcon ensoleillé."
        ),
        "quantity": 80,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Courgette",
        "variety": "Black Beauty",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Courgette vert foncé, vigoureuse et productive. Prévoir 1 m² par pied et "
            "récolter les fruits jeunes, vers 15 à 20 cm, pour stimuler la production."
        ),
        "quantity": 50,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Courgette",
        "variety": "Ronde de Nice",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Fruit rond vert clair à chair fine, idéal farci. Le cueillir à la taille d’une "
            "orange pour garder une chair tendre."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Aubergine",
        "variety": "Violette de Barbentane",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Variété précoce aux fruits allongés violet foncé, assez bien adaptée aux étés "
            "moins chauds. Demande soleil, chaleur et des arrosages réguliers."
        ),
        "quantity": 36,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Poivron",
        "variety": "Corno di toro rosso",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Fruit long en forme de corne, rouge à maturité, très sucré, à griller ou à "
            "manger cru. Planter au chaud et à l’abri du vent."
        ),
        "quantity": 36,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Piment",
        "variety": "Gorria",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 340,
        "price_restaurant_cents": 275,
        "price_amap_cents": 260,
        "description": (
            "La variété du piment d’Espelette, au piquant modéré et fruité. Les fruits rouges "
            "se font sécher en guirlande avant d’être moulus en poudre."
        ),
        "quantity": 24,
        "max_per_order": 6,
    },
    {
        "category": "plants-potagers",
        "name": "Concombre",
        "variety": "Marketmore",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Concombre long, lisse et peu amer, tolérant à plusieurs maladies. Le palisser "
            "sur un grillage pour obtenir des fruits droits et propres."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Batavia",
        "variety": "Blonde de Paris",
        "unit_label": "plaque de 12 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 450,
        "price_restaurant_cents": 365,
        "price_amap_cents": 340,
        "description": (
            "Batavia croquante, lente à monter en graines, pour les plantations de printemps "
            "et d’été. Repiquer en laissant la motte dépasser légèrement du sol, à 30 cm "
            "d’écart."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Laitue",
        "variety": "Feuille de chêne rouge",
        "unit_label": "plaque de 12 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 450,
        "price_restaurant_cents": 365,
        "price_amap_cents": 340,
        "description": (
            "Laitue aux feuilles découpées, tendres et douces, que l’on peut récolter feuille "
            "à feuille. Arroser le matin plutôt que le soir pour éviter les limaces."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Laitue",
        "variety": "Merveille des quatre saisons",
        "unit_label": "plaque de 12 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 450,
        "price_restaurant_cents": 365,
        "price_amap_cents": 340,
        "description": (
            "Laitue pommée aux feuilles bordées de rouge, rustique et adaptée à presque "
            "toutes les saisons. Récolter quand la pomme est ferme sous la main."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Chou pommé",
        "variety": "Cœur de bœuf des Vertus",
        "unit_label": "plaque de 12 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 480,
        "price_restaurant_cents": 385,
        "price_amap_cents": 365,
        "description": (
            "Chou pointu précoce, tendre et doux, planté au printemps pour une récolte en "
            "été. Le butter légèrement et l’arroser copieusement par temps sec."
        ),
        "quantity": 20,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Poireau",
        "variety": "Bleu de Solaise",
        "unit_label": "plaque de 40 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 1400,
        "price_restaurant_cents": 1130,
        "price_amap_cents": 1060,
        "description": (
            "Poireau d’hiver très rustique au feuillage bleuté. Habiller racines et feuilles "
            "avant de repiquer au fond d’un sillon, puis butter au fil de la croissance."
        ),
        "quantity": 25,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Céleri-rave",
        "variety": "Monarch",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Céleri-rave à grosse boule lisse et à chair blanche. Il lui faut un sol riche et "
            "frais : ne jamais le laisser manquer d’eau."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Courge butternut",
        "variety": "Waltham",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Courge coureuse à chair orange, fine et sucrée, qui se garde tout l’hiver. "
            "Prévoir 2 m² par pied et un paillage épais."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Potimarron",
        "variety": "Red Kuri",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Chair farineuse au goût de châtaigne, peau comestible une fois cuite. Récolter à "
            "l’automne, quand le pédoncule devient liégeux."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Melon",
        "variety": "Petit gris de Rennes",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Melon ancien précoce, adapté aux régions au nord de la Loire, à chair orange "
            "très sucrée. Pincer la tige principale au-dessus de la deuxième feuille pour "
            "favoriser les fruits."
        ),
        "quantity": 24,
        "max_per_order": 6,
    },
    {
        "category": "plants-potagers",
        "name": "Haricot nain",
        "variety": "Contender",
        "unit_label": "plaque de 12 mottes",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 420,
        "price_restaurant_cents": 340,
        "price_amap_cents": 320,
        "description": (
            "Haricot vert précoce et productif, sans fil s’il est cueilli jeune. Repiquer "
            "quand le sol dépasse 12 °C, puis cueillir tous les deux ou trois jours."
        ),
        "quantity": 20,
        "max_per_order": None,
    },
    {
        "category": "plants-potagers",
        "name": "Fraisier",
        "variety": "Gariguette",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 290,
        "price_restaurant_cents": 235,
        "price_amap_cents": 220,
        "description": (
            "Fraise précoce, allongée et très parfumée. Planter en sol riche, le collet au "
            "niveau du sol, et pailler pour garder les fruits propres."
        ),
        "quantity": 60,
        "max_per_order": 12,
    },
    {
        "category": "aromatiques",
        "name": "Basilic",
        "variety": "Grand vert",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 250,
        "price_restaurant_cents": 200,
        "price_amap_cents": 190,
        "description": (
            "Le basilic classique du pistou, aux grandes feuilles parfumées. Craint le froid "
            ": ne pas le sortir avant mi-mai, et pincer les fleurs pour prolonger la récolte."
        ),
        "quantity": 80,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Basilic pourpre",
        "variety": "Red Rubin",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 260,
        "price_restaurant_cents": 210,
        "price_amap_cents": 195,
        "description": (
            "Feuillage pourpre décoratif au parfum légèrement épicé. Joli en salade ou en pot "
            "parmi les fleurs ; mêmes soins que le basilic vert."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Persil plat",
        "variety": "Géant d’Italie",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Persil vigoureux au goût plus prononcé que le frisé. Couper les tiges "
            "extérieures au ras pour que la touffe repousse depuis le cœur."
        ),
        "quantity": 60,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Persil frisé",
        "variety": "Vert foncé",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Persil aux feuilles très frisées, décoratif et rustique. Apprécie la mi-ombre et "
            "un sol frais ; se récolte jusqu’aux gelées."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Ciboulette",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Vivace increvable aux fines feuilles au goût d’oignon doux. Coupée à 3 cm du "
            "sol, elle repousse plusieurs fois dans la saison ; ses fleurs se mangent aussi."
        ),
        "quantity": 50,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Thym",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 250,
        "price_restaurant_cents": 200,
        "price_amap_cents": 190,
        "description": (
            "Sous-arbrisseau méditerranéen pour sol sec et caillouteux, en plein soleil. Le "
            "tailler légèrement après la floraison pour garder une touffe compacte."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Romarin",
        "variety": "",
        "unit_label": "pot 1 L",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 550,
        "price_restaurant_cents": 445,
        "price_amap_cents": 415,
        "description": (
            "Arbuste persistant au parfum puissant, pour les grillades et les légumes rôtis. "
            "Sol drainé et soleil : il redoute surtout l’humidité stagnante en hiver."
        ),
        "quantity": 20,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Menthe",
        "variety": "Marocaine",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 250,
        "price_restaurant_cents": 200,
        "price_amap_cents": 190,
        "description": (
            "Menthe verte douce et fraîche, idéale pour le thé et le taboulé. Très "
            "envahissante : la planter en pot ou dans un seau sans fond enterré."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Sauge officinale",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 280,
        "price_restaurant_cents": 225,
        "price_amap_cents": 210,
        "description": (
            "Feuilles veloutées au goût puissant, pour les viandes blanches, le beurre "
            "noisette ou les tisanes. Vivace qui aime le soleil et un sol pauvre."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Coriandre",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Feuilles fraîches et citronnées, très utilisées dans les cuisines d’Asie et "
            "d’Amérique latine. Monte vite en graines par temps chaud : la planter à "
            "mi-ombre."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Estragon",
        "variety": "Français",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Le véritable estragon de cuisine, au goût anisé fin, multiplié par bouturage. "
            "Pour la sauce béarnaise et les volailles ; le protéger du froid humide en hiver."
        ),
        "quantity": 16,
        "max_per_order": 6,
    },
    {
        "category": "aromatiques",
        "name": "Origan",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 250,
        "price_restaurant_cents": 200,
        "price_amap_cents": 190,
        "description": (
            "Marjolaine sauvage au parfum chaud, indispensable sur les pizzas et les tomates. "
            "Ses fleurs rose mauve attirent les abeilles et les papillons."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "aromatiques",
        "name": "Verveine citronnée",
        "variety": "",
        "unit_label": "pot 1 L",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 590,
        "price_restaurant_cents": 475,
        "price_amap_cents": 445,
        "description": (
            "Arbuste aux feuilles très parfumées au citron, pour les tisanes et les desserts. "
            "Gélive : la rentrer hors gel ou pailler épais le pied en hiver."
        ),
        "quantity": 12,
        "max_per_order": 4,
    },
    {
        "category": "aromatiques",
        "name": "Mélisse",
        "variety": "",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 250,
        "price_restaurant_cents": 200,
        "price_amap_cents": 190,
        "description": (
            "Vivace au parfum citronné doux, en tisane ou ciselée sur des fruits. Supporte la "
            "mi-ombre et se ressème facilement."
        ),
        "quantity": 24,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Œillet d’Inde",
        "variety": "Bonanza",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 220,
        "price_restaurant_cents": 170,
        "price_amap_cents": 160,
        "description": (
            "Petites fleurs doubles orange et acajou, de juin aux gelées. Souvent planté au "
            "potager, près des tomates, pour attirer les insectes auxiliaires."
        ),
        "quantity": 60,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Capucine",
        "variety": "Tom Thumb",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 220,
        "price_restaurant_cents": 170,
        "price_amap_cents": 160,
        "description": (
            "Fleurs et feuilles comestibles au goût poivré, pour égayer les salades. Aime les "
            "sols pauvres et attire les pucerons loin des légumes voisins."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Cosmos",
        "variety": "Sensation",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 250,
        "price_restaurant_cents": 195,
        "price_amap_cents": 180,
        "description": (
            "Grande annuelle légère, jusqu’à 1,20 m, aux fleurs blanches, roses et pourpres. "
            "Fleurit jusqu’aux gelées si l’on coupe régulièrement les fleurs fanées."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Zinnia",
        "variety": "Géant de Californie",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 250,
        "price_restaurant_cents": 195,
        "price_amap_cents": 180,
        "description": (
            "Grosses fleurs doubles aux couleurs vives, qui tiennent longtemps en vase. Plein "
            "soleil, et arrosage au pied pour éviter l’oïdium."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Souci",
        "variety": "Pacific Beauty",
        "unit_label": "godet 8 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 220,
        "price_restaurant_cents": 170,
        "price_amap_cents": 160,
        "description": (
            "Fleur orange vif, facile et généreuse, dont les pétales comestibles colorent "
            "salades et riz. Se ressème seule d’une année sur l’autre."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Tournesol",
        "variety": "Géant de Russie",
        "unit_label": "godet 10 cm",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 280,
        "price_restaurant_cents": 215,
        "price_amap_cents": 205,
        "description": (
            "Tournesol à grosse tête unique, qui peut dépasser 2,50 m ; ses graines "
            "nourrissent les oiseaux. Le tuteurer dans les endroits ventés."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "fleurs",
        "name": "Dahlia",
        "variety": "Café au lait",
        "unit_label": "pot 2 L",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 890,
        "price_restaurant_cents": 690,
        "price_amap_cents": 645,
        "description": (
            "Dahlia à très grandes fleurs crème rosé, superbe en bouquet. Le tuteurer dès la "
            "plantation et arracher les tubercules avant les gelées."
        ),
        "quantity": 12,
        "max_per_order": 4,
    },
    {
        "category": "fleurs",
        "name": "Bouquet de saison",
        "variety": "",
        "unit_label": "bouquet",
        "vat_rate_bp": VAT_HORTI,
        "price_individual_cents": 1500,
        "price_restaurant_cents": 1160,
        "price_amap_cents": 1090,
        "description": (
            "Fleurs coupées du jardin, composées selon la floraison de la semaine (zinnias, "
            "cosmos, dahlias…). Recouper les tiges et changer l’eau tous les deux jours."
        ),
        "quantity": 15,
        "max_per_order": 3,
    },
    {
        "category": "legumes",
        "name": "Tomates anciennes",
        "variety": "",
        "unit_label": "kg",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 650,
        "price_restaurant_cents": 525,
        "price_amap_cents": 495,
        "description": (
            "Assortiment de variétés anciennes cueillies à maturité. Les conserver à "
            "température ambiante, jamais au réfrigérateur, pour garder tout leur goût."
        ),
        "quantity": None,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Courgettes",
        "variety": "",
        "unit_label": "kg",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 350,
        "price_restaurant_cents": 280,
        "price_amap_cents": 265,
        "description": (
            "Courgettes vertes et jaunes récoltées jeunes, à la peau fine. Délicieuses crues "
            "en tagliatelles ou juste poêlées quelques minutes."
        ),
        "quantity": None,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Salade",
        "variety": "",
        "unit_label": "pièce",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 150,
        "price_restaurant_cents": 120,
        "price_amap_cents": 115,
        "description": (
            "Salade du jour (batavia, feuille de chêne ou laitue pommée selon la récolte), "
            "cueillie le matin. Se garde 3 à 4 jours au bac à légumes, dans un linge humide."
        ),
        "quantity": 80,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Radis",
        "variety": "De 18 jours",
        "unit_label": "botte",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 180,
        "price_restaurant_cents": 145,
        "price_amap_cents": 135,
        "description": (
            "Radis demi-long rose à bout blanc, croquant et peu piquant. À croquer avec du "
            "beurre et du sel ; les fanes font une bonne soupe."
        ),
        "quantity": 60,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Carottes",
        "variety": "Nantaise améliorée",
        "unit_label": "botte",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 280,
        "price_restaurant_cents": 225,
        "price_amap_cents": 210,
        "description": (
            "Carottes nouvelles, tendres et sucrées, sans cœur fibreux. Retirer les fanes dès "
            "l’achat pour qu’elles restent fermes."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Pommes de terre",
        "variety": "Charlotte",
        "unit_label": "kg",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 260,
        "price_amap_cents": 245,
        "description": (
            "Pomme de terre à chair ferme, idéale à la vapeur, sautée ou en salade. La "
            "conserver au frais et à l’obscurité."
        ),
        "quantity": None,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Oignons nouveaux",
        "variety": "Blanc hâtif de Paris",
        "unit_label": "botte",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 220,
        "price_restaurant_cents": 175,
        "price_amap_cents": 165,
        "description": (
            "Oignons blancs avec leurs tiges, doux et juteux. Le bulbe se mange cru ou "
            "confit, les tiges s’utilisent comme de la ciboule."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Blettes",
        "variety": "Verte à carde blanche",
        "unit_label": "botte",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 280,
        "price_restaurant_cents": 225,
        "price_amap_cents": 210,
        "description": (
            "Côtes et feuilles se cuisinent séparément : les côtes en gratin, les feuilles "
            "comme des épinards. Se conservent quelques jours dans un linge humide."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Épinards",
        "variety": "",
        "unit_label": "kg",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 750,
        "price_restaurant_cents": 605,
        "price_amap_cents": 570,
        "description": (
            "Jeunes feuilles tendres, à manger crues en salade ou tombées au beurre en une "
            "minute. À consommer dans les deux jours."
        ),
        "quantity": 20,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Poireaux",
        "variety": "",
        "unit_label": "botte",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 320,
        "price_restaurant_cents": 255,
        "price_amap_cents": 240,
        "description": (
            "Botte d’environ 1 kg de poireaux d’hiver au fût bien blanc, arrachés le matin "
            "même. Le vert se garde pour les bouillons."
        ),
        "quantity": 40,
        "max_per_order": None,
    },
    {
        "category": "legumes",
        "name": "Potimarron",
        "variety": "",
        "unit_label": "pièce",
        "vat_rate_bp": VAT_FOOD,
        "price_individual_cents": 380,
        "price_restaurant_cents": 305,
        "price_amap_cents": 290,
        "description": (
            "Courge d’environ 1,5 kg à la chair douce au goût de châtaigne ; inutile de "
            "l’éplucher. Se conserve plusieurs mois dans une pièce fraîche et sèche."
        ),
        "quantity": 30,
        "max_per_order": None,
    },
]

# Produits proposés la semaine dernière mais plus cette semaine (fin de saison précoce).
LAST_WEEK_ONLY = [
    ("Chou pommé", "Cœur de bœuf des Vertus"),
    ("Radis", "De 18 jours"),
    ("Épinards", ""),
]
NOT_OFFERED_THIS_WEEK = LAST_WEEK_ONLY

# Produits affichés comme épuisés dans la démonstration de la semaine en cours.
SOLD_OUT_THIS_WEEK = [
    ("Tomate", "Noire de Crimée"),
    ("Estragon", "Français"),
]

# Plants for planting (seedlings, pot herbs, flower plants) travel with a plant passport whose
# part A is the botanical name; the vegetables of the "legumes" category and the cut-flower
# bouquet do not. Keyed by product name, for the products outside "legumes".
BOTANICAL_NAMES = {
    "Tomate": "Solanum lycopersicum",
    "Tomate cerise": "Solanum lycopersicum var. cerasiforme",
    "Courgette": "Cucurbita pepo",
    "Aubergine": "Solanum melongena",
    "Poivron": "Capsicum annuum",
    "Piment": "Capsicum annuum",
    "Concombre": "Cucumis sativus",
    "Batavia": "Lactuca sativa",
    "Laitue": "Lactuca sativa",
    "Chou pommé": "Brassica oleracea var. capitata",
    "Poireau": "Allium porrum",
    "Céleri-rave": "Apium graveolens var. rapaceum",
    "Courge butternut": "Cucurbita moschata",
    "Potimarron": "Cucurbita maxima",
    "Melon": "Cucumis melo",
    "Haricot nain": "Phaseolus vulgaris",
    "Fraisier": "Fragaria × ananassa",
    "Basilic": "Ocimum basilicum",
    "Basilic pourpre": "Ocimum basilicum",
    "Persil plat": "Petroselinum crispum",
    "Persil frisé": "Petroselinum crispum",
    "Ciboulette": "Allium schoenoprasum",
    "Thym": "Thymus vulgaris",
    "Romarin": "Salvia rosmarinus",
    "Menthe": "Mentha spicata",
    "Sauge officinale": "Salvia officinalis",
    "Coriandre": "Coriandrum sativum",
    "Estragon": "Artemisia dracunculus",
    "Origan": "Origanum vulgare",
    "Verveine citronnée": "Aloysia citrodora",
    "Mélisse": "Melissa officinalis",
    "Œillet d’Inde": "Tagetes patula",
    "Capucine": "Tropaeolum majus",
    "Cosmos": "Cosmos bipinnatus",
    "Zinnia": "Zinnia elegans",
    "Souci": "Calendula officinalis",
    "Tournesol": "Helianthus annuus",
    "Dahlia": "Dahlia pinnata",
}

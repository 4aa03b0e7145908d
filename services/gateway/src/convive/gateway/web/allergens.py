"""The 14 allergens of Regulation (EU) No 1169/2011, Annex II, by the codes menus use (with the
other spellings menus are found to use), and their names in the reader's language."""

from __future__ import annotations

from convive.gateway.web.language import N_, Language

ALLERGENS: dict[str, str] = {
    "gluten": N_("Cereals containing gluten"),
    "crustaceans": N_("Crustaceans"),
    "eggs": N_("Eggs"),
    "fish": N_("Fish"),
    "peanuts": N_("Peanuts"),
    "soy": N_("Soybeans"),
    "milk": N_("Milk"),
    "nuts": N_("Tree nuts"),
    "celery": N_("Celery"),
    "mustard": N_("Mustard"),
    "sesame": N_("Sesame seeds"),
    "sulphites": N_("Sulphur dioxide and sulphites"),
    "lupin": N_("Lupin"),
    "molluscs": N_("Molluscs"),
}
ALIASES = {
    "cereals": "gluten",
    "crustacean": "crustaceans",
    "egg": "eggs",
    "peanut": "peanuts",
    "soya": "soy",
    "soybean": "soy",
    "soybeans": "soy",
    "lactose": "milk",
    "dairy": "milk",
    "tree_nuts": "nuts",
    "tree-nuts": "nuts",
    "nut": "nuts",
    "sulfites": "sulphites",
    "sulphite": "sulphites",
    "sulfite": "sulphites",
    "sulphur_dioxide": "sulphites",
    "mollusc": "molluscs",
    "mollusks": "molluscs",
}


def allergen_code(code: str) -> str:
    code = code.strip().lower()
    return ALIASES.get(code, code)


def allergen_name(code: str, t: Language) -> str:
    """An allergen's name in the reader's language; an unknown code as it is."""
    name = ALLERGENS.get(allergen_code(code))
    return t.gettext(name) if name else code


def allergen_names(t: Language) -> list[tuple[str, str]]:
    """Every allergen, `(code, name)`, in the regulation's order."""
    return [(code, t.gettext(name)) for code, name in ALLERGENS.items()]

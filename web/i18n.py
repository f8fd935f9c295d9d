"""Message catalogues: Chinese (zh, the default) with English msgids as the second language.

The ``.po`` files are the source; they are compiled to ``.mo`` on first use when missing or
stale, so a fresh checkout needs no build step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from babel.support import Translations

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT_LOCALE = "zh"
LOCALES = ("zh", "en")


def compile_catalogs() -> None:
    """Write each ``messages.mo`` that is older than its ``messages.po``."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source)
        with mo_path.open("wb") as target:
            write_mo(target, catalog)


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    compile_catalogs()
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


def translate(template: str, params: dict[str, Any] | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """``template`` in ``locale`` with ``params`` filled in (the template itself when untranslated)."""
    catalog = translations(locale)
    text = catalog.gettext(template)
    if not params:
        return text
    params = {key: catalog.gettext(value) if isinstance(value, str) else value for key, value in params.items()}
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text

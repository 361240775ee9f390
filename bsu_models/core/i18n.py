"""Languages of the interface: English and Traditional Chinese (Hong Kong), and HK formats.

Messages live in a standard gettext catalogue under ``bsu_models/locale/``::

    locale/bsu_models.pot                      the template: every msgid found in the source
    locale/en/LC_MESSAGES/bsu_models.po        English: every msgstr left empty (= the msgid)
    locale/zh_HK/LC_MESSAGES/bsu_models.po     Traditional Chinese (Hong Kong), with a glossary

No ``.mo`` file is kept in the repository: :func:`translator` compiles a language's ``.po`` in
memory (Babel's ``read_po`` + ``write_mo``) the first time it is asked for, and Python's
``gettext.GNUTranslations`` reads the result. A translator is cached per language for the life of
the process; nothing binary can go stale.

Using it
--------
In the web app, pages call ``viewer.shared.t`` / ``viewer.shared.nt``, which use the language that
the user chose in the sidebar (default: the ``BSU_LANGUAGE`` setting)::

    from viewer.shared import nt, t

    st.title(t("Catalogue"))
    st.caption(nt("{count} model", "{count} models", n).format(count=n))

Elsewhere (the CLI, reports) take a translator for a language and bind its methods::

    tr = translator(settings.language)
    _ = tr.gettext
    print(_("Stored {name}, version {number}.").format(name=name, number=number))

Rules for messages:

* The argument must be a literal string -- never an f-string or a variable -- so that the
  extractor sees it. Put values in ``{named}`` placeholders and ``.format()`` the *translated*
  text; a translation must keep exactly the placeholders of its msgid (a test checks).
* Plurals go through ``ngettext``/``nt`` (Chinese has one form, English two).
* A string that must be marked where it is defined but translated later (a constant) is wrapped
  in :func:`N_`, which returns it unchanged; translate it with ``t(VALUE)`` where it is shown.
* User data (case titles, model names, places, tags) is never translated.
* Dates, times and lengths are shown with :func:`format_date`, :func:`format_datetime` and
  :func:`format_metres` (Hong Kong conventions: ``25 Nov 2026`` / ``2026年11月25日``, 24-hour
  clock in Hong Kong time, lengths in metres in both languages).

Adding or changing a message
----------------------------
1. Write ``t("New text")`` (or ``_``/``gettext``/``ngettext``/``nt``/``N_``) in the code.
2. Run ``python scripts/extract_messages.py``: it rewrites the ``.pot`` from ``bsu_models/`` and
   ``viewer/`` and merges it into both ``.po`` files (new msgids get an empty msgstr, vanished
   ones are dropped).
3. Fill in the msgstr in ``locale/zh_HK/LC_MESSAGES/bsu_models.po`` (keep the glossary's terms).
   ``tests/test_i18n.py`` fails while the ``.pot`` is out of date with the source or a msgid has
   no Chinese translation.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bsu_models.core import errors
from bsu_models.core.errors import BsuError, InvalidInput, Message

#: Language codes, in the order the language picker shows them.
LANGUAGES: tuple[str, ...] = ("en", "zh_HK")
#: Each language's name in that language (what the picker shows).
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh_HK": "中文（香港）"}
DEFAULT_LANGUAGE = "en"
#: gettext domain, i.e. the catalogue's file name.
DOMAIN = "bsu_models"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
#: Dates and times are shown in Hong Kong time, whatever the server's time zone.
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
#: Function names whose first string argument (``nt``/``ngettext``: first two) is a message.
#: Every error class of :mod:`bsu_models.core.errors` and
#: :class:`~bsu_models.core.errors.Message` are keywords too: the first argument of
#: ``NotFound("...", ...)`` is a msgid.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "t": None,
    "nt": (1, 2),
    "Message": None,
    **{
        name: None
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BsuError)
    },
}

#: What :func:`translator` returns: a ``gettext`` translations object (``.gettext``,
#: ``.ngettext``, ``.pgettext``).
Translator = gettext.NullTranslations

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_language(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`; otherwise one plain sentence as an error."""
    if lang not in LANGUAGES:
        raise InvalidInput(
            "Unknown language {language!r}; choose one of {choices}.",
            language=lang,
            choices=", ".join(LANGUAGES),
        )
    return lang


def po_path(lang: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE_DIR / check_language(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(lang: str) -> bytes:
    """The ``.mo`` bytes of a language's ``.po`` (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


@functools.cache
def translator(lang: str) -> Translator:
    """The translator of ``lang`` (compiled from its ``.po`` once per process).

    Messages without a translation fall back to the English msgid.
    """
    return gettext.GNUTranslations(io.BytesIO(compile_po(lang)))


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where it is shown)."""
    return message


def t(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """``message`` in ``lang``."""
    return translator(lang).gettext(message)


def nt(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """The form of ``singular``/``plural`` for the count ``n`` in ``lang``."""
    return translator(lang).ngettext(singular, plural, n)


def localise(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """``value`` as text in ``lang``.

    A :class:`~bsu_models.core.errors.Message` or ``BsuError`` is translated, and so are the
    messages among its placeholder values; anything else (names, numbers, user text) is shown as it
    is.
    """
    if isinstance(value, Message):
        return _translate(value.template, value.params, lang)
    if isinstance(value, BsuError):
        return _translate(value.template, value.params, lang)
    return str(value)


def error_text(error: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """The sentence of ``error`` in ``lang`` (errors outside our tree are shown as they are)."""
    return localise(error, lang)


def _translate(template: str, params: Mapping[str, object], lang: str) -> str:
    text = translator(check_language(lang)).gettext(template) if template else template
    if not params:
        return text
    shown = {
        name: localise(value, lang) if isinstance(value, Message | BsuError) else value
        for name, value in params.items()
    }
    return text.format(**shown)


def to_hong_kong(moment: datetime) -> datetime:
    """``moment`` in Hong Kong time; a naive datetime is taken to be UTC (as the database gives)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(HONG_KONG)


def format_date(day: date | datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """``25 Nov 2026`` / ``2026年11月25日``; a datetime is first put in Hong Kong time."""
    if isinstance(day, datetime):
        day = to_hong_kong(day).date()
    if check_language(lang) == "zh_HK":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_datetime(
    moment: datetime, lang: str = DEFAULT_LANGUAGE, *, seconds: bool = False
) -> str:
    """``25 Nov 2026 21:03`` / ``2026年11月25日 21:03``: Hong Kong time, 24-hour clock."""
    local = to_hong_kong(moment)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{format_date(local.date(), lang)} {clock}"


def format_number(value: float, lang: str = DEFAULT_LANGUAGE, *, digits: int = 0) -> str:
    """``1,234,567`` (``digits`` decimals): the same grouping in both languages in Hong Kong."""
    check_language(lang)
    return f"{value:,.{digits}f}"


def format_metres(
    value: float,
    uncertainty: float | None = None,
    lang: str = DEFAULT_LANGUAGE,
    *,
    digits: int = 2,
) -> str:
    """A length in metres: ``12.35 m ± 0.05 m`` / ``12.35 米 ± 0.05 米``."""
    tr = translator(check_language(lang))
    shown = tr.gettext("{value} m").format(value=f"{value:,.{digits}f}")
    if uncertainty is None:
        return shown
    spread = tr.gettext("{value} m").format(value=f"{uncertainty:,.{digits}f}")
    return f"{shown} ± {spread}"

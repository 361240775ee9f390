"""What every page shares: the catalogue handle, the interface language and display helpers.

The catalogue object (database engine and blob store) is one per server process, so it is held
with ``st.cache_resource``; nothing per user or per case is cached. Translators are shared too
(cached per language in ``bsu_models.core.i18n``); the language itself is per user, in
``st.session_state["ui_language"]``, set by the picker that ``app.py`` puts in the sidebar.

Pages show text with ``t("Catalogue")`` and plurals with ``nt("{count} model", "{count} models",
n).format(count=n)``; see ``bsu_models.core.i18n`` for the rules and how to add a message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from collections.abc import Callable
from typing import NoReturn

import streamlit as st

import bsu_models

LANGUAGE_KEY = "ui_language"
# Both names, so that someone who cannot read the current language still finds the picker.
LANGUAGE_LABEL = "Language · 語言"


# A language to show from the next run on: the picker's key cannot change once it is drawn.
PENDING_LANGUAGE_KEY = "bsu_language_next"
USER_KEY = "bsu_user"
SEEN_KEY = "bsu_last_seen"
SIGNED_IN_KEY = "bsu_signed_in_at"
# A session that never recorded its sign-in counts as begun before any password reset.
_LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@st.cache_resource
def store() -> bsu_models.Catalogue:
    """The catalogue of this server process (database and blob store), shared by sessions.
    Pages never use it directly: ``catalogue()`` gives them the signed-in user's view of it."""
    return bsu_models.open_catalogue()


def current_user() -> bsu_models.Principal | None:
    """The signed-in user, re-read from the accounts on every run (roles and closed accounts
    take effect at once); None when nobody is signed in or the session sat idle too long."""
    name = st.session_state.get(USER_KEY)
    if not name:
        return None
    now = dt.datetime.now(dt.UTC)
    seen = st.session_state.get(SEEN_KEY)
    if seen is not None and bsu_models.idle_expired(seen, now):
        sign_out(t("You were signed out after a period without activity."))
        return None
    signed_in_at = st.session_state.get(SIGNED_IN_KEY) or _LONG_AGO
    try:
        user = store().accounts.principal(str(name), signed_in_at=signed_in_at)
    except bsu_models.LoginFailed as exc:
        # A closed account, or an admin's password reset since this session signed in.
        sign_out(error_text(exc))
        return None
    st.session_state[SEEN_KEY] = now
    return user


def sign_in(user: bsu_models.Principal) -> None:
    st.session_state[USER_KEY] = user.username
    st.session_state[SEEN_KEY] = st.session_state[SIGNED_IN_KEY] = dt.datetime.now(dt.UTC)
    if user.language in bsu_models.LANGUAGES:
        # The picker is drawn already in this run; it takes the account's language on the next.
        st.session_state[PENDING_LANGUAGE_KEY] = user.language


def sign_out(notice: str = "") -> None:
    if getattr(st.user, "is_logged_in", False):
        st.logout()  # else the sign-on cookie would sign the person straight back in
    for key in list(st.session_state):
        if key != LANGUAGE_KEY:
            del st.session_state[key]
    if notice:
        st.session_state["bsu_sign_in_notice"] = notice


def catalogue(while_signing_in: Callable[[], None] | None = None) -> bsu_models.Catalogue:
    """The catalogue as the signed-in user: every read and change is checked in
    ``bsu_models`` against their roles and case membership. Nobody signed in: the sign-in form
    is shown in place of the page, which then appears at the same address once signed in
    (``while_signing_in``: see ``sign_in_form``)."""
    user = current_user()
    if user is None:
        sign_in_form(while_signing_in)
        st.stop()
    if user.must_change_password:
        new_password_form(user)
        st.stop()
    return store().as_user(user)


def new_password_form(user: bsu_models.Principal) -> None:
    """After an admin's reset: who reset the password and when, and the form to choose a new
    one; nothing else is offered (and ``bsu_models`` refuses everything else) until then."""
    accounts = store().as_user(user).accounts
    reset = accounts.pending_reset(user.username)
    st.subheader(t("Choose a new password"), anchor=False)
    if reset is not None:
        st.warning(
            t(
                "{admin} reset your password on {when}. That ended your sessions; choose a "
                "password of your own before you go on."
            ).format(admin=reset.reset_by, when=datetime_text(reset.reset_at))
        )
    with st.form("new_password"):
        current = st.text_input(t("Password the admin gave you"), type="password")
        first = st.text_input(t("New password"), type="password")
        second = st.text_input(t("New password again"), type="password")
        if st.form_submit_button(t("Save the new password"), type="primary"):
            if first != second:
                st.error(t("The two passwords differ; type them again."))
                return
            try:
                accounts.change_password(user.username, current, first)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                st.rerun()


def _sign_on_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def sign_in_form(while_signing_in: Callable[[], None] | None = None) -> None:
    """Name and password of a local account, or the force's single sign-on when set up.

    ``while_signing_in`` runs after the form, in each run that shows it: a page may start the
    browser on its slower parts there, with nothing of a case in them (the Model page's 3D view
    loads its code while the name and password are typed)."""
    st.subheader(t("Sign in to BSU Models"), anchor=False)
    notice = st.session_state.pop("bsu_sign_in_notice", None)
    if notice:
        st.info(notice)
    accounts = store().accounts
    if not accounts.any_users():
        st.warning(
            t(
                "No account exists yet. Create the first admin on the server: "
                "bsu-models user add NAME --role admin (or load the demo with bsu-models demo)."
            )
        )
        return
    box = st.empty()
    with box.container(), st.form("sign_in"):
        username = st.text_input(t("User name"), key="sign_in_name")
        password = st.text_input(t("Password"), type="password", key="sign_in_password")
        if st.form_submit_button(t("Sign in"), type="primary"):
            try:
                user = accounts.authenticate(username, password)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                sign_in(user)
                # Gone at once: else the form stays above the page until its first run ends,
                # and the page moves up under the eye when it goes.
                box.empty()
                st.rerun()
    if while_signing_in is not None:
        while_signing_in()  # after the form, which the browser draws first
    if _sign_on_configured():
        st.divider()
        if getattr(st.user, "is_logged_in", False):
            try:
                user = accounts.sign_on(st.user.to_dict(), store().settings.group_roles)
            except bsu_models.BsuError as exc:
                st.error(error_text(exc))
            else:
                sign_in(user)
                st.rerun()
        elif st.button(t("Sign in with the force's account"), icon=":material/key:"):
            st.login()


def actor() -> str:
    """Who is using the app; recorded in the audit log."""
    user = current_user()
    return user.username if user else ""


def language() -> str:
    """The user's language: their choice in the sidebar, else the ``BSU_LANGUAGE`` setting."""
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in bsu_models.LANGUAGES:
        return str(chosen)
    return store().settings.language


def _remember_language() -> None:
    """Keep a signed-in user's choice with their account, for their next sign-in."""
    name, chosen = st.session_state.get(USER_KEY), st.session_state.get(LANGUAGE_KEY)
    if not name or chosen not in bsu_models.LANGUAGES:
        return
    try:
        user = store().accounts.principal(str(name))
        store().as_user(user).accounts.set_language(user.username, str(chosen))
    except bsu_models.BsuError:
        pass  # the choice still holds for this session


def language_picker() -> str:
    """The language selectbox in the sidebar (once per run, from ``app.py``); returns the choice.

    A setting that cannot be used (e.g. a bad ``BSU_LANGUAGE``) stops the app with its sentence.
    """
    try:
        default = store().settings.language
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        st.stop()
    pending = st.session_state.pop(PENDING_LANGUAGE_KEY, None)
    if pending in bsu_models.LANGUAGES:
        st.session_state[LANGUAGE_KEY] = pending
    return str(
        st.sidebar.selectbox(
            LANGUAGE_LABEL,
            bsu_models.LANGUAGES,
            index=bsu_models.LANGUAGES.index(default),
            format_func=bsu_models.LANGUAGE_NAMES.__getitem__,
            key=LANGUAGE_KEY,
            on_change=_remember_language,
        )
    )


log = logging.getLogger(__name__)


def guarded(run: Callable[[], object]) -> None:
    """Run the app's pages; an unexpected error shows one plain sentence with an incident id
    (never a traceback or a library's text) and is logged in full under that id. Streamlit's
    own stop and rerun pass through: they are not errors (not ``Exception``)."""
    try:
        run()
    except Exception:
        incident = secrets.token_hex(4).upper()
        log.exception("incident %s: unexpected error on a page", incident)
        sentence = bsu_models.translator(_usable_language()).gettext(
            "Something went wrong and the page could not be shown. Incident {incident} is "
            "logged; tell the unit's operators if it happens again."
        )
        st.error(sentence.format(incident=incident))


# Results of actions, kept across the rerun that shows the change: {place: (kind, text)}.
NOTICES_KEY = "bsu_notices"
NOTICE_KINDS = ("success", "info", "warning", "error")


def notify(place: str, text: str, kind: str = "success") -> None:
    """Keep ``text`` (already in the user's language and escaped) as the result of the action
    made at ``place`` (a form or button); ``notices(place)`` shows it there, once."""
    if kind not in NOTICE_KINDS:
        raise ValueError(kind)
    st.session_state.setdefault(NOTICES_KEY, {})[place] = (kind, text)


def done(place: str, text: str, kind: str = "success") -> NoReturn:
    """``notify``, then run the page again so that it shows the change."""
    notify(place, text, kind)
    st.rerun()


def notices(place: str, where: object = None) -> None:
    """Show the result kept for ``place`` (once) in ``where`` (default: here). Every page calls
    it right at the form or button that acts, so a result, notice or refusal appears where the
    eye is after clicking, never at the top of a long page."""
    kept = st.session_state.get(NOTICES_KEY, {}).pop(place, None)
    if kept is not None:
        kind, text = kept
        getattr(where if where is not None else st, kind)(text)


def t(message: str) -> str:
    """``message`` in the user's language (the argument must be a literal, for the extractor)."""
    return bsu_models.translator(language()).gettext(message)


def nt(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the user's language; ``.format()`` it after."""
    return bsu_models.translator(language()).ngettext(singular, plural, n)


# What makes Markdown, HTML or Streamlit markup inside a line: emphasis and code, links and
# images, raw HTML and entities, table cells, strikethrough, math, e-mail autolinks.
_MARKUP = re.compile(r"([\\`*\[\]<>|~$&@])")
# An underscore that can open or close emphasis (not one inside a word, as in zh_HK); a colon
# that starts ``:red[…]``, ``:material/…:``, an emoji code or a ``scheme://`` autolink (not one
# before a digit or a space, as in 21:03 or "Step 1: …"); the dot of a ``www.`` autolink.
_INLINE = re.compile(r"((?<![^\W_])_|_(?![^\W_])|:(?=[^\s\d])|(?<=[wW]{3})\.)")
# Streamlit's Markdown turns web and e-mail addresses in the text into links after escapes are
# undone, so an invisible word joiner (U+2060) goes where the address pattern needs two
# characters side by side: ``www`` and its dot, ``:`` and ``//``, and before ``@``.
_ADDRESS = re.compile(r"(?i)(?<=www)(?=\\\.)|(?<=:)(?=//)|(?=\\@)")
# What starts a block only at the very start: a heading, a list item (``-``, ``+``, ``1.``,
# ``1)``) or a heading underline (``=``).
_LEADING = re.compile(r"^(\d*)([-+=#.)])")


def plain(text: object) -> str:
    """``text`` (user data, or a sentence holding some) for an element that renders Markdown.

    Every character that could make a link, an image, a heading, a table, emphasis, HTML or a
    Streamlit directive is escaped, web and e-mail addresses get a word joiner that stops them
    becoming links, and line breaks and runs of spaces become one space (an indented line would
    be code), so the page shows the text as typed. Elements that show text
    as it is (``st.text``, ``st.dataframe``, selectbox and multiselect options) take the text
    itself.
    """
    words = _INLINE.sub(r"\\\1", _MARKUP.sub(r"\\\1", " ".join(str(text).split())))
    words = _ADDRESS.sub("\u2060", words)
    leading = _LEADING.match(words)
    if leading and (leading.group(1) or leading.group(2) in "-+=#"):
        words = f"{leading.group(1)}\\{words[leading.end(1) :]}"
    return words


def error_text(error: BaseException) -> str:
    """The sentence of ``error`` in the user's language, ready for ``st.error`` (it names user
    text, so it is escaped with ``plain``).

    When the settings themselves cannot be read (a bad ``BSU_LANGUAGE``), it is English.
    """
    return plain(bsu_models.error_text(error, _usable_language()))


def _usable_language() -> str:
    """The user's language, or English when the settings themselves cannot be read."""
    try:
        return language()
    except bsu_models.BsuError:
        return bsu_models.DEFAULT_LANGUAGE


def text_of(value: object) -> str:
    """A sentence, reason or progress step from ``bsu_models`` in the user's language."""
    return bsu_models.localise(value, language())


def date_text(day: dt.date | dt.datetime) -> str:
    """A date in the user's language: ``25 Nov 2026`` / ``2026年11月25日`` (Hong Kong time)."""
    return bsu_models.format_date(day, language())


def datetime_text(moment: dt.datetime) -> str:
    """Hong Kong time, 24-hour clock: ``25 Nov 2026 21:03`` / ``2026年11月25日 21:03``."""
    return bsu_models.format_datetime(moment, language())


def metres_text(value: float, uncertainty: float | None = None) -> str:
    """A length in metres in the user's language: ``12.35 m ± 0.05 m`` / ``12.35 米 ± 0.05 米``."""
    return bsu_models.format_metres(value, uncertainty, language())


def choose_version(cat: bsu_models.Catalogue, key: str) -> bsu_models.VersionInfo | None:
    """Pick a case, a model and a version; remembers the choice in the page's query string."""
    try:
        models = cat.list_models()
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
        return None
    wanted = st.query_params.get("model")
    if wanted and wanted.isdigit() and not any(str(m.model_id) == wanted for m in models):
        try:
            cat.versions_of(int(wanted))  # refuses (and records) another case's model
        except bsu_models.BsuError as exc:
            st.error(error_text(exc))
            return None
    if not models:
        st.info(t("No models yet. Upload one on the Upload page."))
        return None
    labels = {f"{m.case_reference} — {m.name}": m for m in models}
    names = list(labels)
    index = next((i for i, m in enumerate(labels.values()) if str(m.model_id) == wanted), 0)
    label = st.selectbox(t("Landmark model"), names, index=index, key=f"{key}_model")
    model = labels[label]
    st.query_params["model"] = str(model.model_id)
    versions = cat.versions_of(model.model_id)
    if len(versions) > 1:
        numbers = [v.number for v in versions]
        number = st.selectbox(t("Version"), numbers, index=len(numbers) - 1, key=f"{key}_version")
        return next(v for v in versions if v.number == number)
    return versions[-1]


def _linked_number(name: str) -> int | None:
    wanted = st.query_params.get(name)
    return int(wanted) if wanted and wanted.isdigit() else None


def deep_link_scene(scenes: dict[int, bsu_models.SceneInfo], key: str) -> None:
    """Choose the scene the address names (``?scene=ID``) in the picker ``key``, when this
    session has not chosen one yet: a reload or a shared link (after signing in) returns to
    it. Pages write ``scene``, ``revision`` and ``step`` back as they change."""
    wanted = _linked_number("scene")
    if wanted in scenes and key not in st.session_state:
        st.session_state[key] = wanted


def deep_link_number(name: str, key: str, highest: int) -> None:
    """Take ``?name=N`` (a step or revision number from 1 to ``highest``) into
    ``st.session_state[key]`` once, when the session has no value of its own yet."""
    wanted = _linked_number(name)
    seen = f"{key}__linked"
    if wanted is not None and 1 <= wanted <= highest and not st.session_state.get(seen):
        st.session_state[key] = wanted
    st.session_state[seen] = True


# The language each keyed picker was last drawn in, by widget key (see ``kept_choice``).
CHOICE_LANGUAGES_KEY = "bsu_choice_languages"


def kept_choice(key: str) -> str:
    """The ``key`` of a keyed picker (selectbox, radio, multiselect) whose options are stable
    ids shown through a translated ``format_func``. Streamlit's browser side keeps a chosen
    option's label in the words it was drawn in ("Any outcome", "Van" after a switch to 中文),
    while the script keeps the id. When the language changed since the picker was last drawn,
    its kept id is set again (the stale label then no longer counts), so it is drawn anew in
    the current language and the choice stays. Call it as the widget's ``key=``, every run."""
    drawn_in = st.session_state.setdefault(CHOICE_LANGUAGES_KEY, {})
    now = language()
    if key in st.session_state and drawn_in.get(key) not in (None, now):
        st.session_state[key] = st.session_state[key]
    drawn_in[key] = now
    return key


def uploader_words() -> None:
    """Put the file uploaders' own words in the user's language: Streamlit draws its "Upload"
    button and a "… per file" line in English only (and that line rounds 512 MB up to "1GB").
    The line is hidden (each page states the catalogue's real limit itself) and the button's
    word is replaced through CSS, which reaches Streamlit's own markup."""
    word = json.dumps(t("Choose files"), ensure_ascii=False).replace("<", "\\3c ")
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
        "{display:none}"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after'
        f"{{content:{word}}}"
        "</style>"
    )


def size_text(size_bytes: int) -> str:
    """A size in MB (2**20 bytes), as the catalogue's limits are set: ``512 MB``."""
    return t("{size} MB").format(size=f"{size_bytes / 2**20:,.0f}")


def real_world_text(version: bsu_models.VersionInfo) -> str:
    size = version.real_world_size
    if size is None:
        return t("Real-world size unknown (units or scale not set)")
    east, north, height = size
    return t("{east} E–W × {north} N–S × {height} high on site").format(
        east=metres_text(east), north=metres_text(north), height=metres_text(height)
    )


def show_facts(version: bsu_models.VersionInfo) -> None:
    """Facts of a version as a two-column table, with the full SHA-256 copyable below it."""
    surface = t("watertight") if version.watertight else t("open (not watertight)")
    if version.has_texture:
        surface = t("{surface}, textured").format(surface=surface)
    facts = {
        t("Case"): version.case_reference,
        t("Model"): t("{name} (version {number})").format(
            name=version.model_name, number=version.number
        ),
        t("Original file"): t("{file} — {format}, {size} bytes").format(
            file=version.original_name,
            format=version.format.upper(),
            size=f"{version.size_bytes:,}",
        ),
        t("Mesh"): t("{vertices} vertices, {faces} faces").format(
            vertices=f"{version.vertices:,}", faces=f"{version.faces:,}"
        ),
        t("Surface"): surface,
        t("Units · scale"): f"{version.units} · {version.scale}",
        t("Real-world size"): real_world_text(version),
        t("Axes"): t("up {up}, north {north}").format(up=version.up_axis, north=version.north_axis),
        t("Uploaded"): t("{when} (Hong Kong time) by {who}").format(
            when=datetime_text(version.uploaded_at), who=version.uploaded_by
        ),
    }
    # st.table renders Markdown in its cells; every value here may hold user text.
    st.table(
        {"Fact": list(facts), "Value": [plain(value) for value in facts.values()]},
        hide_index=True,
        hide_header=True,
    )
    st.caption(t("SHA-256 of the original file"))
    st.code(version.original_sha256, language=None, wrap_lines=True)


def progress_bar(start: str) -> Callable[[float, object], None]:
    """A progress bar (``st.progress``) and the callback that moves it: a long render
    (a video) tells it the fraction done and the step it is at."""
    bar = st.progress(0.0, text=start)
    shown = {"percent": -1}

    def report(fraction: float, message: object) -> None:
        percent = int(fraction * 100)
        if percent != shown["percent"]:  # one message to the browser per percent, not per frame
            shown["percent"] = percent
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{percent}% · {text_of(message)}")

    return report


def show_job(job: bsu_models.JobInfo) -> None:
    """A job's progress bar with its stage while it waits or runs, a full one once done, and
    its plain sentence once it has failed."""
    if job.status == "failed":
        st.error(plain(text_of(job.error)) if job.error else t("The job failed."))
        return
    if job.status == "done":
        st.progress(1.0, text=t("100% · done"))
        return
    if job.stage is not None:
        stage = text_of(job.stage)
    elif job.status == "queued":
        stage = t("waiting for a worker")
    else:
        stage = t("starting")
    fraction = min(max(job.progress, 0.0), 1.0)
    st.progress(fraction, text=f"{int(fraction * 100)}% · {plain(stage)}")


def stereo_choices() -> dict[str | None, str]:
    """The stereo choices of a picture in the user's words, as the 3D view's Stereo button
    says them: None (off), then ``bsu_models.STEREO_MODES``."""
    return {None: t("Off"), "anaglyph": t("anaglyph"), "side-by-side": t("side by side")}

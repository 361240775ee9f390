"""Audit page (auditors): the audit log filtered and exported as CSV, and the integrity check.

Everything shown comes from ``Catalogue.audit_events``, which refuses anyone without the auditor
role (the refusal is itself an event), so the page shows nothing to someone who reaches it by its
address. The CSV is made only when asked for: making it is an ``audit.export`` event.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import streamlit as st

import bsu_models
from viewer.shared import (
    catalogue,
    datetime_text,
    error_text,
    kept_choice,
    nt,
    plain,
    t,
    text_of,
)

DEFAULT_LIMIT = 500
OUTCOMES = ("ok", "failed", "refused")
CSV_KEY = "audit_csv"
VERIFY_KEY = "audit_verify_report"
# Dates are picked and shown in Hong Kong time; events are stamped in UTC.
HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def _utc_start(day: dt.date) -> str:
    """The start of ``day`` in Hong Kong, as the UTC ISO time that events' ``at`` is written in."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=HONG_KONG)
    return start.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _outcome_text(outcome: str) -> str:
    return {
        "": t("Any outcome"),
        "ok": t("✓ ok"),
        "failed": t("× failed"),
        "refused": t("⊘ refused"),
    }.get(outcome, outcome)


st.title(t("Audit log"))
cat = catalogue()

with st.container(border=True):
    first, second, third = st.columns(3)
    actor = first.text_input(t("Actor (user name)"), key="audit_actor")
    action = second.text_input(
        t("Action, or how it starts"), placeholder="login, post, scene", key="audit_action"
    )
    object_id = third.text_input(t("Object id"), key="audit_object")
    first, second, third, fourth = st.columns([3, 3, 3, 2])
    outcome = first.selectbox(
        t("Outcome"), ["", *OUTCOMES], format_func=_outcome_text, key=kept_choice("audit_outcome")
    )
    since = second.date_input(t("From (Hong Kong date)"), value=None, key="audit_since")
    until = third.date_input(t("To (Hong Kong date, inclusive)"), value=None, key="audit_until")
    limit = int(
        fourth.number_input(
            t("Show at most"), min_value=10, max_value=100_000, value=DEFAULT_LIMIT, step=100,
            key="audit_limit",
        )
    )  # fmt: skip

wanted = bsu_models.AuditFilter(
    actor=actor.strip(),
    action=action.strip(),
    object_id=object_id.strip(),
    outcome=str(outcome or ""),
    since=_utc_start(since) if isinstance(since, dt.date) else "",
    until=_utc_start(until + dt.timedelta(days=1)) if isinstance(until, dt.date) else "",
)

try:
    events = cat.audit_events(limit, wanted)
except bsu_models.BsuError as exc:
    st.error(error_text(exc))
    st.stop()

if not events:
    st.info(t("No events match these filters."))
else:
    troubles = sum(1 for e in events if e.outcome != "ok")
    shown = nt("{count} event, newest first", "{count} events, newest first", len(events))
    st.caption(shown.format(count=len(events)))
    if troubles:
        st.warning(
            nt(
                "{count} of them was refused or failed.",
                "{count} of them were refused or failed.",
                troubles,
            ).format(count=troubles)
        )
    st.dataframe(
        {
            t("Event"): [e.event_id for e in events],
            t("Time (Hong Kong)"): [datetime_text(dt.datetime.fromisoformat(e.at)) for e in events],
            t("Actor"): [e.actor for e in events],
            t("Action"): [e.action for e in events],
            t("Object"): [f"{e.object_type}:{e.object_id}" for e in events],
            t("Object SHA-256"): [(e.object_sha256 or "")[:12] for e in events],
            t("Outcome"): [_outcome_text(e.outcome) for e in events],
            t("Details"): [
                json.dumps(e.details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                for e in events
            ],
        },
        hide_index=True,
        width="stretch",
        column_config={t("Event"): st.column_config.NumberColumn(format="%d")},
    )

st.subheader(t("Export"), anchor=False)
st.caption(
    t("The CSV holds every event that matches the filters (no limit); making it is recorded.")
)
if st.button(t("Prepare CSV"), icon=":material/table:", key="audit_prepare"):
    try:
        st.session_state[CSV_KEY] = (wanted, cat.audit_csv(wanted))
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
prepared = st.session_state.get(CSV_KEY)
if prepared is not None and prepared[0] == wanted:
    st.download_button(
        t("Export CSV"),
        prepared[1],
        file_name=f"bsu-audit-{dt.datetime.now(HONG_KONG):%Y%m%d-%H%M}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_download",
        on_click="ignore",
    )
elif prepared is not None:
    st.caption(t("The filters changed since the CSV was made; prepare it again."))

st.subheader(t("Integrity"), anchor=False)
st.caption(
    t(
        "Walks the audit chain, re-hashes every stored file and compares every record with "
        "the chain; this can take a few seconds for a large catalogue."
    )
)
if st.button(t("Check the chain"), icon=":material/verified:", key="audit_verify"):
    try:
        with st.spinner(t("Checking…")):
            st.session_state[VERIFY_KEY] = (cat.verify(), dt.datetime.now(dt.UTC))
    except bsu_models.BsuError as exc:
        st.error(error_text(exc))
checked = st.session_state.get(VERIFY_KEY)
if checked is not None:
    report, when = checked
    st.caption(t("Last checked {when} (Hong Kong time).").format(when=datetime_text(when)))
    if report.ok:
        st.success(
            t(
                "The audit chain and all stored files check out ({events} events, {files} files)."
            ).format(events=report.audit_events_checked, files=report.blobs_checked)
        )
    else:
        count = len(report.problems)
        st.error(
            nt("The check found {count} problem:", "The check found {count} problems:", count)
            .format(count=count)
        )  # fmt: skip
        for problem in report.findings or report.problems:
            st.error(plain(text_of(problem)))
    if report.cleanable_findings:
        st.info(
            t("Cleanable (not corruption): bsu-models gc removes these after an hour.")
            + "\n\n"
            + "\n".join(f"- {plain(text_of(item))}" for item in report.cleanable_findings)
        )

"""The scene the editor page changes on one run, and how a change is kept: each is the scene's
next revision, its summary recorded in English and shown in the user's language where it was
asked for."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

import bsu_models
from bsu_models import N_, Measurement, Step
from viewer.shared import actor, done, error_text, notify, plain, t, text_of


@dataclass(frozen=True)
class Editing:
    """The catalogue, the scene, its current document and the step on screen."""

    cat: bsu_models.Catalogue
    scene: bsu_models.SceneInfo
    doc: bsu_models.SceneDoc
    step: Step | None = None

    def save(
        self,
        doc: bsu_models.SceneDoc,
        summary: str,
        at: str,
        kind: str = "success",
        **values: object,
    ) -> None:
        """Store ``doc`` as the next revision; errors are shown, nothing half-saved.

        ``summary`` is an ``N_``-marked message with ``{named}`` placeholders: the revision
        history records it in English (one language in the scene's record, whoever edits it);
        the notice shows it in the user's language, at ``at``: the form or button that made the
        change.
        """
        scene = self.scene
        try:
            saved = self.cat.scenes.save(
                scene.scene_id, doc, scene.revision, summary.format(**values), actor=actor()
            )
        except bsu_models.BsuError as exc:
            notify(at, error_text(exc), "error")
        else:
            if saved.revision == scene.revision:
                notify(at, t("Nothing changed: this is recorded already."), "info")
                st.rerun()
            # A value that is a message (a measured length) is shown in the user's language too.
            shown = {
                name: text_of(value) if isinstance(value, bsu_models.Message) else value
                for name, value in values.items()
            }
            notify(at, plain(t(summary).format(**shown)), kind)
        st.rerun()

    def measure_and_save(
        self,
        measurement: Measurement,
        summary: str = N_("measured {value} at step {title!r}"),
        **values: object,
    ) -> None:
        """Evaluate ``measurement`` on the scene and keep it as the next revision; the value is
        shown under the viewer, where the clicks were made."""
        try:
            value = self.cat.scenes.measure(self.scene.scene_id, measurement)
        except bsu_models.BsuError as exc:
            done("viewer", error_text(exc), "error")
        st.session_state["editor_last_measure"] = value.message
        title = self.step.title if self.step is not None else ""
        self.save(
            self.doc.with_measurement(replace(measurement, label=value.text)),
            summary,
            "viewer",
            value=value.message,
            title=title,
            **values,
        )

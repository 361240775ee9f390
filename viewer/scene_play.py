"""Playing a scene's steps in the 3D view (the editor's and the Presentation page's Play).

At each step the entities move to where the next step places them, at the moments and with the
easing a video uses (``bsu_models.movement_samples``); the browser only shows those points in
turn and says when it has done so (``played``), and the page then lands on the next step. No
wait is spent in Python, so Pause and the other buttons answer at once. Play stops at the last
step.

Each entity's path is drawn as far as the entity has come: its places up to the step, then the
point it stands on now. Where both steps have a saved view, the camera flies from one to the
other at the same moments, along the video's camera path (``bsu_models.flight_samples``);
otherwise the viewer keeps its camera. The model is cut by the section box the video shows on
the way: the box of the step flown to from the start of the move, else the one flown from.
"""

from __future__ import annotations

import bsu_models

#: How long the entities take to move from one step to the next, and the pause at each step.
MOVE_SECONDS = 2.0
HOLD_SECONDS = 0.5
#: Moments between two steps (a video of 25 frames a second has about as many in two seconds).
SAMPLES = 48


def movement(
    catalogue: bsu_models.Catalogue,
    scene_id: int,
    doc: bsu_models.SceneDoc,
    number: int,
    play_id: str,
) -> dict | None:
    """What the 3D view plays from step ``number`` to the next (None at the last step)."""
    if number >= len(doc.steps):
        return None
    start = catalogue.scenes.layer(scene_id, doc, doc.step_at(number))
    end = catalogue.scenes.layer(scene_id, doc, doc.step_at(number + 1))
    samples = bsu_models.movement_samples(start, end, SAMPLES)
    step = doc.step_at(number)
    walked = {e.id: (e.colour, doc.path_until(e.id, step.id)) for e in doc.entities}
    views = bsu_models.flight_samples(bsu_models.step_cameras(doc), number - 1, SAMPLES)
    return {
        "key": f"{play_id}-{scene_id}-{number}",
        "seconds": MOVE_SECONDS,
        "hold": HOLD_SECONDS,
        "samples": [{k: list(p) for k, p in sample.items()} for sample in samples],
        # Where each entity has been up to this step; the browser adds where it stands now.
        "walked": {
            entity: {"colour": colour, "points": [list(p.point) for p in points]}
            for entity, (colour, points) in walked.items()
            if points
        },
        **({"views": [c.camera_json() for c in views]} if views else {}),
    }


def play_camera(doc: bsu_models.SceneDoc, number: int, play_id: str) -> dict | None:
    """The camera argument of a view that plays from step ``number``: the step's saved view,
    so that the flight to the next one starts where it stands (None: the step has none)."""
    step = doc.step_at(number)
    view = doc.view_for_step(step.id)
    if view is None:
        return None
    return {"nonce": f"play-{play_id}-{step.id}", "view": view.camera_json()}


def played(event: dict | None, move: dict | None) -> bool:
    """Whether the view reports that it has played ``move`` to its end."""
    return bool(
        event and move and event.get("type") == "played" and event.get("key") == move["key"]
    )

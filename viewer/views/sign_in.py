"""Sign in: the page shown at the app's address before anyone has signed in."""

from __future__ import annotations

from viewer.shared import sign_in_form

sign_in_form()

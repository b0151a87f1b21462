"""Rekey's settings plus the baseline views the benchmark compares against."""

from pathlib import Path

import django

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Django's PasswordResetView sends Django's stock email (subject and body), which ships in the
# admin's templates folder; Rekey has no admin app, so the baseline reads that folder directly.
# Its form page extends the admin's base, so a bare form of the bench's own stands in for it.
TEMPLATES[0]["DIRS"] = [  # noqa: F405
    Path(__file__).parent / "templates",
    Path(django.__file__).parent / "contrib" / "admin" / "templates",
    *TEMPLATES[0]["DIRS"],  # noqa: F405
]

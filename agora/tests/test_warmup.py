"""agora.warmup: a web process is ready before its first request (views imported, model loaded, frozen)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK = (
    "import gc, sys; import {module}; from moderation import classifier; "
    "print(classifier._model is not None, 'discussions.views' in sys.modules, gc.get_freeze_count() > 10000)"
)


@pytest.mark.parametrize("module", ["agora.wsgi", "agora.asgi"])
def test_importing_an_entry_point_settles_the_process(module):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agora.settings", "AGORA_VAR_DIR": str(settings.VAR_DIR)}
    found = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert found.stdout.split() == ["True", "True", "True"], found.stderr

"""The storm, short (bench/storm.py under the suite): comments posted with client_keys through SIGKILLs
of gunicorn workers, of the master and of Redis are all stored, once each.

CI runs it on PostgreSQL with Redis (a Redis of the storm's own, which it kills); on SQLite
`bench/storm.py` runs the same storm by hand (README), so the suite skips it there.
"""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from bench.processes import REPO_ROOT, RedisProcess
from tests.asgi_server import database_url

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_a_short_storm_loses_and_duplicates_nothing(transactional_db, tmp_path):
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("the storm runs in the suite on PostgreSQL + Redis (CI); on SQLite: bench/storm.py")
    if not RedisProcess.available():
        pytest.skip("redis-server is not installed; the storm kills a Redis of its own")
    figures = tmp_path / "storm.json"
    command = [sys.executable, "bench/storm.py", "--db", database_url(), "--duration", "20"]
    command += ["--clients", "10", "--kill-every", "2", "--json", str(figures)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert figures.exists(), done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert (result["masters_killed"], result["redis_killed"]) == (1, 1) and result["workers_killed"] >= 2
    assert result["acknowledged"] > 0 and result["never_answered"] == 0
    assert result["lost"] == 0 and result["duplicated"] == 0, result
    assert done.returncode == 0, done.stdout + done.stderr

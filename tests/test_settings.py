"""Settings that only show when the process starts: checked in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_filesystem_broker_keeps_every_folder_under_the_var_dir(tmp_path):
    """Without Redis, kombu's filesystem transport writes messages and its exchange table; a
    folder left to kombu's default lands in the working directory (the checkout)."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["ZHITONG_VAR_DIR"] = str(tmp_path)
    code = "import json; from config.settings import local; print(json.dumps(local.CELERY_BROKER_TRANSPORT_OPTIONS))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    options = json.loads(result.stdout)

    folders = {name: Path(value) for name, value in options.items() if name.endswith(("_folder", "_in", "_out"))}
    assert set(folders) == {"data_folder_in", "data_folder_out", "processed_folder", "control_folder"}
    for folder in folders.values():
        assert folder.is_relative_to(tmp_path / "celery-broker")
        assert folder.is_dir()

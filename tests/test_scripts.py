"""`make run` keeps Celery beat and the worker running (issue 14, item 11)."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.redis_process import free_port, own_redis  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"waited {timeout} s in vain")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[1].startswith("Z"))


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


def test_supervise_starts_a_dead_command_again_and_stops_it_when_stopped(tmp_path):
    pids = tmp_path / "pids"
    command = [
        sys.executable,
        "-c",
        f"import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(60)",
    ]
    supervisor = subprocess.Popen(
        ["scripts/supervise.sh", "sleeper", *command],
        cwd=ROOT,
        env={**os.environ, "RESTART_DELAY": "0.1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = lambda n: len(pids.read_text().split()) >= n if pids.exists() else False  # noqa: E731
        wait_for(lambda: started(1))
        first = int(pids.read_text().split()[0])
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: started(2))
        second = int(pids.read_text().split()[1])
        assert second != first and alive(second)

        supervisor.terminate()
        assert supervisor.wait(timeout=5) == 0
        wait_for(lambda: not alive(second), timeout=5)
        assert "sleeper exited with status 137; starting it again in 0.1 s" in supervisor.stderr.read()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_make_run_starts_a_dead_beat_again_and_ctrl_c_stops_everything(tmp_path, own_redis):  # noqa: F811
    from escalation.models import SweepRun
    from tests.escalation.test_celery_integration import test_database_url

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": own_redis.url,
        "ZHITONG_VAR_DIR": str(tmp_path),
        "ZHITONG_SWEEP_INTERVAL_SECONDS": "1",
        "BIN": str(Path(sys.executable).parent),
        "PORT": str(free_port()),
    }
    out = tmp_path / "run.out"
    run = subprocess.Popen(
        ["scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, as a terminal gives `make run`
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        supervisors = wait_for(lambda: re.search(r"supervisors: pids (\d+), (\d+)", out.read_text()))
        beat_supervisor = int(supervisors.group(2))
        wait_for(lambda: SweepRun.objects.exists(), timeout=60, step=0.5)  # beat and the worker are up
        beat = children(beat_supervisor)
        assert len(beat) == 1

        os.kill(beat[0], signal.SIGKILL)
        killed_at = SweepRun.objects.get().finished_at
        new_beat = wait_for(lambda: [pid for pid in children(beat_supervisor) if pid != beat[0]], timeout=10)
        assert len(new_beat) == 1
        wait_for(lambda: SweepRun.objects.get().finished_at > killed_at, timeout=60, step=0.5)  # sweeps go on

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        run.wait(timeout=30)
        wait_for(lambda: not [pid for pid in (beat_supervisor, new_beat[0]) if alive(pid)], timeout=10)
        group = lambda: subprocess.run(  # noqa: E731
            ["ps", "-o", "pid=,stat=,args=", "-g", str(run.pid)], capture_output=True, text=True
        ).stdout.strip()
        try:
            wait_for(lambda: group() == "", timeout=15, step=0.2)
        except AssertionError:
            raise AssertionError(f"left running after Ctrl-C:\n{group()}") from None
    finally:
        if run.poll() is None or subprocess.run(["ps", "-g", str(run.pid)], capture_output=True).returncode == 0:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
        run.wait()

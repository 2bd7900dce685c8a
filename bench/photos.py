"""How long does a photo upload take on the server, and how much memory? Prints figures; it
is not a test.

    .venv/bin/python bench/photos.py                 # 20 uploads of a 1600 px phone JPEG
    .venv/bin/python bench/photos.py --uploads 50 --side 4000   # a phone that did not scale

It works in its own PostgreSQL database (default zhitong_bench_photos, created if missing; a
name without "bench" is refused): migrate, seed_demo (street WLQ), then signs in as the demo
street's staff and posts each photo to the ticket page (POST /tickets/<id>/photos/, the whole
middleware stack: session, CSRF-exempt test client, multipart parsing, the Pillow check,
EXIF strip, re-encode, thumbnail, FileSystemStorage in a temporary folder, the row), then
fetches its thumbnail through the guarded view. Each photo is a different camera-like JPEG
(noise over a gradient, ~450 kB at 1600 × 1200, with GPS EXIF), so none is de-duplicated.

Memory: a thread samples the process's resident set every millisecond during each upload;
"peak" is the highest sample above the resident set just before the upload (what one upload
costs the worker), and VmHWM the process's high-water mark at the end. Goal (issue 16,
item 6): under 300 ms and under 60 MB per upload.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, bench_database, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_photos"
PAGE = os.sysconf("SC_PAGE_SIZE")
DESCRIPTION = "楼道墙面开裂（照片基准测试）"


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def high_water_mark() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakSampler:
    """The highest resident set seen while the block runs, sampled every millisecond."""

    def __enter__(self):
        self.base = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def above_base(self) -> int:
        return self.peak - self.base


def camera_jpeg(width: int, height: int, seed: int) -> bytes:
    from PIL import Image

    sys.path.insert(0, str(ROOT))
    from tests.photo_files import gps_exif

    shade = Image.linear_gradient("L").resize((width, height)).rotate(seed * 37 % 360)
    image = Image.merge("RGB", [Image.blend(Image.effect_noise((width, height), 14), shade, 0.5) for _ in range(3)])
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=gps_exif(orientation=1 + seed % 2 * 5))
    return out.getvalue()


def configure(database_url: str) -> Path:
    name = bench_database(database_url, "the benchmark adds tickets' photos")
    var_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-photos-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=database_url,
        ZHITONG_VAR_DIR=str(var_dir),  # the photos go to var/media under it
        DEBUG="0",
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url, name)
    import django

    django.setup()
    return var_dir


def mb(n: float) -> str:
    return f"{n / 1048576:.1f} MB"


def summary(label: str, values: list[float], unit="ms", scale=1000.0) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{label}: median {statistics.median(values) * scale:.0f} {unit}, p95 {p95 * scale:.0f} {unit}, "
        f"max {max(values) * scale:.0f} {unit}"
    )


def run(args, var_dir: Path) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from grievances.models import Category, Photo, Ticket
    from grievances.photos import process
    from intake.services import ticket_create
    from responders.models import ResponsibilityZone, User

    quiet = io.StringIO()
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
    staff = User.objects.get(username="street_staff")
    ticket = Ticket.objects.filter(street=staff.street, description=DESCRIPTION).first()
    if ticket is None:
        ticket = ticket_create(
            actor=staff,
            category=Category.objects.get(code="environment"),
            description=DESCRIPTION,
            channel="visit",
            urgency="normal",
            zone=ResponsibilityZone.objects.filter(committee__street=staff.street).order_by("pk").first(),
        )
    Photo.objects.filter(ticket=ticket).delete()
    print(f"setup (migrate, seed_demo): {time.perf_counter() - started:.1f} s; storage {settings.MEDIA_ROOT}")

    photos = [camera_jpeg(args.side, args.side * 3 // 4, seed) for seed in range(args.uploads + 1)]
    print(
        f"{args.uploads} uploads of {args.side} × {args.side * 3 // 4} JPEGs with GPS EXIF, "
        f"median {statistics.median(len(p) for p in photos) / 1024:.0f} kB; {os.cpu_count()} CPUs; "
        f"Pillow {__import__('PIL').__version__}"
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    url = f"/tickets/{ticket.pk}/photos/"
    # Warm up: the first request imports and compiles what the rest reuse.
    client.post(url, {"photos": io.BytesIO(photos[-1])})
    client.get(f"/tickets/{ticket.pk}/")

    processing, uploads, thumbs, peaks = [], [], [], []
    for data in photos[: args.uploads]:
        t0 = time.perf_counter()
        process(data)
        processing.append(time.perf_counter() - t0)
    for index, data in enumerate(photos[: args.uploads]):
        upload = io.BytesIO(data)
        upload.name = f"IMG_{index:04d}.jpg"
        with PeakSampler() as sampler:
            t0 = time.perf_counter()
            response = client.post(url, {"photos": upload})
            uploads.append(time.perf_counter() - t0)
        assert response.status_code == 302, response.status_code
        peaks.append(sampler.above_base)
        photo = Photo.objects.filter(ticket=ticket).order_by("-pk").first()
        t0 = time.perf_counter()
        thumb = client.get(f"/photos/{photo.pk}/thumb/")
        b"".join(thumb.streaming_content)
        thumbs.append(time.perf_counter() - t0)
        assert thumb.status_code == 200
    stored = Photo.objects.filter(ticket=ticket)
    print(summary("check + re-encode + thumbnail alone (grievances.photos.process)", processing))
    print(summary("upload through the server (POST, 302)", uploads))
    print(summary("thumbnail through the guarded view (GET)", thumbs))
    print(
        f"peak memory per upload above the worker's resident set: median {mb(statistics.median(peaks))}, "
        f"max {mb(max(peaks))}; process high-water mark {mb(high_water_mark())}"
    )
    sizes = [p.size for p in stored]
    print(f"stored {stored.count()} photos, median {statistics.median(sizes) / 1024:.0f} kB each (re-encoded, no EXIF)")
    goal_time = statistics.median(uploads) < 0.3
    goal_memory = max(peaks) < 60 * 1048576
    print(f"goal < 300 ms: {'met' if goal_time else 'MISSED'}; goal < 60 MB: {'met' if goal_memory else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--side", type=int, default=1600, help="the photo's long side in px (default 1600)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    args = parser.parse_args()
    var_dir = configure(args.database_url)
    try:
        run(args, var_dir)
    finally:
        import shutil

        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

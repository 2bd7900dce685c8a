"""Fail if a message in the code or templates is missing from a catalogue in locale/.

`makemessages` (GNU gettext's xgettext) extracts every message from a copy of the tracked
files, so the catalogues here are never rewritten; a message it finds that a catalogue lacks
would show in English on the Chinese screens. `make lint` runs this; `.ci/run` installs
gettext (`apt-get install gettext`).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if shutil.which("xgettext") is None:
        print("check_messages: GNU gettext is needed to extract messages: apt-get install gettext", file=sys.stderr)
        return 2
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    catalogues = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in tracked.stdout.splitlines():
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        languages = [po.parent.parent.name for po in catalogues]
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--ignore=bench/*", "-v0"]
            + [f"--locale={language}" for language in languages],
            cwd=copy,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        )
        missing = []
        for po_path in catalogues:
            have = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(po_path))}
            extracted = polib.pofile(str(copy / po_path.relative_to(ROOT)))
            missing += [
                f"{po_path.relative_to(ROOT)}: {entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences)})"
                for entry in extracted
                if (entry.msgctxt, entry.msgid) not in have
            ]
    if missing:
        print("Messages missing from the catalogues (add them, translated, then `make messages`):", file=sys.stderr)
        print("\n".join(missing), file=sys.stderr)
        return 1
    print(f"check_messages: every message is in {', '.join(str(p.relative_to(ROOT)) for p in catalogues)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

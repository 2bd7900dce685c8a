"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib, so no GNU gettext is needed."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
    po = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
    if untranslated:
        raise SystemExit(f"{po_path}: {len(untranslated)} untranslated or fuzzy, e.g. {untranslated[:3]}")
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.relative_to(ROOT)} ({len(po.translated_entries())} messages)")

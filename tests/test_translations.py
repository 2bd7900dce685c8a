"""Every string on the screens has its Simplified Chinese translation, compiled."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_every_message_is_translated_and_compiled():
    for po_path in LOCALE.glob("*/LC_MESSAGES/django.po"):
        po = polib.pofile(str(po_path))
        assert po.untranslated_entries() == [], po_path
        assert po.fuzzy_entries() == [], po_path
        compiled = {
            (entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(po_path.with_suffix(".mo")))
        }
        for entry in po.translated_entries():
            assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
                f"{entry.msgid!r} is not compiled: run `make messages`"
            )

"""A model's choice labels (`get_<field>_display()`), looked up in a table kept per field.

Django's own builds a dict of every choice, hashing each lazy label, at each call: three
labels a row made a list of 50 tickets spend a fifth of its rendering on it. The table holds
the lazy labels, not their text, so each call still answers in the active language."""

from django.utils.encoding import force_str

_LABELS: dict = {}


class ChoiceLabels:
    """Mixed into a model before models.Model: its fields' get_<field>_display() read the
    per-field table (a value not among the choices answers itself, as Django's does)."""

    def _get_FIELD_display(self, field):  # noqa: N802  (the name Django's partialmethods call)
        labels = _LABELS.get(field)
        if labels is None:
            labels = _LABELS[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        return force_str(labels.get(value, value), strings_only=True)

"""Files people open in a spreadsheet: every CSV the product writes goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
WPS and LibreOffice as a formula (`=HYPERLINK(...)` in an evaluated body's name would be a
live link in the street's report). Such text cells are written with a leading apostrophe,
which spreadsheets show as plain text; numbers stay numbers.
"""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(rows: Iterable[Iterable], filename: str) -> HttpResponse:
    """A CSV download: UTF-8 with a BOM (so Excel opens the Chinese as UTF-8), every text
    cell made safe to open."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    csv.writer(response).writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return response

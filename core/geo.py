"""Points on the earth: the one check of a latitude and longitude pair, and the Web Mercator
arithmetic the street's map draws with (plain floats; no GIS library)."""

import math

from django.utils.translation import gettext as _

from .errors import InvalidInput

LAT_RANGE = (-90.0, 90.0)
LONG_RANGE = (-180.0, 180.0)


def _number(value, field: str, message: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(message, field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(message, field=field)
    return number


def check_point(lat, long, *, lat_field: str = "lat", long_field: str = "long") -> tuple[float, float] | None:
    """The point (lat, long) as floats, or None when neither is given. Both or neither; each
    in its range (-90..90, -180..180); every refusal names its field."""
    lat = _number(lat, lat_field, _("The latitude must be a number of degrees."))
    long = _number(long, long_field, _("The longitude must be a number of degrees."))
    if lat is None and long is None:
        return None
    if lat is None:
        raise InvalidInput(_("Give the latitude with the longitude."), code="required", field=lat_field)
    if long is None:
        raise InvalidInput(_("Give the longitude with the latitude."), code="required", field=long_field)
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        raise InvalidInput(_("The latitude must be between -90 and 90."), field=lat_field)
    if not LONG_RANGE[0] <= long <= LONG_RANGE[1]:
        raise InvalidInput(_("The longitude must be between -180 and 180."), field=long_field)
    return lat, long


# Web Mercator (the slippy-map tiles): world pixel coordinates at zoom z, 256 px tiles.
TILE = 256
MAX_LAT = 85.05112878


def world_pixel(lat: float, long: float, zoom: int) -> tuple[float, float]:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    scale = TILE * 2**zoom
    x = (long + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def fitting_zoom(points: list[tuple[float, float]], width: int, height: int, *, max_zoom: int = 18) -> int:
    """The largest zoom (at most max_zoom) at which all points fit in width x height pixels."""
    for zoom in range(max_zoom, -1, -1):
        xs, ys = zip(*(world_pixel(lat, long, zoom) for lat, long in points), strict=True)
        if max(xs) - min(xs) <= width and max(ys) - min(ys) <= height:
            return zoom
    return 0

"""The street's map, drawn on the server as one SVG (no script, no style attribute: the CSP
allows neither): each point's place in the picture, and the base map's tiles when
`ZHITONG_MAP_TILE_URL` names a tile server (else the template draws a plain grid)."""

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.geo import TILE, fitting_zoom, world_pixel

WIDTH, HEIGHT = 800, 560
MARGIN = 40  # pixels kept free around the outermost points
MAX_ZOOM = 17  # one lone point: a few streets around it
GRID = 80  # the plain background's grid step, in pixels


@dataclass(frozen=True)
class Placed:
    ticket: object
    state: str
    x: float
    y: float


@dataclass(frozen=True)
class Tile:
    url: str
    x: float
    y: float


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    zoom: int
    points: list[Placed]
    tiles: list[Tile]
    grid_x: list[int]
    grid_y: list[int]


def tile_host(template: str) -> str | None:
    """The origin (scheme://host[:port]) of a tile URL template, for the CSP's img-src."""
    if not template:
        return None
    parts = urlsplit(template.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0").replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} and parts.netloc else None


def draw(located: list[tuple[object, str]], tile_url: str = "") -> Drawing:
    """`located`: (ticket, deadline state) pairs, each ticket with `lat` and `long`."""
    if not located:
        return Drawing(WIDTH, HEIGHT, 0, [], [], list(range(GRID, WIDTH, GRID)), list(range(GRID, HEIGHT, GRID)))
    coordinates = [(ticket.lat, ticket.long) for ticket, _ in located]
    zoom = fitting_zoom(coordinates, WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN, max_zoom=MAX_ZOOM)
    pixels = [world_pixel(lat, long, zoom) for lat, long in coordinates]
    xs, ys = [x for x, _ in pixels], [y for _, y in pixels]
    # The picture's top-left corner in world pixels: the points' box centred in it.
    left = (min(xs) + max(xs)) / 2 - WIDTH / 2
    top = (min(ys) + max(ys)) / 2 - HEIGHT / 2
    points = [
        Placed(ticket, state, round(x - left, 1), round(y - top, 1))
        for (ticket, state), (x, y) in zip(located, pixels, strict=True)
    ]
    tiles = []
    if tile_url:
        count = 2**zoom
        for ty in range(max(0, math.floor(top / TILE)), min(count, math.floor((top + HEIGHT) / TILE) + 1)):
            for tx in range(math.floor(left / TILE), math.floor((left + WIDTH) / TILE) + 1):
                url = (
                    tile_url.replace("{z}", str(zoom))
                    .replace("{x}", str(tx % count))
                    .replace("{y}", str(ty))
                    .replace("{s}", "a")
                )
                tiles.append(Tile(url, round(tx * TILE - left, 1), round(ty * TILE - top, 1)))
    return Drawing(WIDTH, HEIGHT, zoom, points, tiles, list(range(GRID, WIDTH, GRID)), list(range(GRID, HEIGHT, GRID)))

"""Server-rendered SVG charts: no JavaScript, they print, and nothing comes from a CDN."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

BAR_HEIGHT = 22
LABEL_WIDTH = 150
CHART_WIDTH = 320


@register.simple_tag
def bar_chart(rows, label="name", value="received", total=None):
    """Horizontal bars, one per row, sized against the largest value (or `total`)."""
    rows = list(rows)
    if not rows:
        return ""
    biggest = total or max((row[value] or 0) for row in rows) or 1
    height = BAR_HEIGHT * len(rows)
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="0" y="15" font-size="12">{}</text>'
        '<rect x="{}" y="3" width="{}" height="16" fill="#b91c1c" rx="2"></rect>'
        '<text x="{}" y="15" font-size="12">{}</text></g>',
        (
            (
                index * BAR_HEIGHT,
                str(row[label])[:12],
                LABEL_WIDTH,
                round(CHART_WIDTH * (row[value] or 0) / biggest),
                LABEL_WIDTH + round(CHART_WIDTH * (row[value] or 0) / biggest) + 6,
                row[value],
            )
            for index, row in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" height="{}">{}</svg>',
        LABEL_WIDTH + CHART_WIDTH + 60,
        height,
        height,
        bars,
    )


@register.filter
def percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"

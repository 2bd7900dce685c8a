"""Server-rendered SVG charts: no JavaScript, they print, and nothing comes from a CDN."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from consultation.models import Step
from core.enums import Channel

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
        '<g transform="translate(0,{})"><title>{}</title><text x="0" y="15" font-size="12">{}</text>'
        '<rect x="{}" y="3" width="{}" height="16" fill="#b91c1c" rx="2"></rect>'
        '<text x="{}" y="15" font-size="12">{}</text></g>',
        (
            (
                index * BAR_HEIGHT,
                f"{row[label]}: {row[value]}",
                _short(str(row[label])),
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


def _short(label: str, room: int = 12) -> str:
    """What fits in the label column; the whole label is the bar's tooltip."""
    return label if len(label) <= room else label[: room - 1] + "…"


@register.filter
def channel_names(rows):
    """Breakdown rows by channel with each channel's name, in the reader's language (the
    stored report keeps the codes, so it reads the same in Chinese and in English)."""
    return [{**row, "name": Channel(row["key"]).label if row["key"] in Channel.values else row["key"]} for row in rows]


@register.filter
def percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def step_names(rows):
    """Consultation matters by step with each step's name in the reader's language (the stored
    report keeps the numbers); step 0 is a matter with no step recorded yet."""
    return [
        {**row, "name": Step(row["step"]).label if row["step"] in Step.values else _("no step yet")} for row in rows
    ]

"""The monthly report as CSV rows, for Excel: one block per part of the report, each with a
title row and a header row of its own, every label in the reader's language (the stored
report keeps codes and names; the words are put on here), and every rate as a percentage,
as on the page ("66.7%", "—" for none)."""

from django.utils.translation import gettext as _

from core.enums import Tier

from .models import MonthlyReport
from .templatetags.charts import channel_names, percent


def report_rows(report: MonthlyReport) -> list[list]:
    data = report.data
    head, year = data["headline"], data["year"]
    first_day, last_day = report.period
    rows: list[list] = [[f"{report.street} · {report.month:%Y-%m} {_('monthly public-opinion report')}"]]
    rows.append([_("Period"), first_day.isoformat(), last_day.isoformat()])

    def block(title: str, header: list[str], body: list[list]) -> None:
        rows.extend([[], [title], header, *body])

    block(
        _("Summary"),
        [_("item"), _("tickets")],
        [
            [_("received"), head["received"]],
            [_("answered"), head["responded"]],
            [_("resolved"), head["resolved"]],
            [_("resolved on time"), head["on_time"]],
            [_("still open"), head["open"]],
            [_("cancelled"), head["cancelled"]],
            [_("feedback"), head["feedback"]],
            [_("satisfied"), head["satisfied"]],
        ],
    )
    block(
        _("Rates"),
        [_("item"), _("rate")],
        [
            [_("response rate"), percent(head["response_rate"])],
            [_("resolution rate"), percent(head["resolution_rate"])],
            [_("satisfaction rate"), percent(head["satisfaction_rate"])],
            [_("on-time rate"), percent(head["on_time_rate"])],
        ],
    )
    block(
        _("The pyramid: where matters were settled"),
        [_("Tier"), _("resolved"), _("share")],
        [[tier.label, head[tier.value], percent(head["pyramid"][tier.value])] for tier in Tier],
    )
    block(
        _("This year"),
        [_("received"), _("resolved"), _("resolution rate"), _("goal")],
        [[year["received"], year["resolved"], percent(year["resolution_rate"]), percent(year["goal"])]],
    )
    breakdowns = [
        (_("By category"), data["by_category"]),
        (_("By committee"), data["by_committee"]),
        (_("By responsibility zone"), data["by_zone"]),
        (_("By channel"), channel_names(data["by_channel"])),
    ]
    for title, breakdown in breakdowns:
        block(
            title,
            [_("item"), _("received"), _("resolved"), _("resolution rate")],
            [[row["name"], row["received"], row["resolved"], percent(row["resolution_rate"])] for row in breakdown],
        )
    block(
        _("Departments"),
        [
            _("Department"),
            _("Referrals"),
            _("Answered"),
            _("On time"),
            _("Late, unanswered"),
            _("Evaluations"),
            _("Rating (1–5)"),
            _("Residents' verdicts"),
            _("Residents satisfied"),
            _("Invitations"),
            _("Invitations accepted"),
            _("Invitations declined"),
            _("Invitations decided"),
        ],
        [
            [
                row["department_name"],
                row["referrals"],
                row["answered"],
                percent(row["on_time_rate"]),
                row["late_open"],
                row.get("evaluations", 0),
                row.get("rating"),
                row.get("verdicts", 0),
                percent(row.get("verdict_rate")),
                row.get("invitations", 0),  # reports issued before invitations were counted have none
                row.get("invitations_accepted", 0),
                row.get("invitations_declined", 0),
                row.get("invitations_decided", 0),
            ]
            for row in data["departments"]
        ],
    )
    meetings = data.get("meetings")  # reports issued before meetings were counted have none
    if meetings:
        block(
            _("Meetings"),
            [_("item"), _("how many")],
            [
                [_("meetings held"), meetings["held"]],
                [_("hearings"), meetings["hearings"]],
                [_("coordination meetings"), meetings["coordination"]],
                [_("conflicts defused"), meetings["conflicts_defused"]],
                [_("referrals to departments"), meetings["referrals"]],
                [_("tickets referred"), meetings["referred_tickets"]],
            ],
        )
        block(
            _("Meetings by type"),
            [_("Meeting type"), _("meetings held")],
            [[row["name"], row["held"]] for row in meetings["by_type"]],
        )
    community = data.get("community")  # reports issued before the questionnaire have none
    if community and community["overall"]["responses"]:
        for title, units in (
            (_("By committee"), community["by_committee"]),
            (_("By responsibility zone"), community["by_zone"]),
        ):
            block(
                f"{_('Residents rate the community')}: {title}",
                [_("Rank"), _("Unit"), _("Households answered"), _("Mean (1–5)"), _("Satisfied")],
                [
                    [
                        row["rank"] or _("not ranked"),
                        row["name"],
                        row["responses"],
                        row["mean"],
                        percent(row["satisfied_rate"]),
                    ]
                    for row in units
                ],
            )
    block(
        _("Hot spots: the same matter again and again"),
        [_("building"), _("Category"), _("tickets")],
        [[row["building"], row["category_name"], row["tickets"]] for row in data["hot_spots"]],
    )
    return rows

"""`{% survey_actions household %}`: on a household's page, the questionnaire at the door and
a link to send, for those who take it (the household's zone team, its committee's or street's
staff), when the street has one in use."""

from django import template

from escalation import policy

from ..selectors import questionnaire_in_use

register = template.Library()


@register.inclusion_tag("surveys/_actions.html", takes_context=True)
def survey_actions(context, household):
    user = context["request"].user
    zone = household.zone
    takes = policy.acts_for(user, street_id=zone.committee.street_id, committee_id=zone.committee_id, zone_id=zone.pk)
    questionnaire = questionnaire_in_use(zone.committee.street_id) if takes else None
    return {"household": household, "questionnaire": questionnaire, "csrf_token": context.get("csrf_token")}

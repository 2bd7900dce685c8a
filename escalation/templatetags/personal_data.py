"""How a template shows a resident's personal data: `{% personal_data household as pd %}`
(or a ticket; `only="name"` when the page shows just that), `{% personal_data_rows
page.object_list as rows %}` for a list of households (names and care flags). Both ask
escalation.personal_data, which applies the policy and logs what is shown in full."""

from django import template

from escalation import personal_data as service

register = template.Library()


def _request(context):
    request = context.get("request")
    if request is None:
        raise template.TemplateSyntaxError("personal_data needs the request in the context.")
    return request


@register.simple_tag(takes_context=True)
def personal_data(context, obj, only=""):
    """A household's or ticket's name, phone (and care flags) as the person may see them;
    `only`: the parts the page shows, comma-separated (name, phone, care_flags)."""
    request = _request(context)
    parts = tuple(part.strip() for part in only.split(",")) if only else service.PARTS
    unknown = set(parts) - set(service.PARTS)
    if unknown:
        raise template.TemplateSyntaxError(f"personal_data: unknown parts {sorted(unknown)}")
    return service.shown(request.user, obj, parts=parts, path=request.path)


@register.simple_tag(takes_context=True)
def personal_data_rows(context, households):
    """[(household, shown), ...] for a list of households, logged as one access."""
    request = _request(context)
    return service.shown_households(request.user, households, path=request.path)

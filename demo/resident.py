"""The demo resident: one hotline request with a phone, dealt with and waiting for the
resident's verdict, so a demo user can open the resident's page as a resident would."""

from django.db import transaction

from core.enums import Channel, Outcome
from escalation.transitions import ticket_resolve
from grievances.models import Category, Ticket
from intake.services import ticket_create
from residents import tokens
from responders.models import PartnerSystem, ResponsibilityZone, StreetOffice

from .street import DEMO_STREET

DEMO_PHONE = "13800138000"
DEMO_EXTERNAL_ID = "12345-DEMO-RESIDENT"


def demo_resident_ticket() -> tuple[Ticket, str, bool]:
    """The demo resident's ticket (opened once: a second run finds it), its page's path, and
    whether it was opened now."""
    existing = Ticket.objects.filter(external_id=DEMO_EXTERNAL_ID).first()
    if existing is not None:
        return existing, tokens.page_path(existing, DEMO_PHONE), False
    street = StreetOffice.objects.get(code=DEMO_STREET[0])
    zone = ResponsibilityZone.objects.filter(committee__street=street).order_by("pk").first()
    hotline, _ = PartnerSystem.objects.get_or_create(code="hotline12345", defaults={"name": "12345 市民服务热线"})
    with transaction.atomic():
        ticket = ticket_create(
            actor=hotline.name,
            category=Category.objects.get(code="environment"),
            description="小区门口的垃圾桶已经三天没有清运，气味很大，希望尽快处理。",
            channel=Channel.HOTLINE,
            zone=zone,
            reporter_name="王先生",
            reporter_phone=DEMO_PHONE,
            partner=hotline,
            external_id=DEMO_EXTERNAL_ID,
        )
        ticket = ticket_resolve(
            ticket=ticket, actor=ticket.owner, outcome=Outcome.SOLVED, reason="已安排保洁员清运，并增加每日清运一次。"
        )
    return ticket, tokens.page_path(ticket, DEMO_PHONE), True

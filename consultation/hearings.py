"""Writes for hearings (听证会) and the residents' covenant (居民公约), seed 000's "three
meetings, one agency, one covenant" at the committee.

A hearing is recorded against a consultation matter or a livelihood project, at a hearing
meeting of the committee where the matter is (or, for a street-wide project, any of the
street's committees), once the meeting has begun: who took part, each opinion heard, the
conclusion. A covenant version is adopted at a representatives' meeting of the committee that
has begun; versions are numbered per committee, the latest is the one in force, all public.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import InvalidInput, InvalidTransition
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.models import ResidentialCommittee, User
from responders.selectors import user_scope

from .models import CovenantVersion, Hearing, LivelihoodProject, Matter
from .services import Actor, _require_acts_for, _text

HEARING_TYPE = "hearing"
COVENANT_TYPE = "representatives"


def _begun_meeting_of(meeting: Meeting | None, *, code: str, committee_ids, actor: Actor, now) -> Meeting:
    if meeting is None:
        raise InvalidInput(_("Name the meeting."), field="meeting")
    seen = visible_meetings(user_scope(actor)) if isinstance(actor, User) else Meeting.objects.all()
    if not seen.filter(pk=meeting.pk).exists():
        raise InvalidInput(_("No such meeting."), field="meeting")
    if meeting.type.code != code or meeting.committee_id not in committee_ids or meeting.zone_id is not None:
        raise InvalidInput(_("That is not a meeting of the right kind and committee."), field="meeting")
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidInput(_("That meeting was cancelled."), field="meeting")
    if meeting.starts_at > now:
        raise InvalidInput(_("The meeting has not begun yet."), field="meeting")
    return meeting


def parse_opinions(text: str) -> list[dict]:
    """One opinion a line, "speaker: opinion" (a full-width colon too); a line without a
    speaker is kept with none."""
    opinions = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        speaker, sep, opinion = line.replace("：", ":").partition(":")
        opinions.append(
            {"speaker": speaker.strip(), "opinion": opinion.strip()} if sep else {"speaker": "", "opinion": line}
        )
    return opinions


def hearing_record(
    *,
    actor: Actor,
    meeting: Meeting | None,
    participants: str,
    opinions: list[dict],
    conclusion: str,
    matter: Matter | None = None,
    project: LivelihoodProject | None = None,
    now: dt.datetime | None = None,
) -> Hearing:
    now = clock.now(now)
    if (matter is None) == (project is None):
        raise ValueError("Give a matter or a project.")
    subject = matter or project
    _require_acts_for(actor, subject.unit)
    if subject.committee_id:
        committees = {subject.committee_id}
    else:
        committees = set(ResidentialCommittee.objects.filter(street=subject.street_id).values_list("pk", flat=True))
    meeting = _begun_meeting_of(meeting, code=HEARING_TYPE, committee_ids=committees, actor=actor, now=now)
    participants = _text(participants, "participants", _("who took part"))
    if not opinions:
        raise InvalidInput(_("Record the opinions heard, one a line."), field="opinions")
    conclusion = _text(conclusion, "conclusion", _("the conclusion"))
    try:
        with transaction.atomic():
            return Hearing.objects.create(
                matter=matter,
                project=project,
                meeting=meeting,
                participants=participants,
                opinions=opinions,
                conclusion=conclusion,
                recorded_by=actor if isinstance(actor, User) else None,
                recorded_at=now,
            )
    except IntegrityError as error:
        raise InvalidInput(_("That meeting's hearing is recorded already."), field="meeting") from error


def covenant_adopt(
    *, actor: Actor, committee: ResidentialCommittee, text: str, meeting: Meeting | None, now: dt.datetime | None = None
) -> CovenantVersion:
    """A new version of the committee's covenant, adopted at its representatives' meeting."""
    now = clock.now(now)
    _require_acts_for(actor, committee)
    text = _text(text, "text", _("the text"))
    meeting = _begun_meeting_of(meeting, code=COVENANT_TYPE, committee_ids={committee.pk}, actor=actor, now=now)
    if CovenantVersion.objects.filter(meeting=meeting).exists():
        raise InvalidInput(_("That meeting adopted a version already."), field="meeting")
    try:
        with transaction.atomic():
            last = CovenantVersion.objects.filter(committee=committee).aggregate(n=Max("version"))["n"] or 0
            return CovenantVersion.objects.create(
                committee=committee,
                version=last + 1,
                text=text,
                meeting=meeting,
                adopted_on=timezone.localtime(meeting.starts_at, clock.SHANGHAI).date(),
                adopted_by=actor if isinstance(actor, User) else None,
                recorded_at=now,
            )
    except IntegrityError as error:
        # Two adoptions at once take the same number, or the meeting adopted one already.
        raise InvalidTransition(
            _("A version was adopted at the same time: reload and try again."), code="conflict"
        ) from error

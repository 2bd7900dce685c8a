import base64
import binascii

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from catalogue.models import ServiceItem
from consultation.models import LivelihoodProject, Matter, MatterStatus, Milestone, StepRecord
from core import refdata
from core.enums import CancelReason, Channel, Outcome, PauseReason, ResumeHow, Status, TicketKind, Tier, Urgency
from core.errors import InvalidInput
from escalation.transitions import Action
from grievances.models import Category, Feedback, Photo, Ticket, TicketEvent
from responders.models import Department, ResidentialCommittee, ResponsibilityZone, StreetOffice

from .models import WebhookSubscription
from .rendering import reads

PHONE = r"^[0-9+\-() ]{3,30}$"


class StrictCharField(serializers.CharField):
    """Text only: a number where text belongs is a client bug worth reporting, not coercing."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Whole numbers only: no "12" strings, no booleans, no 12.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """Numbers only: no "31.2" strings, no booleans. The range is the service's to check
    (core.geo.check_point), so the screens, the API and Open311 refuse alike."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(StrictCharField, serializers.RegexField):
    pass


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, with its representation also as a function for many values:
    `representer()` looks the current time zone up once (DRF looks it up for every value,
    which is most of the cost of a page of tickets; api.rendering asks once per page)."""

    def to_representation(self, value):
        return self.representer()(value)

    def representer(self):
        drf = super().to_representation
        if (getattr(self, "format", api_settings.DATETIME_FORMAT) or "").lower() != ISO_8601:
            return drf
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        if zone is None:
            return drf

        def represent(value):
            # DRF's road for an aware datetime in ISO 8601; anything else takes DRF's own.
            if not value or isinstance(value, str) or value.utcoffset() is None:
                return drf(value)
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return drf(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return represent


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "active"]


class ServiceItemSerializer(serializers.ModelSerializer):
    service_class = serializers.CharField(source="service_class.code", read_only=True)
    service_class_name = serializers.CharField(source="service_class.name", read_only=True)
    documents = serializers.ListField(source="document_list", child=serializers.CharField(), read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "code",
            "name",
            "name_en",
            "service_class",
            "service_class_name",
            "limit_ordinary",
            "limit_urgent",
            "documents",
            "completing_office",
            "completing_tier",
        ]


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponsibilityZone
        fields = ["id", "code", "name"]


class CommitteeSerializer(serializers.ModelSerializer):
    zones = ZoneSerializer(many=True, read_only=True)

    class Meta:
        model = ResidentialCommittee
        fields = ["id", "code", "name", "zones"]


class StreetSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.name", read_only=True)
    committees = CommitteeSerializer(many=True, read_only=True)

    class Meta:
        model = StreetOffice
        fields = ["id", "code", "name", "district", "committees"]


class DepartmentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="kind.code", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "kind", "kind_name", "street", "active"]


class ReporterSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    phone = StrictRegexField(PHONE, required=False, allow_blank=True, default="")


class PhotoUploadSerializer(serializers.Serializer):
    """A photo sent with a new ticket: the file's bytes in base64 (a JPEG scaled to about
    1600 px is a few hundred kB). The server checks it is an image and re-encodes it."""

    content = StrictCharField(help_text="The image file, base64-encoded (standard alphabet).")
    filename = StrictCharField(required=False, allow_blank=True, max_length=255, default="")

    def validate_content(self, value):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise serializers.ValidationError(_("Not valid base64.")) from error


class KeptSlugRelatedField(serializers.SlugRelatedField):
    """A SlugRelatedField over reference data (core.refdata.WATCHED): the object found for a
    slug is kept between an API process's requests while its table stays as it is. What it
    accepts and refuses, and how, is SlugRelatedField's."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            return super().to_internal_value(data)
        model = self.get_queryset().model
        find = super().to_internal_value
        return refdata.cached(("slug", model._meta.label, self.slug_field, data), lambda: find(data))


class TicketCreateSerializer(serializers.Serializer):
    """Where: a `household`, a `zone`, or an `address` (with its `committee` or `street`
    when the key covers several streets)."""

    category = KeptSlugRelatedField(slug_field="code", queryset=Category.objects.filter(active=True))
    description = StrictCharField(min_length=1, max_length=4000)
    zone = StrictIntegerField(required=False, allow_null=True, min_value=1)
    household = StrictIntegerField(required=False, allow_null=True, min_value=1)
    address = StrictCharField(required=False, allow_blank=True, max_length=255, default="")
    committee = StrictIntegerField(required=False, allow_null=True, min_value=1)
    street = StrictIntegerField(required=False, allow_null=True, min_value=1)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PARTNER)
    reporter = ReporterSerializer(required=False)
    external_id = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    lat = StrictFloatField(
        required=False, allow_null=True, help_text="Latitude, WGS-84 degrees (-90..90); with `long`."
    )
    long = StrictFloatField(
        required=False, allow_null=True, help_text="Longitude, WGS-84 degrees (-180..180); with `lat`."
    )
    photos = PhotoUploadSerializer(many=True, required=False, max_length=settings.ZHITONG_PHOTOS_PER_UPLOAD)
    service_item = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ServiceItem.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text="An application at a window for this item of the service catalogue (GET service-items/): "
        "a ticket of kind `service`, due by the item's time limit. Send `category` `service`.",
    )
    documents = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        max_length=30,
        help_text="With `service_item`: the item's documents the window received, as the item names them.",
    )

    def validate(self, data):
        if not (data.get("zone") or data.get("household") or data.get("address", "").strip()):
            raise serializers.ValidationError({"address": [_("Give a household, a zone or an address.")]})
        return data


def blank_choice(choices):
    """A read-only choice that may also be "" (e.g. no outcome yet), as the schema must say."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


class EventSerializer(ModelSerializer):
    actor = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=TicketEvent.Kind.choices, read_only=True)
    from_status = blank_choice(Status.choices)
    to_status = blank_choice(Status.choices)
    from_tier = blank_choice(Tier.choices)
    to_tier = blank_choice(Tier.choices)

    class Meta:
        model = TicketEvent
        fields = ["kind", "at", "actor", "from_status", "to_status", "from_tier", "to_tier", "note", "data"]

    @extend_schema_field(serializers.CharField())
    @reads("actor", "actor_label")
    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor_id else event.actor_label


class FeedbackSerializer(ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["satisfaction", "comment", "collected_via", "created_at"]


class PhotoSerializer(ModelSerializer):
    """A photo on a ticket: its URLs are under the API, fetched with the same key (or
    session) that sees the ticket; there is no public URL for a photo."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height"]

    @extend_schema_field(serializers.CharField())
    @reads("id")
    def get_url(self, photo) -> str:
        return reverse("api-photo", args=[photo.id])

    @extend_schema_field(serializers.CharField())
    @reads("id")
    def get_thumbnail_url(self, photo) -> str:
        return reverse("api-photo-thumb", args=[photo.id])


class TicketSerializer(ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    kind = serializers.ChoiceField(choices=TicketKind.choices, read_only=True)
    service_item = serializers.SerializerMethodField()
    documents_received = serializers.ListField(child=serializers.CharField(), read_only=True)
    pause_reason = blank_choice(PauseReason.choices)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    tier = serializers.ChoiceField(choices=Tier.choices, read_only=True)
    outcome = blank_choice(Outcome.choices)
    owner = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "status",
            "tier",
            "category",
            "urgency",
            "channel",
            "description",
            "address",
            "lat",
            "long",
            "zone",
            "committee",
            "street",
            "household",
            "owner",
            "reporter",
            "respond_by",
            "resolve_by",
            "answer_by",
            "overdue",
            "respond_overdue",
            "outcome",
            "outcome_reason",
            "version",
            "created_at",
            "updated_at",
            "external_id",
            "duplicate_of",
            "photos",
            "kind",
            "service_item",
            "documents_received",
            "paused_at",
            "pause_reason",
            "paused_seconds",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    @reads("owner")
    def get_owner(self, ticket) -> str | None:
        return str(ticket.owner) if ticket.owner_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    @reads("service_item")
    def get_service_item(self, ticket) -> str | None:
        """The code of the service item applied for (kind `service`), else null."""
        return ticket.service_item.code if ticket.service_item_id else None

    @extend_schema_field(ReporterSerializer())
    @reads("reporter_name", "reporter_phone", "masked_reporter_phone", "masked_reporter_name")
    def get_reporter(self, ticket) -> dict:
        # A resident's name and phone in full only to a key with pii:read (both masked else:
        # 王**, 138****5678), as on the staff screens.
        if self.context.get("pii"):
            return {"name": ticket.reporter_name, "phone": ticket.reporter_phone}
        return {"name": ticket.masked_reporter_name, "phone": ticket.masked_reporter_phone}


class PossibleDuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    similarity = serializers.FloatField(help_text="0 to 1: how alike the descriptions are (core.similarity).")


class TicketCreatedSerializer(TicketSerializer):
    """A new ticket, with the open tickets in the key's scope that may be the same problem
    (same building, or same zone and category, alike descriptions): a hint, never a refusal.
    Attach the new report to one with the `merge` action (cancel as duplicate) if it is."""

    possible_duplicates = PossibleDuplicateSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "possible_duplicates"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    events = EventSerializer(many=True, read_only=True)
    feedback = FeedbackSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events", "feedback"]
        read_only_fields = fields


class ActionSerializer(serializers.Serializer):
    """What every action's body may carry. Each action has its own subclass declaring exactly
    its fields (ACTION_SERIALIZERS); the view hands its `validated_data` to the transition,
    which makes the checks that need the ticket. Fields an action does not take are ignored.
    The caller's visible tickets come in the context as `tickets`."""

    expected_version = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="The ticket's `version` as last read: if it has moved on, 409 `stale_version`.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["expected_version"] = fields.pop("expected_version")  # last, after the action's own
        return fields

    def validated(self) -> dict:
        """The valid input, or the 400 partners have always had: a lone missing field, or a
        lone id or reference naming nothing the caller may use, is reported as the
        transitions report theirs (code `required` or `invalid`, its message on top); anything
        else as DRF's validation error."""
        if self.is_valid():
            return dict(self.validated_data)
        if len(self.errors) == 1:
            field, problems = next(iter(self.errors.items()))
            if len(problems) == 1 and problems[0].code in ("required", "does_not_exist"):
                code = "required" if problems[0].code == "required" else "invalid"
                raise InvalidInput(str(problems[0]), code=code, field=field)
        raise serializers.ValidationError(self.errors)


class RequiredTextField(StrictCharField):
    """Text an action needs: required, and in the schema at least one character. A blank one
    still reaches the transition, whose refusal says what is missing as the screens say it."""

    def run_validation(self, data=empty):
        if isinstance(data, str) and not data.strip():
            return ""
        return super().run_validation(data)


def optional_text(max_length: int = 2000, help_text: str | None = None) -> StrictCharField:
    return StrictCharField(required=False, allow_blank=True, max_length=max_length, help_text=help_text)


class AcknowledgeActionSerializer(ActionSerializer):
    """new → acknowledged: the resident has been answered; stops the respond-by clock."""

    note = optional_text()


class StartActionSerializer(ActionSerializer):
    """new or acknowledged → in_progress (starting work is also a response)."""

    note = optional_text()


class ReferActionSerializer(ActionSerializer):
    """acknowledged or in_progress → referred: a functional department serving the ticket's
    street must answer by a date."""

    department = StrictIntegerField(min_value=1, help_text="An active department's `id` (GET departments/).")
    duty = optional_text(help_text="What the department is asked to do.")
    answer_by = serializers.DateTimeField(
        required=False, help_text="When the department must answer by (in the future); default: the SLA's."
    )

    def validate_department(self, value: int) -> Department:
        department = Department.objects.filter(pk=value, active=True).first()
        if department is None:
            raise serializers.ValidationError(_("No such department."), code="does_not_exist")
        return department


class DepartmentReplyActionSerializer(ActionSerializer):
    """Record the referred department's answer; once every department has answered,
    referred → in_progress."""

    answer = RequiredTextField(max_length=4000, help_text="The department's answer.")


class DepartmentUpdateActionSerializer(ActionSerializer):
    """An interim reply from the referred department (正在处理): the referral stays open and
    its answer-by stands."""

    note = RequiredTextField(max_length=4000, help_text="What the department has done so far.")


class ReturnReferralActionSerializer(ActionSerializer):
    """The department sends the referral back as not its matter, with the reason; the referrer
    is alerted, and with no other referral waiting, referred → in_progress."""

    reason = RequiredTextField(max_length=2000, help_text="Why this is not the department's matter.")


class EscalateActionSerializer(ActionSerializer):
    """One tier up, as new, with a new clock."""

    reason = RequiredTextField(max_length=2000, help_text="Why the tier above is needed.")


class ResolveActionSerializer(ActionSerializer):
    """→ resolved: solved, or explained with the reason the resident was given."""

    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = optional_text(help_text="Required when `outcome` is `explained`: the reason the resident was given.")


class CloseActionSerializer(ActionSerializer):
    """resolved → closed without the resident's feedback, with the reason why."""

    note = RequiredTextField(max_length=2000, help_text="Why the ticket is closed without the resident's feedback.")


class ReopenActionSerializer(ActionSerializer):
    """resolved, or closed within the reopen window → in_progress, with a fresh clock."""

    reason = RequiredTextField(max_length=2000, help_text="Why the resident is not satisfied.")


class CancelActionSerializer(ActionSerializer):
    """Any open status → cancelled: a duplicate (naming its original), withdrawn, or invalid."""

    reason = serializers.ChoiceField(choices=CancelReason.choices)
    note = optional_text()
    duplicate_of = StrictCharField(
        required=False, max_length=40, help_text="Required when `reason` is `duplicate`: the original's reference."
    )

    def validate_duplicate_of(self, value: str) -> Ticket:
        original = self.context["tickets"].filter(reference=value).first()
        if original is None:
            raise serializers.ValidationError(_("No such ticket in your streets."), code="does_not_exist")
        return original


class PauseActionSerializer(ActionSerializer):
    """Pause the clock of an acknowledged or in-progress ticket while waiting on the resident
    or a third party (not a department referral); resolve-by moves on by the working time
    paused when it resumes. Refused (409) once resolve-by has passed."""

    reason = serializers.ChoiceField(choices=PauseReason.choices)
    note = optional_text(help_text="What is awaited; required for `third_party`: who, and for what.")


class ResumeActionSerializer(ActionSerializer):
    """End a pause: the resident answered (`resident_replied`, `resident_visit`) or by hand."""

    how = serializers.ChoiceField(
        choices=[
            (value, label)
            for value, label in ResumeHow.choices
            if value in (ResumeHow.RESIDENT_REPLIED, ResumeHow.RESIDENT_VISIT, ResumeHow.BY_HAND)
        ],
        required=False,
        default=ResumeHow.BY_HAND,
    )
    note = optional_text()


# The actions the API offers, each with its body (assigning an owner is the screens' alone;
# feedback has its own endpoint).
ACTION_SERIALIZERS: dict[str, type[ActionSerializer]] = {
    Action.ACKNOWLEDGE: AcknowledgeActionSerializer,
    Action.START: StartActionSerializer,
    Action.REFER: ReferActionSerializer,
    Action.DEPARTMENT_REPLY: DepartmentReplyActionSerializer,
    Action.ESCALATE: EscalateActionSerializer,
    Action.RESOLVE: ResolveActionSerializer,
    Action.CLOSE: CloseActionSerializer,
    Action.REOPEN: ReopenActionSerializer,
    Action.CANCEL: CancelActionSerializer,
    Action.DEPARTMENT_UPDATE: DepartmentUpdateActionSerializer,
    Action.RETURN_REFERRAL: ReturnReferralActionSerializer,
    Action.PAUSE: PauseActionSerializer,
    Action.RESUME: ResumeActionSerializer,
}
API_ACTIONS = list(ACTION_SERIALIZERS)


class FeedbackCreateSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Feedback.Satisfaction.choices)
    comment = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_kinds = serializers.ListField(child=serializers.ChoiceField(choices=TicketEvent.Kind.choices))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_kinds", "active", "created_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a new subscription: the only time its signing secret is shown."""

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    url = StrictCharField(max_length=500, help_text="http:// or https://; receives a signed POST per event.")
    event_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketEvent.Kind.choices),
        required=False,
        default=list,
        help_text="The ticket event kinds to send; empty or absent: every kind.",
    )


# --- consultation (issue 18): read-only ----------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "done_on"]


class StepRecordSerializer(serializers.ModelSerializer):
    """One of seed 002's seven steps as recorded; the vote only at step 4 (else nulls). Who
    took part is left to the staff's screens."""

    name = serializers.CharField(source="get_number_display", read_only=True)

    class Meta:
        model = StepRecord
        fields = [
            "number",
            "name",
            "held_on",
            "meeting",
            "outcome",
            "passed",
            "representatives",
            "present",
            "votes_for",
            "votes_against",
            "votes_abstaining",
        ]


class MatterSerializer(serializers.ModelSerializer):
    """A consultation matter (协商议题): its last step (0-7), its status, where it came from."""

    status = serializers.ChoiceField(choices=MatterStatus.choices, read_only=True)

    class Meta:
        model = Matter
        fields = [
            "id",
            "street",
            "committee",
            "title",
            "description",
            "source",
            "ticket",
            "step",
            "status",
            "rejection_reason",
            "notice_days",
            "notice_ends_on",
            "responsible_unit",
            "responsible_person",
            "progress",
            "created_at",
        ]


class MatterDetailSerializer(MatterSerializer):
    steps = StepRecordSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(MatterSerializer.Meta):
        fields = [*MatterSerializer.Meta.fields, "steps", "milestones"]


class LivelihoodProjectSerializer(serializers.ModelSerializer):
    """A livelihood project (民生实事): proposed, selected with a budget and a timetable, or
    not, carried out and completed; `on_time` once completed (by its due date), else null."""

    on_time = serializers.SerializerMethodField()

    class Meta:
        model = LivelihoodProject
        fields = [
            "id",
            "street",
            "committee",
            "period",
            "title",
            "description",
            "location",
            "proposed_by",
            "status",
            "meeting",
            "budget",
            "responsible_unit",
            "responsible_person",
            "starts_on",
            "due_on",
            "progress",
            "completed_on",
            "on_time",
        ]

    def get_on_time(self, project) -> bool | None:
        if project.completed_on is None or project.due_on is None:
            return None
        return project.completed_on <= project.due_on


class LivelihoodProjectDetailSerializer(LivelihoodProjectSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(LivelihoodProjectSerializer.Meta):
        fields = [*LivelihoodProjectSerializer.Meta.fields, "milestones"]

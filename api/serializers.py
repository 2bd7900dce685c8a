from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalation.transitions import Action
from grievances.models import Category, Channel, Feedback, Outcome, Ticket, TicketEvent, Urgency
from responders.models import Department, ResidentialCommittee, ResponsibilityZone, StreetOffice

PHONE = r"^[0-9+\-() ]{3,30}$"


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "active"]


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
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(PHONE, required=False, allow_blank=True, default="")


class TicketCreateSerializer(serializers.Serializer):
    """Where: a `household`, a `zone`, or an `address` (with its `committee` or `street`
    when the key covers several streets)."""

    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.filter(active=True))
    description = serializers.CharField(min_length=1, max_length=4000)
    zone = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    household = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    address = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    committee = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    street = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PARTNER)
    reporter = ReporterSerializer(required=False)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    def validate(self, data):
        if not (data.get("zone") or data.get("household") or data.get("address", "").strip()):
            raise serializers.ValidationError({"address": [_("Give a household, a zone or an address.")]})
        return data


class OwnerField(serializers.Field):
    def to_representation(self, owner):
        return str(owner) if owner else None


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["kind", "at", "actor", "from_status", "to_status", "from_tier", "to_tier", "note", "data"]

    @extend_schema_field(serializers.CharField())
    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor_id else event.actor_label


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["satisfaction", "comment", "collected_via", "created_at"]


class TicketSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    owner = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()

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
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, ticket) -> str | None:
        return str(ticket.owner) if ticket.owner_id else None

    @extend_schema_field(ReporterSerializer())
    def get_reporter(self, ticket) -> dict:
        phone = ticket.reporter_phone if self.context.get("pii") else ticket.masked_reporter_phone
        return {"name": ticket.reporter_name, "phone": phone}


class TicketDetailSerializer(TicketSerializer):
    events = EventSerializer(many=True, read_only=True)
    feedback = FeedbackSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events", "feedback"]
        read_only_fields = fields


class ActionSerializer(serializers.Serializer):
    """The parameters of the actions; each action reads the ones it needs."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    department = serializers.IntegerField(required=False, min_value=1)
    duty = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    answer_by = serializers.DateTimeField(required=False)
    answer = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    duplicate_of = serializers.CharField(required=False, max_length=40, help_text="The original's reference.")
    satisfaction = serializers.ChoiceField(choices=Feedback.Satisfaction.choices, required=False)
    collected_via = serializers.ChoiceField(choices=Feedback.Via.choices, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    expected_version = serializers.IntegerField(required=False, min_value=1)


class FeedbackCreateSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Feedback.Satisfaction.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


API_ACTIONS = [a for a in Action.values if a not in (Action.ASSIGN, Action.FEEDBACK)]

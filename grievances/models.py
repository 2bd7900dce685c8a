"""What residents ask, and where they live."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least, Replace, Right, Upper
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels
from core.enums import (
    ESCALATING_STATUSES,
    OPEN_STATUSES,
    CancelReason,
    Channel,
    Outcome,
    PauseReason,
    Status,
    TicketKind,
    Tier,
    Urgency,
)
from core.plans import literal_values
from responders.models import PartnerSystem, ResidentialCommittee, ResponsibilityZone, StreetOffice

# The spaces an address may be stored with (searches compare addresses without them), and
# what a phone may carry that a typed one may not.
ADDRESS_SPACES = " \u3000\t"
PHONE_SPACES = " -"


def _without(expression, characters: str):
    for character in characters:
        expression = Replace(expression, Value(character), Value(""))
    return expression


def squeezed_address():
    """The row's address without its spaces: what the searches compare (and index)."""
    return _without(F("address"), ADDRESS_SPACES)


def squeezed_phone():
    return _without(F("phone"), PHONE_SPACES)


# A mainland mobile number's digits: what a whole number typed at the desk has.
PHONE_TAIL_DIGITS = 11


def phone_tail():
    """The last PHONE_TAIL_DIGITS of the phone without its spaces and dashes: a stored
    "+86 139 1234 5678" ends like the typed "13912345678"."""
    return Right(squeezed_phone(), PHONE_TAIL_DIGITS)


# An open ticket whose clock runs and has not yet been marked overdue: what can be due soon.
WARNING_RUNS = Q(status__in=OPEN_STATUSES, overdue=False, paused_at__isnull=True)


def first_warning():
    """The earlier of the two warning moments of a ticket that WARNING_RUNS (either, when only
    one is set), else null: from then it is due soon. The queue's due-soon count compares it,
    indexed by unit, and PostgreSQL keeps statistics of it (migration 0027): null for the
    closed tickets, so it can tell that few have passed their warning, where a condition on
    the bare warning times looked true of every closed ticket and made it read a unit's open
    tickets instead of the index. PostgreSQL's LEAST skips a null, SQLite's gives null: hence
    the fallbacks."""
    return Case(
        When(WARNING_RUNS, then=Coalesce(Least("warn_day_at", "warn_quarter_at"), "warn_day_at", "warn_quarter_at")),
        output_field=models.DateTimeField(),
    )


def trigram(expression) -> OpClass:
    """An expression in a trigram index (pg_trgm): serves `LIKE '%...%'` and `icontains`."""
    return OpClass(expression, name="gin_trgm_ops")


def point_constraints(prefix: str) -> list[models.CheckConstraint]:
    """A point is both coordinates or neither, each in its range (core.geo.check_point)."""
    return [
        models.CheckConstraint(
            condition=Q(lat__isnull=True, long__isnull=True) | Q(lat__isnull=False, long__isnull=False),
            name=f"{prefix}_point_both_or_neither",
        ),
        models.CheckConstraint(
            condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name=f"{prefix}_lat_in_range"
        ),
        models.CheckConstraint(
            condition=Q(long__isnull=True) | Q(long__gte=-180, long__lte=180), name=f"{prefix}_long_in_range"
        ),
    ]


class Building(models.Model):
    """楼/弄 — a building or lane inside a responsibility zone."""

    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("responsibility zone")
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("For example 瞿溪路 500 弄 3 号."))
    # Where it stands (WGS-84 degrees), both or neither: a matter at one of its households
    # that carries no point of its own is placed here (intake.services.ticket_create).
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("building or lane")
        verbose_name_plural = _("buildings and lanes")
        ordering = ["zone", "name"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "name"], name="building_unique_in_zone"),
            *point_constraints("building"),
        ]

    def __str__(self):
        return self.name


class Household(ChoiceLabels, models.Model):
    """户 — one household; its contact name and phone are personal data."""

    class Type(models.TextChoices):
        PERMANENT = "permanent", _("permanent resident")
        RENTAL = "rental", _("tenant")
        TEMPORARY = "temporary", _("temporary resident")

    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="households", verbose_name=_("responsibility zone")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("building or lane"),
    )
    address = models.CharField(_("address"), max_length=255)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    household_type = models.CharField(_("household type"), max_length=20, choices=Type.choices, default=Type.PERMANENT)
    elderly_living_alone = models.BooleanField(_("elderly living alone"), default=False)
    low_income = models.BooleanField(_("low income"), default=False)
    disability = models.BooleanField(_("disability"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    # Set when the resident's personal data was erased at their request (grievances.privacy).
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True, editable=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personal data erased by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["zone", "address"]
        constraints = [models.UniqueConstraint(fields=["zone", "address"], name="household_unique_address_in_zone")]
        # household_search among a city's households (an administrator's scope): the address
        # typed without spaces, the contact's name, the phone's digits, anywhere in the text.
        indexes = [
            GinIndex(trigram(Upper(squeezed_address())), name="household_trgm_address"),
            GinIndex(trigram(Upper("contact_name")), name="household_trgm_name"),
            GinIndex(trigram(squeezed_phone()), name="household_trgm_phone"),
            # A whole mobile number typed at the desk: its last eleven digits, compared whole
            # (the trigram index, fine for a few digits, intersected millions of entries).
            models.Index(phone_tail(), name="household_phone_tail"),
        ]

    def __str__(self):
        return self.address

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def care_flags(self) -> list[str]:
        flags = []
        for field in ("elderly_living_alone", "low_income", "disability"):
            if getattr(self, field):
                flags.append(str(self._meta.get_field(field).verbose_name))
        return flags


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number without disclosing it."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_name(name: str) -> str:
    """王**: the first character (a Chinese surname), the rest starred."""
    name = name.strip()
    return f"{name[0]}{'*' * max(len(name) - 1, 1)}" if name else ""


class Visit(models.Model):
    """走访 — a team's visit to a household (普遍走访: every household at least once a year)."""

    class Method(models.TextChoices):
        DOOR = "door", _("at the door")
        PHONE = "phone", _("by phone")

    class Result(models.TextChoices):
        NOTHING = "nothing", _("nothing raised")
        SETTLED = "settled", _("settled on the spot")
        RAISED = "raised", _("tickets raised")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    # The household's zone at the time of the visit, for coverage counts without a join.
    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="visits", verbose_name=_("responsibility zone")
    )
    visited_on = models.DateField(_("visited on"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.DOOR)
    visitors = models.ManyToManyField(
        "responders.TeamMembership", related_name="visits", blank=True, verbose_name=_("visitors")
    )
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(4000)])
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the visit was recorded on the phone (offline, it may arrive hours later than this;
    # created_at is its arrival). Online, the two are the same moment.
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The id the phone made for the visit (the outbox's): a retry with it finds this visit
    # instead of logging a second one; no other person can reuse it.
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["zone", "visited_on"], name="visit_zone_date")]

    def __str__(self):
        return f"{self.household} {self.visited_on}"


class Category(models.Model):
    """诉求类别 — what a request is about. Seeded by a migration, editable in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    DEFAULT_DUPLICATE_WINDOW_DAYS = 30
    duplicate_window_days = models.PositiveSmallIntegerField(
        _("days to look back for duplicates"),
        default=DEFAULT_DUPLICATE_WINDOW_DAYS,
        help_text=_("Open tickets of this category filed within this many days are suggested as likely duplicates."),
    )
    # What anyone may read of a ticket of this category without a key or a login (the
    # public Open311 view, grievances.public): its description and address, or neither.
    # Off for matters about a person's circumstances (disputes, assistance, care, health,
    # legal aid) and for every new category until someone decides.
    public = models.BooleanField(
        _("public description"),
        default=False,
        help_text=_(
            "Show the description and address of this category's requests to anyone (the public "
            "Open311 view). Leave off for matters about a person's circumstances."
        ),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]

    def __str__(self):
        # In the reader's language: the English name on English screens, where there is one.
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Ticket(ChoiceLabels, models.Model):
    """工单 — one resident's request on its way through the pyramid, or an application for an
    item of the service catalogue (kind "service", due by the item's time limit).

    Status and tier are written only by escalation.transitions (DESIGN.md rule 1).
    The location (zone, committee, street) is where the matter belongs; the responsible
    unit is the one of those that matches the tier.
    """

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=10, choices=TicketKind.choices, default=TicketKind.REQUEST, editable=False
    )
    service_item = models.ForeignKey(
        "catalogue.ServiceItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("service item"),
        editable=False,
        db_index=False,  # Meta: ticket_service_item_set, the few tickets that have one
    )
    # The item's documents the window checked off when the resident applied.
    documents_received = models.JSONField(_("documents received"), default=list, blank=True, editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category"))
    description = models.TextField(_("description"), validators=[MinLengthValidator(1), MaxLengthValidator(4000)])
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)

    # Indexed with its date (Meta: ticket_household_created), not alone: beside a bare household
    # index PostgreSQL took that one for the duplicate suggestions' building query and filtered
    # out the closed tickets (20 ms, 6,466 buffers on the city data) rather than read the open
    # ones' own index (4.2 ms, 3,233).
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("household"),
        db_index=False,
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Where the matter is (WGS-84 degrees), both or neither: the phone's location, a
    # partner's point, or the household's building; set when the ticket opens.
    lat = models.FloatField(_("latitude"), null=True, blank=True, editable=False)
    long = models.FloatField(_("longitude"), null=True, blank=True, editable=False)
    # Zone, committee and street have no index of their own: ticket_zone_status,
    # ticket_committee_status and ticket_street_status begin with them (migration 0031). Every
    # ticket write that is not a HOT update writes an entry into each index of the table.
    zone = models.ForeignKey(
        ResponsibilityZone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("responsibility zone"),
        db_index=False,
    )
    committee = models.ForeignKey(
        ResidentialCommittee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("residential committee"),
        db_index=False,
    )
    street = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("street office"), db_index=False
    )

    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    first_receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_tickets",
        verbose_name=_("first receiver"),
        help_text=_("首问负责制: who first received the request owns telling the resident the outcome."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_tickets",
        verbose_name=_("owner"),
    )
    partner = models.ForeignKey(
        PartnerSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("partner system"),
        db_index=False,  # Meta: ticket_partner_set
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    visit = models.ForeignKey(
        Visit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("visit"),
        editable=False,
        db_index=False,  # Meta: ticket_visit_set
    )

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, editable=False)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True, editable=False)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True, editable=False)
    answer_by = models.DateTimeField(_("department answer by"), null=True, blank=True, editable=False)
    feedback_due_by = models.DateTimeField(_("feedback window ends"), null=True, blank=True, editable=False)
    respond_overdue = models.BooleanField(_("response overdue"), default=False, editable=False)
    overdue = models.BooleanField(_("overdue at street tier"), default=False, editable=False)
    answer_overdue = models.BooleanField(_("department answer overdue"), default=False, editable=False)
    # The current tier's response (cleared when the ticket moves up) and the first one at
    # any tier, which the response rate counts: the resident was answered.
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # An honest pause (escalation.transitions.pauses): the clock stops while the owner waits on
    # the resident or a third party; on resuming, resolve-by moves by the working time paused
    # (at most ZHITONG_PAUSE_MAX_WORKING_DAYS, when the sweep resumes it by itself).
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True, editable=False)
    pause_reason = models.CharField(
        _("paused because"), max_length=12, choices=PauseReason.choices, blank=True, editable=False
    )
    pause_ends_at = models.DateTimeField(_("pause runs out at"), null=True, blank=True, editable=False)
    paused_seconds = models.PositiveIntegerField(_("working time paused (seconds)"), default=0, editable=False)
    # Warnings before the breach: when a quarter of the clock's working time is left, and when
    # less than one working day is; each sent once by the sweep (the flag), both used by the
    # queue's colours.
    warn_quarter_at = models.DateTimeField(_("a quarter of the time left at"), null=True, blank=True, editable=False)
    warn_day_at = models.DateTimeField(_("one working day left at"), null=True, blank=True, editable=False)
    warned_quarter = models.BooleanField(_("warned: a quarter left"), default=False, editable=False)
    warned_day = models.BooleanField(_("warned: a working day left"), default=False, editable=False)

    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, editable=False)
    outcome_reason = models.TextField(_("outcome reason"), blank=True, editable=False)
    cancel_reason = models.CharField(
        _("cancel reason"), max_length=10, choices=CancelReason.choices, blank=True, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        editable=False,
        db_index=False,  # Meta: ticket_duplicate_of_set
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            # 事有交办，办有着落: an open ticket always has an owner and a unit of its tier.
            models.CheckConstraint(
                condition=~Q(status__in=OPEN_STATUSES) | Q(owner__isnull=False), name="ticket_open_has_owner"
            ),
            models.CheckConstraint(condition=~Q(tier="zone") | Q(zone__isnull=False), name="ticket_zone_tier_has_zone"),
            models.CheckConstraint(
                condition=~Q(tier="committee") | Q(committee__isnull=False),
                name="ticket_committee_tier_has_committee",
            ),
            # 办了满意，未办有因: resolved means an outcome; explained means a reason.
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | ~Q(outcome=""), name="ticket_resolved_has_outcome"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="explained") | ~Q(outcome_reason=""), name="ticket_explained_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(cancel_reason="duplicate") | Q(duplicate_of__isnull=False),
                name="ticket_duplicate_names_original",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_id"], condition=~Q(external_id=""), name="ticket_unique_external_id"
            ),
            *point_constraints("ticket"),
        ]
        indexes = [
            # The sweep's claims (DESIGN.md rule 2): each a partial index over just the rows
            # that can become due, so a sweep with nothing due is a handful of index probes.
            models.Index(
                fields=["resolve_by"],
                name="ticket_due_escalation",
                condition=Q(status__in=ESCALATING_STATUSES, tier__in=["zone", "committee"]),
            ),
            models.Index(
                fields=["resolve_by"],
                name="ticket_due_street_overdue",
                condition=Q(status__in=OPEN_STATUSES, tier="street", overdue=False),
            ),
            models.Index(
                fields=["respond_by"], name="ticket_due_response", condition=Q(status="new", respond_overdue=False)
            ),
            models.Index(
                fields=["answer_by"], name="ticket_due_answer", condition=Q(status="referred", answer_overdue=False)
            ),
            models.Index(fields=["feedback_due_by"], name="ticket_due_close", condition=Q(status="resolved")),
            models.Index(
                fields=["warn_quarter_at"],
                name="ticket_due_warn_quarter",
                condition=Q(status__in=ESCALATING_STATUSES, warned_quarter=False),
            ),
            models.Index(
                fields=["warn_day_at"],
                name="ticket_due_warn_day",
                condition=Q(status__in=ESCALATING_STATUSES, warned_day=False),
            ),
            models.Index(fields=["pause_ends_at"], name="ticket_due_pause_cap", condition=Q(paused_at__isnull=False)),
            models.Index(
                fields=["service_item", "created_at"], name="ticket_service_item", condition=Q(kind="service")
            ),
            models.Index(fields=["street", "status", "tier"], name="ticket_street_status"),
            # The screens' lists of open tickets, soonest deadline first, by the unit they are
            # scoped to or the person they are owned by or were first received by: a page reads
            # its fifty rows and a capped count its 1,001 (core.pages), not a street's history.
            *(
                models.Index(
                    fields=[field, "resolve_by", "id"],
                    name=f"ticket_open_{field}_due",
                    condition=Q(status__in=OPEN_STATUSES),
                )
                for field in ("street", "committee", "zone", "owner", "first_receiver")
            ),
            # The queue filtered by a committee and a category (the committee index alone made
            # PostgreSQL read every open ticket of the committee, then drop other categories).
            models.Index(
                fields=["committee", "category", "resolve_by", "id"],
                name="ticket_open_cmte_cat_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The queue's overdue and due-soon counts: each arm of their OR read from an index
            # (the deadline's by unit above; these for the flag and the first warning by unit),
            # so a count reads the tickets near or past their deadline, not every open one. A
            # warning index without the unit made PostgreSQL read the unit's open tickets
            # instead, when it guessed many warned across the city (30,000 rows for none).
            models.Index(
                fields=["street", "committee", "zone"],
                name="ticket_open_overdue",
                condition=Q(status__in=OPEN_STATUSES, overdue=True),
            ),
            *(
                models.Index(
                    F(field),
                    first_warning(),
                    name=f"ticket_open_{field}_warn",
                    condition=WARNING_RUNS,
                )
                for field in ("street", "committee", "zone")
            ),
            # Open tickets whose clock began before the warnings were kept (the sweep gives
            # them their moments; a referred one keeps none): due soon by the old rule.
            models.Index(
                fields=["resolve_by"],
                name="ticket_open_no_warning",
                condition=Q(status__in=OPEN_STATUSES, warn_day_at__isnull=True),
            ),
            # My tickets' resolved ones, whose resident I still owe a call (few at any time).
            *(
                models.Index(
                    fields=[field, "resolve_by", "id"], name=f"ticket_resolved_{field}", condition=Q(status="resolved")
                )
                for field in ("owner", "first_receiver")
            ),
            # The queue's search among open tickets (reference, words, address typed with or
            # without spaces, the reporter's name and phone): one trigram index per arm of the
            # search's OR, so PostgreSQL combines them instead of reading every open ticket.
            *(
                GinIndex(trigram(expression), name=f"ticket_open_trgm_{name}", condition=Q(status__in=OPEN_STATUSES))
                for name, expression in (
                    ("ref", Upper("reference")),
                    ("text", Upper("description")),
                    ("addr", Upper("address")),
                    ("addr_sq", Upper(squeezed_address())),
                    ("name", Upper("reporter_name")),
                    ("phone", F("reporter_phone")),
                )
            ),
            models.Index(fields=["committee", "status"], name="ticket_committee_status"),
            models.Index(fields=["zone", "status"], name="ticket_zone_status"),
            # The duplicate suggestions' candidates (grievances.duplicates.candidate_queries):
            # the newest open tickets of a zone, or a street, and category.
            models.Index(
                fields=["zone", "category", "created_at"],
                name="ticket_open_zone_category",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["street", "category", "created_at"],
                name="ticket_open_street_category",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # ... and those of a building's households (the plain household index made PostgreSQL
            # combine it with any index of the open ones and read the households' every ticket).
            models.Index(
                fields=["household", "created_at"],
                name="ticket_open_household",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # A household's tickets newest first (its page), and the foreign key's own checks.
            models.Index(fields=["household", "created_at"], name="ticket_household_created"),
            # Foreign keys that most tickets leave empty: only the tickets that name one are
            # indexed (`x = id`, a lookup or the key's own check, implies `x IS NOT NULL`), so a
            # ticket without one writes no entry there (migration 0031).
            *(
                models.Index(fields=[field], name=f"ticket_{field}_set", condition=Q(**{f"{field}__isnull": False}))
                for field in ("service_item", "partner", "visit", "duplicate_of")
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def responsible_unit(self):
        """The org unit answering for the ticket now: the one of its tier."""
        return {Tier.ZONE: self.zone, Tier.COMMITTEE: self.committee, Tier.STREET: self.street}[self.tier]

    @property
    def masked_reporter_phone(self) -> str:
        return mask_phone(self.reporter_phone)

    @property
    def masked_reporter_name(self) -> str:
        return mask_name(self.reporter_name)

    @property
    def paused_hours(self) -> str:
        """The working time its clock has been paused, in hours (one decimal)."""
        return f"{self.paused_seconds / 3600:.1f}"


# The statuses are written into the statements that compare them (core.plans): a generic plan
# can then use the partial indexes of open tickets, whose condition names them.
literal_values(Ticket._meta.get_field("status"), Status.values)


class TicketSequence(models.Model):
    """The last reference number issued per street and year (WLQ-2026-000123)."""

    street = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "year"], name="ticket_sequence_unique")]

    def __str__(self):
        return f"{self.street_id}/{self.year}: {self.last_value}"


class TicketEvent(models.Model):
    """One line of a ticket's timeline. Append-only: never updated, never deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        STARTED = "started", _("work started")
        REFERRED = "referred", _("referred to a department")
        DEPARTMENT_REPLIED = "department_replied", _("department replied")
        DEPARTMENT_UPDATE = "department_update", _("department working on it")
        REFERRAL_RETURNED = "referral_returned", _("referral sent back by the department")
        ESCALATED = "escalated", _("escalated")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        CANCELLED = "cancelled", _("cancelled")
        ASSIGNED = "assigned", _("owner assigned")
        RESPOND_OVERDUE = "respond_overdue", _("response overdue")
        OVERDUE = "overdue", _("overdue at street tier")
        ANSWER_OVERDUE = "answer_overdue", _("department answer overdue")
        FEEDBACK = "feedback", _("resident feedback")
        TABLED = "tabled", _("put on a meeting's agenda")
        DEFERRED = "deferred", _("deferred to the next meeting")
        ALSO_REPORTED = "also_reported", _("also reported by another resident or channel")
        PAUSED = "paused", _("clock paused")
        RESUMED = "resumed", _("clock resumed")
        DUE_WARNING = "due_warning", _("deadline warning")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        _("acting system"),
        max_length=100,
        blank=True,
        help_text=_("Who acted when no person did: the sweep, a partner."),
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    from_tier = models.CharField(_("from tier"), max_length=10, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=10, choices=Tier.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "pk"]
        constraints = [
            # Each tier escalates a ticket at most once, however many sweeps race (rule 2).
            models.UniqueConstraint(
                fields=["ticket", "from_tier"], condition=Q(kind="escalated"), name="ticket_escalated_once_per_tier"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket events are append-only.")


# The event kinds by a name the API schema can import (SPECTACULAR_SETTINGS).
EventKind = TicketEvent.Kind


class EventOutbox(models.Model):
    """A ticket event not yet handed to the partner webhooks: the outbox.

    `escalation.transitions.base.append_events`, the one writer of events, inserts a row
    for each event right after the events, in the same transaction, so a row exists
    exactly when its event committed (a rolled-back event leaves neither). `api.webhooks`
    claims the rows, queues a delivery per subscription that wants the event, and deletes
    them, wanted or not: the table holds only what the next fan-out will take. It lives
    here, beside the event, because escalation may write grievances but not import api.
    Not shown anywhere.
    """

    # The event's id is the row's: one row per event, and the table is read in event order.
    event = models.OneToOneField(TicketEvent, on_delete=models.CASCADE, primary_key=True, related_name="+")

    def __str__(self):
        return str(self.event_id)


class Feedback(models.Model):
    """The resident's verdict on a resolved ticket."""

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    class Via(models.TextChoices):
        VISIT = "visit", _("home visit")
        PHONE = "phone", _("phone call")
        PARTNER = "partner", _("partner system")
        IN_PERSON = "in_person", _("in person")
        RESIDENT = "resident", _("by the resident (their page)")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("ticket"))
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(2000)])
    collected_via = models.CharField(_("collected via"), max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("resident feedback")
        verbose_name_plural = _("resident feedback")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.ticket} {self.get_satisfaction_display()}"


class PersonalDataAccess(models.Model):
    """One showing of residents' personal data (DESIGN.md rule 9): who saw or exported which
    households' or tickets' names, phones or care flags, when, and how. Written only by
    `grievances.privacy.record_access`; read-only in the admin. A list or an API page is one
    row naming every record it showed."""

    class How(models.TextChoices):
        PAGE = "page", _("page")
        LIST = "list", _("list")
        API = "api", _("partner API")
        ADMIN = "admin", _("admin site")
        EXPORT = "export", _("export")
        ERASE = "erase", _("erasure")

    class Subject(models.TextChoices):
        HOUSEHOLD = "household", _("household")
        TICKET = "ticket", _("ticket")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    partner = models.ForeignKey(
        PartnerSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system"),
    )
    actor_label = models.CharField(
        _("caller"), max_length=100, blank=True, help_text=_("A partner's key, or the command that was run.")
    )
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    subject = models.CharField(_("record type"), max_length=10, choices=Subject.choices)
    object_ids = models.JSONField(_("record ids"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    path = models.CharField(_("page or endpoint"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"], name="pd_access_user_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.who} {self.get_how_display()}"

    @property
    def who(self) -> str:
        return str(self.user) if self.user_id else self.actor_label


def _photo_path(photo, filename: str) -> str:
    # Per ticket: the same picture on two tickets is two files (each erased with its own).
    return f"photos/{photo.created_at:%Y/%m}/{photo.ticket_id}/{photo.sha256}{filename}"


class Photo(models.Model):
    """A photo on a ticket (taken on a visit, or with a department's answer), stored
    re-encoded without EXIF through the default storage and served only by the views that
    apply the visibility rule. The same picture twice on one ticket is kept once."""

    class Stage(models.TextChoices):
        TICKET = "ticket", _("ticket")
        VISIT = "visit", _("visit")
        ANSWER = "answer", _("department answer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos", verbose_name=_("ticket"))
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos", verbose_name=_("visit")
    )
    stage = models.CharField(_("taken for"), max_length=10, choices=Stage.choices, default=Stage.TICKET)
    # The referral a department's answer photo belongs to (escalation.Referral sits above
    # this app, so it is kept by id).
    referral_id = models.PositiveBigIntegerField(_("referral"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_via = models.ForeignKey(
        PartnerSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    image = models.FileField(_("photo"), upload_to=_photo_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_photo_path, max_length=200)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "sha256"], name="photo_once_per_ticket")]

    def __str__(self):
        return f"{self.ticket} #{self.pk}"


class TicketReporter(models.Model):
    """也反映人 — one more resident, or one more channel, reporting a ticket's problem: a new
    report attached at intake instead of a new ticket, or the reporters of a ticket merged into
    this one. Each hears the outcome as the first reporter does."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="reporters", verbose_name=_("ticket"))
    name = models.CharField(_("reporter name"), max_length=100, blank=True)
    phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("household")
    )
    partner = models.ForeignKey(
        PartnerSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system"),
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="joined", verbose_name=_("visit")
    )
    merged_from = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("also reported by")
        verbose_name_plural = _("also reported by")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["partner", "external_id"], name="reporter_partner_external")]

    def __str__(self):
        return f"{self.ticket} · {self.get_channel_display()}"

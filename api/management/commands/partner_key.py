from django.core.management.base import BaseCommand, CommandError

from api.authentication import KeyCache
from api.models import PartnerKey, Scope
from api.services import partner_key_create, partner_key_revoke
from core.errors import InvalidInput
from responders.models import PartnerSystem, StreetOffice


class Command(BaseCommand):
    help = "Create, list or revoke partner API keys. A new key is printed once; only its hash is stored."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Issue a key.")
        create.add_argument("--name", required=True, help="What the key is for, e.g. 'hotline production'.")
        create.add_argument("--partner", default="", help="Partner system code (created if new; default: --name).")
        create.add_argument("--street", action="append", required=True, help="Street code; repeat for more.")
        create.add_argument("--scopes", required=True, help=f"Comma-separated: {', '.join(Scope.values)}.")
        sub.add_parser("list", help="List keys (prefixes only).")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, verb, **options):
        getattr(self, f"_{verb}")(**options)

    def _create(self, name, partner, street, scopes, **options):
        code = partner or name
        system, _ = PartnerSystem.objects.get_or_create(code=code[:40], defaults={"name": code})
        streets = list(StreetOffice.objects.filter(code__in=street))
        missing = sorted(set(street) - {s.code for s in streets})
        if missing:
            raise CommandError(f"Unknown street code(s): {', '.join(missing)}")
        try:
            key, raw = partner_key_create(
                partner=system, name=name, streets=streets, scopes=[s.strip() for s in scopes.split(",") if s.strip()]
            )
        except InvalidInput as error:
            raise CommandError(error.message) from error
        self.stdout.write(raw)
        self.stderr.write(
            f"Key {key.prefix} for {system} on {', '.join(s.code for s in streets)} "
            f"with {', '.join(key.scopes)}. Store it now: it is not shown again."
        )

    def _list(self, **options):
        for key in PartnerKey.objects.select_related("partner").prefetch_related("streets"):
            state = "revoked" if key.revoked_at else "active"
            streets = ",".join(s.code for s in key.streets.all())
            self.stdout.write(
                f"{key.prefix}\t{state}\t{key.partner.code}\t{key.name}\t{streets}\t{','.join(key.scopes)}"
            )

    def _revoke(self, prefix, **options):
        key = PartnerKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No key with prefix {prefix}")
        if key.revoked_at is not None:
            self.stdout.write(f"{prefix} was already revoked at {key.revoked_at.isoformat(timespec='seconds')}.")
            return
        # Revoking clears the key's cached copies in Redis (api.signals); when Redis does not
        # answer, it waits instead until they have lapsed. Either way the key is refused from
        # the next request on; say which happened.
        with KeyCache.watch() as outcomes:
            partner_key_revoke(key=key)
        self.stdout.write(f"Revoked {prefix}: refused from the next request on.")
        waited = [seconds for outcome, seconds in outcomes if outcome == "waited"]
        if waited:
            self.stdout.write(
                f"Redis did not answer, so its cached copies of the key could not be cleared: "
                f"waited {max(waited):.1f} s for them to lapse."
            )

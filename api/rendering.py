"""Render API objects from `.values()` rows with the serializers' own fields.

A ModelSerializer builds its fields anew for every response and walks model instances
attribute by attribute; for a page of 50 tickets that is most of the request. A
RowRenderer is built once per serializer (and context) from that serializer's bound fields,
so there is still one definition of each field's shape: every value goes through the same
field's `to_representation` (or is passed through where, for the column's type, that is
the identity), under the same name and in the same order. Only the reading differs: a dict
lookup by the field's source path instead of attribute traversal.

What it reads:
- a plain field: its source path as a column (`category.code` → `category__code`), through
  non-null foreign keys only;
- a PrimaryKeyRelatedField: the foreign key's column, which is the id it renders;
- a SerializerMethodField: its method, called with a view of the row that has the columns
  the method declares with `@reads` (a foreign key named there is the related object, and
  `<name>_id` its id; a model property is computed on the view). Reading anything else
  raises AttributeError. The related objects of a whole page, nested rows included, are
  loaded with one query per model;
- a nested `many=True` serializer over a reverse foreign key: one query for all rows, in
  the related model's default order, rendered by its own RowRenderer.
Anything else is refused when the renderer is built, never rendered differently.

A field with a `representer()` (serializers.DateTimeField) gives a function for the whole
render, so what it looks up per request (the time zone) it looks up once.

Personal data (DESIGN.md rule 9): a renderer whose context has `pii` shows reporters' phone
numbers in full, so each render logs, in one row, the tickets whose phone it showed and the
reader that `api.access.can_see_pii` named for the request (`reading_as`).
"""

import datetime as dt
import uuid
from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from operator import attrgetter

import orjson
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connection, models
from django.db.models.expressions import RawSQL
from rest_framework import relations, serializers

from core import refdata
from grievances import privacy
from grievances.models import Ticket

# DRF fields whose to_representation returns the value unchanged for values of the given
# database field types (str(str), int(int), a str choice that is among the choices...).
_IDENTITY = {
    serializers.CharField.to_representation: (models.CharField, models.TextField),
    serializers.ChoiceField.to_representation: (models.CharField,),
    serializers.IntegerField.to_representation: (models.IntegerField,),
    serializers.BooleanField.to_representation: (models.BooleanField,),
}

# What a step does with its row: pass a column through, call a function on it (None stays
# None, as in DRF), call a method field with a view of the row, render nested rows.
VALUE, CALL, METHOD, MANY = range(4)


# What `pii` reveals in full, per model: the columns logged when a render shows them.
PII_COLUMNS = {Ticket: privacy.REPORTER_FIELDS}
# The columns whose values make a row count as shown in full (the reporter's name or phone).
PII_REVEALED_BY = {Ticket: ("reporter_name", "reporter_phone")}


@dataclass(frozen=True)
class Reader:
    """Who a request's renders show personal data to: a staff member, or a partner's key."""

    user: object = None
    partner_id: int | None = None
    label: str = ""
    path: str = ""


# Set by api.access.can_see_pii, which every view asks before it builds a renderer with `pii`.
_reader: ContextVar[Reader | None] = ContextVar("zhitong_pii_reader", default=None)


def reading_as(reader: Reader | None) -> None:
    """Name who the next renders with `pii` show personal data to (None: nobody in full)."""
    _reader.set(reader)


def reads(*names):
    """Declare the model attributes a SerializerMethodField's method reads, so that a
    RowRenderer can select them: `@reads("reporter_name", "reporter_phone")`."""

    def mark(method):
        method.reads = names
        return method

    return mark


def row_renderer(serializer_class, **context) -> "RowRenderer":
    """The renderer of `serializer_class` under `context` (built once per process)."""
    return _renderer(serializer_class, tuple(sorted(context.items())))


@cache
def _renderer(serializer_class, context: tuple) -> "RowRenderer":
    return RowRenderer(serializer_class(context=dict(context)))


class RowRenderer:
    def __init__(self, serializer: serializers.ModelSerializer):
        self.model = model = serializer.Meta.model
        self.name = type(serializer).__name__
        self.pk = model._meta.pk.attname
        # The column that, non-empty in a row, means the render showed personal data in full.
        self.revealing = PII_REVEALED_BY.get(model) if serializer.context.get("pii") else None
        self.steps = []  # (kind, name, column or nested renderer, function or field)
        self.readers = []  # for model instances: how each step reads its value
        self.relations = {}  # a method's related object: attribute -> (column, model)
        self.view_columns = {}  # what a method may read: attribute -> column
        self.view_properties = {}  # a model property a method reads: attribute -> getter
        self.nested = {}  # field name -> (renderer, its foreign key's name, manager)
        self._converter = None  # json_converter's, built when first asked for
        columns = {}  # what .values() must select, in order
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if isinstance(field, serializers.ListSerializer):
                self.nested[name] = self._nested(field)
                self.steps.append((MANY, name, self.nested[name][0], None))
                self.readers.append(attrgetter(field.source))
            elif isinstance(field, serializers.BaseSerializer):
                raise self._refuse(name, "a nested serializer that is not many=True")
            elif isinstance(field, serializers.SerializerMethodField):
                columns.update(dict.fromkeys(self._declared_reads(serializer, field)))
                self.steps.append((METHOD, name, None, field.to_representation))
                self.readers.append(None)
            elif isinstance(field, relations.RelatedField):
                if not isinstance(field, relations.PrimaryKeyRelatedField) or field.pk_field is not None:
                    raise self._refuse(name, "a related field other than a plain PrimaryKeyRelatedField")
                column = self._column(name, field.source_attrs, relation=True)
                columns[column] = None
                self.steps.append((VALUE, name, column, None))
                # What DRF reads too (serializable_value): the foreign key's id, not the object.
                attname = self._model_field(name, field.source_attrs).attname
                self.readers.append(attrgetter(".".join([*field.source_attrs[:-1], attname])))
            else:
                column = self._column(name, field.source_attrs)
                columns[column] = None
                self.readers.append(attrgetter(".".join(field.source_attrs)))
                model_field = self._model_field(name, field.source_attrs)
                if isinstance(model_field, _IDENTITY.get(type(field).to_representation, ())):
                    self.steps.append((VALUE, name, column, None))
                elif hasattr(field, "representer"):
                    self.steps.append((CALL, name, column, field))
                else:
                    self.steps.append((CALL, name, column, field.to_representation))
        columns[self.pk] = None
        if self.revealing is not None:
            self.revealing = tuple(column for column in self.revealing if column in columns) or None
        self.columns = list(columns)

    # --- building ---------------------------------------------------------------------

    def _refuse(self, name, what) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{self.name}.{name} is {what}: a RowRenderer cannot read it from .values().")

    def _model_field(self, name, source_attrs):
        model, field = self.model, None
        for index, attr in enumerate(source_attrs):
            try:
                field = model._meta.get_field(attr)
            except FieldDoesNotExist as error:
                raise self._refuse(name, f"read through {attr!r}, which is not a model field") from error
            if index < len(source_attrs) - 1:
                if not (field.many_to_one or field.one_to_one) or field.null or not field.concrete:
                    raise self._refuse(name, f"read through {attr!r}, which is not a non-null foreign key")
                model = field.related_model
        return field

    def _column(self, name, source_attrs, relation=False) -> str:
        field = self._model_field(name, source_attrs)
        if not field.concrete or field.many_to_many or (field.is_relation and not relation):
            raise self._refuse(name, f"a {type(field).__name__}, not a column")
        return "__".join(source_attrs)

    def _declared_reads(self, serializer, field) -> list[str]:
        method = getattr(serializer, field.method_name)
        names = getattr(method, "reads", None)
        if names is None:
            raise self._refuse(field.field_name, f"a method field whose {field.method_name} does not declare @reads")
        columns = []
        for attr in names:
            prop = getattr(self.model, attr, None)
            if isinstance(prop, property):
                self.view_properties[attr] = prop.fget
                continue
            model_field = self._model_field(field.field_name, [attr])
            if model_field.many_to_one or model_field.one_to_one:
                self.relations[attr] = (attr, model_field.related_model)
                self.view_columns[model_field.attname] = attr
            elif model_field.concrete and not model_field.is_relation:
                self.view_columns[attr] = attr
            else:
                raise self._refuse(field.field_name, f"reading {attr!r}, which is not a column")
            columns.append(attr)
        return columns

    def _nested(self, field: serializers.ListSerializer) -> tuple:
        try:
            relation = self.model._meta.get_field(field.source)
        except FieldDoesNotExist as error:
            raise self._refuse(field.field_name, "many=True over something that is not a relation") from error
        if not relation.one_to_many or relation.concrete:
            raise self._refuse(field.field_name, "many=True over something other than a reverse foreign key")
        child = RowRenderer(field.child)
        if child.model is not relation.related_model:
            raise self._refuse(field.field_name, f"rendered by a serializer of {child.model.__name__}")
        return child, relation.field.name, relation.related_model._default_manager

    # --- selecting ---------------------------------------------------------------------

    def select(self, queryset: models.QuerySet) -> models.QuerySet:
        """`queryset.values()` with every column the render needs, and each nested list (a
        reverse foreign key) as one JSON column of the same rows: one query instead of one
        per list. A nested serializer that reads through a join is still read by its own
        query."""
        inline = {}
        for name, (child, link, _manager) in self.nested.items():
            sql = child.json_subquery(link, self.model)
            if sql is not None:
                inline[_INLINE + name] = RawSQL(sql, [])
        if not inline:
            return queryset.values(*self.columns)
        return queryset.annotate(**inline).values(*self.columns, *inline)

    def _json_columns(self) -> list[tuple[str, models.Field]] | None:
        """(name in .values(), model field) for every column, if all are this model's own."""
        pairs = []
        for column in self.columns:
            if "__" in column:
                return None
            field = self.model._meta.get_field(column)
            if not field.concrete or isinstance(field, (models.DecimalField, models.BinaryField)):
                return None
            pairs.append((column, field))
        return pairs

    def json_subquery(self, link: str, parent) -> str | None:
        """SQL for one JSON array of this model's rows that belong to the outer row of
        `parent` (by the foreign key `link`), in the model's order; None if the columns cannot
        all travel as JSON (a join, a decimal)."""
        pairs = self._json_columns()
        if pairs is None:
            return None
        quote = connection.ops.quote_name
        opts = self.model._meta
        fields = ", ".join(f"'{name}', c.{quote(field.column)}" for name, field in pairs)
        order = []
        for part in _ordering(self.model):
            name = part.lstrip("-")
            column = opts.pk.column if name == "pk" else opts.get_field(name).column
            order.append(f"c.{quote(column)}" + (" DESC" if part.startswith("-") else ""))
        fk = opts.get_field(link).column
        outer = f"{quote(parent._meta.db_table)}.{quote(parent._meta.pk.column)}"
        return (
            f"(SELECT coalesce(json_agg(json_build_object({fields}) ORDER BY {', '.join(order)}), '[]')::text "
            f"FROM {quote(opts.db_table)} c WHERE c.{quote(fk)} = {outer})"
        )

    def json_converter(self):
        """A function from one JSON object of `json_subquery` to the dict .values() gives."""
        if self._converter is None:
            converters = []
            for name, field in self._json_columns():
                internal = field.get_internal_type()
                if internal == "DateTimeField":
                    converters.append((name, dt.datetime.fromisoformat))
                elif internal == "DateField":
                    converters.append((name, dt.date.fromisoformat))
                elif internal == "UUIDField":
                    converters.append((name, uuid.UUID))

            def convert(item: dict) -> dict:
                for name, function in converters:
                    value = item[name]
                    if value is not None:
                        item[name] = function(value)
                return item

            self._converter = convert
        return self._converter

    # --- rendering --------------------------------------------------------------------

    def render(self, rows) -> list[dict]:
        """The representations of `rows` (dicts from `.values(*self.columns)`), in order."""
        page = Page()
        rows = list(rows)
        self._load(rows, page)
        for model, ids in page.wanted.items():
            page.objects[model] = _in_bulk(model, ids)
        rendered = self._render(rows, page)
        if self.revealing is not None:
            self._log_shown([row[self.pk] for row in rows if any(row[column] for column in self.revealing)])
        return rendered

    def render_objects(self, objects) -> list[dict]:
        """The representations of model instances at hand (a ticket just saved), read from
        their attributes as the serializer would, without reading them again."""
        objects = list(objects)
        rendered = self._render_objects(objects, Page())
        if self.revealing is not None:
            self._log_shown([obj.pk for obj in objects if any(getattr(obj, column) for column in self.revealing)])
        return rendered

    def _log_shown(self, ids) -> None:
        """One access-log row for the rows whose personal data this render showed in full."""
        if not ids:
            return
        reader = _reader.get() or Reader(label="api")
        privacy.record_access(
            how=privacy.How.API,
            subject=self.model._meta.model_name,
            ids=ids,
            fields=PII_COLUMNS[self.model],
            user=reader.user,
            partner_id=reader.partner_id,
            actor_label=reader.label,
            path=reader.path,
        )

    def _render_objects(self, objects, page: "Page") -> list[dict]:
        steps = page.steps(self)
        rendered = []
        for obj in objects:
            out = {}
            for (kind, name, column, function), read in zip(steps, self.readers, strict=True):
                if kind == VALUE:
                    out[name] = read(obj)
                elif kind == CALL:
                    value = read(obj)
                    out[name] = None if value is None else function(value)
                elif kind == METHOD:
                    out[name] = function(obj)
                else:
                    out[name] = column._render_objects(list(read(obj).all()), page)
            rendered.append(out)
        return rendered

    def _load(self, rows, page: "Page") -> None:
        """The nested rows of `rows`, grouped by their parent's pk, and the ids of the related
        objects the method fields read."""
        for column, model in self.relations.values():
            page.wanted[model].update(row[column] for row in rows if row[column] is not None)
        for name, (child, link, manager) in self.nested.items():
            found = []
            grouped = page.children[self, name] = defaultdict(list)
            inline = _INLINE + name
            if rows and inline in rows[0]:
                # Selected with the rows themselves (`select`): JSON, turned back into what
                # .values() gives.
                convert = child.json_converter()
                for row in rows:
                    children = [convert(item) for item in orjson.loads(row[inline])]
                    grouped[row[self.pk]] = children
                    found += children
            elif rows:
                parents = [row[self.pk] for row in rows]
                found = list(
                    manager.filter(**{f"{link}__in": parents})
                    .order_by(*_ordering(child.model))
                    .values(*dict.fromkeys([*child.columns, link]))
                )
                for row in found:
                    grouped[row[link]].append(row)
            child._load(found, page)

    def _render(self, rows, page: "Page") -> list[dict]:
        steps = page.steps(self)
        rendered = []
        for row in rows:
            out = {}
            for kind, name, column, function in steps:
                if kind == VALUE:
                    out[name] = row[column]
                elif kind == CALL:
                    value = row[column]
                    out[name] = None if value is None else function(value)
                elif kind == METHOD:
                    out[name] = function(RowView(self, row, page.objects))
                else:
                    out[name] = column._render(page.children[self, name].get(row[self.pk], ()), page)
            rendered.append(out)
        return rendered


# The prefix of a nested list's JSON column in a row of `RowRenderer.select`.
_INLINE = "_rows_"


def _ordering(model) -> list[str]:
    """The model's default order, ending with its key (rows that tie come out the same way
    every time, whichever way they are read)."""
    ordering = list(model._meta.ordering)
    if not {"pk", "-pk", model._meta.pk.name, f"-{model._meta.pk.name}"} & set(ordering):
        ordering.append("pk")
    return ordering


def _in_bulk(model, ids) -> dict:
    """The objects of `model` by id; staff and service items (reference data, core.refdata)
    kept between an API process's requests while their tables stay as they are."""
    if model._meta.label not in refdata.WATCHED:
        return model._default_manager.in_bulk(ids)
    return refdata.cached_many(("row", model._meta.label), sorted(ids), model._default_manager.in_bulk)


class Page:
    """What one render collects: nested rows, related objects, the per-render functions."""

    def __init__(self):
        self.children = {}
        self.wanted = defaultdict(set)
        self.objects = {}
        self._steps = {}

    def steps(self, renderer: RowRenderer) -> list:
        steps = self._steps.get(renderer)
        if steps is None:
            steps = self._steps[renderer] = [
                (
                    kind,
                    name,
                    column,
                    function.representer() if kind == CALL and hasattr(function, "representer") else function,
                )
                for kind, name, column, function in renderer.steps
            ]
        return steps


class RowView:
    """A row seen as the model instance a SerializerMethodField's method expects, limited to
    what the method declared with @reads."""

    __slots__ = ("_renderer", "_row", "_objects")

    def __init__(self, renderer: RowRenderer, row: dict, objects: dict):
        self._renderer, self._row, self._objects = renderer, row, objects

    def __getattr__(self, name):
        renderer = self._renderer
        column = renderer.view_columns.get(name)
        if column is not None:
            return self._row[column]
        relation = renderer.relations.get(name)
        if relation is not None:
            column, model = relation
            pk = self._row[column]
            return None if pk is None else self._objects[model][pk]
        getter = renderer.view_properties.get(name)
        if getter is not None:
            return getter(self)
        raise AttributeError(
            f"{renderer.name} reads {renderer.model.__name__}.{name} in a method field without declaring it with @reads"
        )

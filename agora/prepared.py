"""Queries the ORM compiles once per process, then runs again with other values.

Django builds and compiles a queryset's SQL every time it is evaluated.  For a lookup by key that is
most of the cost: a bearer token with its user takes about 1 ms to build and compile and 0.1 ms to
run.  The posting path asks the same few questions on every request, so each is a `Prepared` query:
the ORM builds it once per database, with marker values where the arguments go; afterwards a call
binds the arguments in those places, runs the SQL and turns the rows into model instances with the
ORM's own converters and select_related populators, exactly as the queryset would.

`PreparedUpdate` does the same for `queryset.update(**changes)`.  Arguments are ints, strings or aware
datetimes (their database form is found the way the ORM finds it); each must appear in the query
exactly once.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import UpdateQuery


def _markers(kinds: Sequence[type]) -> list[Any]:
    """A value per argument that no real query uses, of the argument's type."""
    made: list[Any] = []
    for position, kind in enumerate(kinds):
        if kind is int:
            made.append(-987_654_000 - position)
        elif kind is str:
            made.append(f"\x00prepared-argument-{position}")
        elif kind is datetime:
            made.append(datetime(1901, 2, 3, 4, 5, 6, 7 + position, tzinfo=UTC))
        else:
            raise TypeError(f"a prepared query takes ints, strings and datetimes, not {kind.__name__}")
    return made


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # for each argument, its place in params
    compiler: Any  # the SQLCompiler that compiled it: its select list and converters
    values: bool  # a values_list() query: rows are tuples
    names: tuple[str, ...] = ()  # otherwise: the model's fields in each row, by attname
    populators: tuple[Any, ...] = ()  # and a populator for each select_related object


class Prepared:
    """`build(*arguments)` returns the queryset (of model instances, or a values_list); `kinds` are
    the arguments' types."""

    def __init__(self, build: Callable[..., QuerySet], *kinds: type) -> None:
        self._build, self._kinds = build, kinds
        self._compiled: dict[str, _Compiled] = {}

    def all(self, *arguments: Any, using: str = "default") -> list:
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, arguments, strict=True):
            params[slot] = _database_value(connection, value)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.values:
            return [tuple(row) for row in compiled.compiler.results_iter([rows])] if rows else []
        return _instances(compiled, rows, using)

    def first(self, *arguments: Any, using: str = "default") -> Any:
        found = self.all(*arguments, using=using)
        return found[0] if found else None

    def _compile(self, using: str) -> _Compiled:
        markers = _markers(self._kinds)
        query = self._build(*markers).query
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        values = bool(query.values_select)
        if not values and compiler.annotation_col_map:
            raise ValueError(
                "a prepared query returns model fields (or values_list columns), not annotations"
            )
        slots = _slots(connections[using], markers, params)
        layout = _row_layout(compiler, values, using)
        compiled = _Compiled(sql, tuple(params), slots, compiler, values, *layout)
        self._compiled[using] = compiled
        return compiled


class PreparedUpdate:
    """`build(*arguments)` returns (queryset, changes), as for `queryset.update(**changes)`; `run` returns
    the number of rows updated.  Like queryset.update(), it sends no signals."""

    def __init__(self, build: Callable[..., tuple[QuerySet, dict[str, Any]]], *kinds: type) -> None:
        self._build, self._kinds = build, kinds
        self._compiled: dict[str, tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}

    def run(self, *arguments: Any, using: str = "default") -> int:
        sql, compiled_params, slots = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = list(compiled_params)
        for slot, value in zip(slots, arguments, strict=True):
            params[slot] = _database_value(connection, value)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _compile(self, using: str) -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
        markers = _markers(self._kinds)
        queryset, changes = self._build(*markers)
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        query.add_update_values(changes)
        if query.get_related_updates():
            raise ValueError("a prepared update changes the queryset's own model only")
        sql, params = query.get_compiler(using=using).as_sql()
        compiled = (sql, tuple(params), _slots(connections[using], markers, params))
        self._compiled[using] = compiled
        return compiled


def _slots(connection, markers: list[Any], params: Sequence[Any]) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """Where each argument's marker sits among the compiled query's parameters."""
    slots = []
    for marker in (_database_value(connection, marker) for marker in markers):
        places = [i for i, param in enumerate(params) if param == marker]
        if len(places) != 1:
            raise ValueError(f"a prepared query must use each argument once: {marker!r} is in {params}")
        slots.append(places[0])
    return tuple(slots)


def _database_value(connection, value: Any) -> Any:  # type: ignore[no-untyped-def]
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _row_layout(compiler, values: bool, using: str) -> tuple[tuple[str, ...], tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    """Which columns hold the model's fields, and the select_related populators (as ModelIterable
    finds them on every query; here once)."""
    if values:
        return (), ()
    select, klass_info = compiler.select, compiler.klass_info
    first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = tuple(column[0].target.attname for column in select[first:last])
    populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]  # stubs of a later Django
    return names, tuple(populators)


def _instances(compiled: _Compiled, rows: list[tuple], using: str) -> list:
    """The rows as django.db.models.query.ModelIterable makes them: the model's fields, then each
    select_related object."""
    if not rows:
        return []
    klass_info = compiled.compiler.klass_info
    model, first = klass_info["model"], klass_info["select_fields"][0]
    found = []
    for row in compiled.compiler.results_iter([rows]):
        instance = model.from_db(using, compiled.names, row[first : first + len(compiled.names)])
        for populator in compiled.populators:
            populator.populate(row, instance)
        found.append(instance)
    return found

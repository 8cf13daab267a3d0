"""Helpers shared by the repository modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.db.models import Base

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list (pages count from 0)."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total


def paginate(session: Session, query: Select[Any], *, page: int, page_size: int) -> Page[Any]:
    if page < 0:
        raise ValueError(f"page must be 0 or more, not {page}")
    if not 1 <= page_size <= 100:
        raise ValueError(f"page_size must be from 1 to 100, not {page_size}")
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    # A page past the end is the last one: a command may ask for page 2^63, whose offset no column holds.
    page = min(page, max(0, -(-total // page_size) - 1))
    items = list(session.scalars(query.limit(page_size).offset(page * page_size)))
    return Page(items=items, total=total, page=page, page_size=page_size)


def insert_ignoring_conflict(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict_columns: Sequence[str]
) -> bool:
    """INSERT a row unless one with the same `conflict_columns` exists (race-safe); True if inserted."""
    insert = _dialect_insert(session)
    table = model.__table__
    stmt = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*table.primary_key.columns)
    )
    # RETURNING, not rowcount: the ORM does not report rowcount for INSERTs reliably.
    return session.execute(stmt).first() is not None


def upsert(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
    update_columns: Iterable[str],
) -> None:
    """INSERT a row, or UPDATE `update_columns` of the existing one, in one statement."""
    insert = _dialect_insert(session)
    stmt = insert(model.__table__).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict_columns), set_={c: stmt.excluded[c] for c in update_columns}
    )
    session.execute(stmt)


def _dialect_insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"database {name!r} is not supported (use SQLite or PostgreSQL)")
    return insert

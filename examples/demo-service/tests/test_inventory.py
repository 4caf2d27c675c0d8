from __future__ import annotations

from decimal import Decimal

import pytest

from demo_service.db import make_engine, make_sessionmaker, session_scope
from demo_service.inventory import InventoryError, adjust_stock
from demo_service.models import Base, Category, Product


def test_stock_never_goes_negative() -> None:
    product = Product(sku="X", name="X", price=Decimal("1.00"), stock=2, category_id=1)
    assert adjust_stock(product, 3).stock == 5
    with pytest.raises(InventoryError):
        adjust_stock(product, -6)


def test_session_scope_commits_and_rolls_back() -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    for session in session_scope(factory):
        session.add(Category(id=7, slug="s", name="S"))
    with pytest.raises(RuntimeError):
        for session in session_scope(factory):
            session.add(Category(id=8, slug="t", name="T"))
            raise RuntimeError("boom")
    with factory() as session:
        assert [c.id for c in session.query(Category)] == [7]

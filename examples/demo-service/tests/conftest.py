from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from demo_service.app import create_app
from demo_service.models import Base, Category


@pytest.fixture()
def factory() -> Iterator[sessionmaker[Session]]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Base.metadata.create_all(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session:
        session.add(Category(id=1, slug="tools", name="Tools"))
        session.commit()
    yield sessions
    engine.dispose()


@pytest.fixture()
def client(factory: sessionmaker[Session]) -> TestClient:
    return TestClient(create_app(factory))

"""The HTTP API."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy.orm import Session, sessionmaker

from demo_service import inventory
from demo_service.db import make_engine, make_sessionmaker, session_scope
from demo_service.schemas import ProductIn, ProductOut, StockChange


def create_app(factory: sessionmaker[Session] | None = None) -> FastAPI:
    """Build the application; tests pass their own session factory."""
    sessions = factory or make_sessionmaker(make_engine())
    app = FastAPI(title="Demo inventory service", version="0.1.0")

    def get_session() -> Iterator[Session]:
        yield from session_scope(sessions)

    SessionDep = Annotated[Session, Depends(get_session)]

    @app.get("/products", operation_id="listProducts")
    def list_products(session: SessionDep) -> list[ProductOut]:
        return [ProductOut.model_validate(p) for p in inventory.list_products(session)]

    @app.post("/products", status_code=201, operation_id="createProduct")
    def create_product(data: ProductIn, session: SessionDep) -> ProductOut:
        try:
            product = inventory.create_product(session, data)
        except inventory.InventoryError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        return ProductOut.model_validate(product)

    @app.get("/products/{product_id}", operation_id="getProduct")
    def get_product(product_id: int, session: SessionDep) -> ProductOut:
        product = inventory.get_product(session, product_id)
        if product is None:
            raise HTTPException(status_code=404, detail="product not found")
        return ProductOut.model_validate(product)

    @app.post("/products/{product_id}/stock", operation_id="adjustStock")
    def adjust_stock(product_id: int, change: StockChange, session: SessionDep) -> ProductOut:
        product = inventory.get_product(session, product_id)
        if product is None:
            raise HTTPException(status_code=404, detail="product not found")
        try:
            inventory.adjust_stock(product, change.delta)
        except inventory.InventoryError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        return ProductOut.model_validate(product)

    return app

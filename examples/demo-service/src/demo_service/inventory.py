"""Business rules for products and stock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo_service.models import Product
from demo_service.schemas import ProductIn


class InventoryError(Exception):
    """A request that breaks a business rule."""


def list_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).order_by(Product.sku)))


def get_product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def create_product(session: Session, data: ProductIn) -> Product:
    if session.scalar(select(Product).where(Product.sku == data.sku)) is not None:
        raise InventoryError(f"a product with SKU {data.sku} exists already")
    product = Product(**data.model_dump())
    session.add(product)
    session.flush()
    return product


def adjust_stock(product: Product, delta: int) -> Product:
    """Add ``delta`` (negative to remove) to the stock; stock never goes below zero."""
    if product.stock + delta < 0:
        raise InventoryError(f"only {product.stock} of {product.sku} in stock")
    product.stock += delta
    return product

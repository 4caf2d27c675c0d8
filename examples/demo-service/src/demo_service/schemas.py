"""Request and response bodies."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ProductIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    stock: int = Field(default=0, ge=0)
    category_id: int


class ProductOut(ProductIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class StockChange(BaseModel):
    delta: int

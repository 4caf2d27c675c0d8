from __future__ import annotations

from fastapi.testclient import TestClient

HAMMER = {"sku": "HAM-1", "name": "Hammer", "price": "12.50", "stock": 3, "category_id": 1}


def test_create_and_get_product(client: TestClient) -> None:
    created = client.post("/products", json=HAMMER)
    assert created.status_code == 201
    product_id = created.json()["id"]
    fetched = client.get(f"/products/{product_id}")
    assert fetched.status_code == 200
    assert fetched.json()["name"] == "Hammer"
    assert client.get("/products").json()[0]["sku"] == "HAM-1"


def test_duplicate_sku_is_a_conflict(client: TestClient) -> None:
    assert client.post("/products", json=HAMMER).status_code == 201
    again = client.post("/products", json=HAMMER)
    assert again.status_code == 409
    assert "exists already" in again.json()["detail"]


def test_unknown_product_is_404(client: TestClient) -> None:
    assert client.get("/products/999").status_code == 404
    assert client.post("/products/999/stock", json={"delta": 1}).status_code == 404


def test_stock_adjustment(client: TestClient) -> None:
    product_id = client.post("/products", json=HAMMER).json()["id"]
    moved = client.post(f"/products/{product_id}/stock", json={"delta": -2})
    assert moved.json()["stock"] == 1
    refused = client.post(f"/products/{product_id}/stock", json={"delta": -5})
    assert refused.status_code == 409
    assert "only 1" in refused.json()["detail"]

"""An online store's order database: customers, products with stock, orders and their life cycle."""

from __future__ import annotations

import random
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from xlam.envs.base import Environment, ToolError, tool
from xlam.envs.data import DOMAINS, FIRST_NAMES, LAST_NAMES, PRODUCTS, ZIPS

OrderStatus = Literal["pending", "shipped", "delivered", "cancelled", "returned"]


class Customer(BaseModel):
    name: str
    email: str
    zip: str


class Product(BaseModel):
    name: str
    price: float
    stock: int


class OrderItem(BaseModel):
    sku: str
    quantity: int
    price: float


class Order(BaseModel):
    customer_id: str
    items: list[OrderItem]
    status: OrderStatus
    zip: str
    total: float
    cancel_reason: str | None = None


class RetailState(BaseModel):
    customers: dict[str, Customer] = Field(default_factory=dict)
    products: dict[str, Product] = Field(default_factory=dict)
    orders: dict[str, Order] = Field(default_factory=dict)
    next_order: int = 1001


class Retail(Environment):
    """Customer service for an online store."""

    name = "retail"
    description = "an online store's order database (customers, products, orders, cancellations, returns)"
    State = RetailState
    state: RetailState

    @classmethod
    def sample_state(cls, rng: random.Random, *, long_context: bool = False) -> dict[str, Any]:
        state = RetailState()
        for i, (pname, price) in enumerate(rng.sample(PRODUCTS, 12)):
            state.products[f"SKU-{100 + i * 7 + rng.randint(0, 6)}"] = Product(name=pname, price=price,
                                                                              stock=rng.randint(0, 25))
        names = rng.sample([(f, ln) for f in FIRST_NAMES for ln in LAST_NAMES], 6)
        for i, (first, last) in enumerate(names):
            cid = f"{first.lower()}_{last.lower()}_{rng.randint(100, 999)}"
            email = f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}".replace("ü", "u")
            state.customers[cid] = Customer(name=f"{first} {last}", email=email, zip=rng.choice(ZIPS))
            del i
        skus = sorted(state.products)
        for _ in range(48 if long_context else 10):
            cid = rng.choice(sorted(state.customers))
            items = []
            for sku in rng.sample(skus, rng.randint(1, 3)):
                items.append(OrderItem(sku=sku, quantity=rng.randint(1, 3), price=state.products[sku].price))
            oid = f"#W{state.next_order}"
            state.next_order += 1
            status = rng.choice(["pending", "pending", "shipped", "delivered", "delivered", "cancelled"])
            state.orders[oid] = Order(customer_id=cid, items=items, status=status,
                                      zip=state.customers[cid].zip,
                                      total=round(sum(it.price * it.quantity for it in items), 2))
        return state.model_dump(mode="json")

    def _order(self, order_id: str) -> Order:
        order = self.state.orders.get(order_id)
        if order is None:
            raise ToolError(f"order {order_id} not found")
        return order

    # --- tools -------------------------------------------------------------------------------
    @tool
    def find_customer(self, email: str) -> dict[str, Any]:
        """Look up a customer by email address.

        Args:
            email: The customer's email address.
        """
        for cid, customer in sorted(self.state.customers.items()):
            if customer.email == email.strip().lower():
                return {"customer_id": cid, "name": customer.name, "zip": customer.zip}
        raise ToolError(f"no customer with email {email}")

    @tool
    def get_customer_orders(self, customer_id: str) -> list[dict[str, Any]]:
        """List a customer's orders with their status and total.

        Args:
            customer_id: Customer id, e.g. "ana_silva_123".
        """
        if customer_id not in self.state.customers:
            raise ToolError(f"customer {customer_id} not found")
        return [{"order_id": oid, "status": o.status, "total": o.total}
                for oid, o in sorted(self.state.orders.items()) if o.customer_id == customer_id]

    @tool
    def get_order(self, order_id: str) -> dict[str, Any]:
        """Get the details of an order (items, status, shipping zip, total).

        Args:
            order_id: Order id, e.g. "#W1003".
        """
        return {"order_id": order_id, **self._order(order_id).model_dump()}

    @tool
    def search_products(self, keyword: str) -> list[dict[str, Any]]:
        """Search the catalog for products whose name contains a keyword.

        Args:
            keyword: Word to look for in product names.
        """
        key = keyword.strip().lower()
        return [{"sku": sku, **p.model_dump()} for sku, p in sorted(self.state.products.items()) if key in p.name]

    @tool
    def place_order(self, customer_id: str, sku: str, quantity: Annotated[int, Field(ge=1, le=10)] = 1) -> dict[str, Any]:
        """Place a new order of one product for a customer (ships to the customer's zip code).

        Args:
            customer_id: Customer id.
            sku: Product SKU, e.g. "SKU-107".
            quantity: Number of units (1-10).
        """
        customer = self.state.customers.get(customer_id)
        if customer is None:
            raise ToolError(f"customer {customer_id} not found")
        product = self.state.products.get(sku)
        if product is None:
            raise ToolError(f"product {sku} not found")
        if product.stock < quantity:
            raise ToolError(f"only {product.stock} units of {sku} in stock")
        product.stock -= quantity
        oid = f"#W{self.state.next_order}"
        self.state.next_order += 1
        order = Order(customer_id=customer_id, items=[OrderItem(sku=sku, quantity=quantity, price=product.price)],
                      status="pending", zip=customer.zip, total=round(product.price * quantity, 2))
        self.state.orders[oid] = order
        return {"order_id": oid, "total": order.total, "status": order.status}

    @tool
    def cancel_order(self, order_id: str,
                     reason: Literal["no longer needed", "ordered by mistake", "found a better price"]) -> dict[str, Any]:
        """Cancel a pending order; its items go back to stock.

        Args:
            order_id: Order id.
            reason: Why the customer cancels.
        """
        order = self._order(order_id)
        if order.status != "pending":
            raise ToolError(f"order {order_id} is {order.status}; only pending orders can be cancelled")
        for item in order.items:
            if item.sku in self.state.products:
                self.state.products[item.sku].stock += item.quantity
        order.status = "cancelled"
        order.cancel_reason = reason
        return {"order_id": order_id, "status": "cancelled", "refund": order.total}

    @tool
    def change_shipping_zip(self, order_id: str, zip: Annotated[str, Field(pattern=r"^\d{5}$")]) -> dict[str, Any]:
        """Change the shipping zip code of a pending order.

        Args:
            order_id: Order id.
            zip: New five-digit zip code.
        """
        order = self._order(order_id)
        if order.status != "pending":
            raise ToolError(f"order {order_id} is {order.status}; only pending orders can be changed")
        order.zip = zip
        return {"order_id": order_id, "zip": zip}

    @tool
    def return_order(self, order_id: str) -> dict[str, Any]:
        """Return a delivered order for a refund.

        Args:
            order_id: Order id.
        """
        order = self._order(order_id)
        if order.status != "delivered":
            raise ToolError(f"order {order_id} is {order.status}; only delivered orders can be returned")
        order.status = "returned"
        return {"order_id": order_id, "status": "returned", "refund": order.total}

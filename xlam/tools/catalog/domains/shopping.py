"""Product search, carts, orders, deliveries and deals over a seeded synthetic store."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Budget, Count, Name, listing, record, tool

CATEGORY = "shopping"

Quantity = Annotated[int, Field(ge=1, le=50)]
ProductCategory = Literal["electronics", "clothing", "home", "toys", "books", "beauty", "sports", "grocery", "garden"]
_STORES = ["ShopRite Online", "MegaMart", "BuyMore", "Corner Store", "ValueHub"]


@tool
def search_store_catalog(product_query: Name, max_price: Budget | None = None,
                    sort_by: Literal["relevance", "price", "rating", "newest"] = "relevance", limit: Count = 5) -> list[dict[str, Any]]:
    """Search the store's products.

    Args:
        product_query: What to look for, e.g. wireless earbuds.
        max_price: The highest price.
        sort_by: The sort order.
        limit: The most results to return.
    """
    cap = max_price or 500.0
    rows = listing("search_store_catalog", locals(), limit, sku=("code", "SKU"), price=("money", min(5.0, cap), cap),
                   rating=("rating", 2.5), in_stock=("bool", 0.85))
    if sort_by == "price":
        rows.sort(key=lambda r: r["price"])
    elif sort_by == "rating":
        rows.sort(key=lambda r: -r["rating"])
    return rows


@tool
def get_product_reviews(product_name: Name, limit: Count = 5, min_stars: Literal[1, 2, 3, 4, 5] = 1) -> dict[str, Any]:
    """Get customer reviews of a product.

    Args:
        product_name: The product.
        limit: The most reviews to return.
        min_stars: The lowest star rating to include.
    """
    rows = listing("get_product_reviews", locals(), limit, stars=("int", min_stars, 5),
                   title=("pick", ["Works great", "Not worth it", "Solid value", "Broke after a month", "Love it"]))
    return {"product_name": product_name, "reviews": rows}


@tool
def track_package(tracking_number: Name, carrier: Literal["UPS", "FedEx", "USPS", "DHL", "auto"] = "auto") -> dict[str, Any]:
    """Track the delivery status of a package.

    Args:
        tracking_number: The shipment's tracking number.
        carrier: The shipping carrier.
    """
    return record("track_package", locals(), status=("pick", ["label created", "in transit", "out for delivery", "delivered"]),
                  last_location=("pick", ["Memphis hub", "Louisville hub", "local depot", "customs"]),
                  expected=("date", "2026-01-01", 20))


@tool
def add_item_to_cart(product_name: Name, quantity: Quantity = 1, gift_wrap: bool = False) -> dict[str, Any]:
    """Add a product to the shopping cart.

    Args:
        product_name: The product.
        quantity: How many to add.
        gift_wrap: Wrap the item as a gift.
    """
    out = record("add_item_to_cart", locals(), unit_price=("money", 3, 300))
    out["line_total"] = round(out["unit_price"] * quantity + (4.99 if gift_wrap else 0), 2)
    return out


@tool
def apply_coupon_code(coupon_code: Name, cart_total: Budget) -> dict[str, Any]:
    """Apply a coupon code to a cart total.

    Args:
        coupon_code: The coupon code.
        cart_total: The cart total before the discount.
    """
    out = record("apply_coupon_code", locals(), valid=("bool", 0.8), percent_off=("pick", [5, 10, 15, 20, 25]))
    discount = cart_total * out["percent_off"] / 100 if out["valid"] else 0.0
    out["new_total"] = round(cart_total - discount, 2)
    return out


@tool
def compare_store_prices(product_name: Name, zip_code: Name = "") -> list[dict[str, Any]]:
    """Compare a product's price across stores.

    Args:
        product_name: The product.
        zip_code: The shopper's postal code, for local stores.
    """
    rows = listing("compare_store_prices", locals(), 4, store=("pick", _STORES), price=("money", 5, 400),
                   shipping=("money", 0, 15))
    return sorted(rows, key=lambda r: r["price"] + r["shipping"])


@tool
def check_store_inventory(product_name: Name, city: Name) -> list[dict[str, Any]]:
    """Check which stores in a city have a product in stock.

    Args:
        product_name: The product.
        city: The city.
    """
    return listing("check_store_inventory", locals(), 3, store=("pick", [f"{s} {city}" for s in _STORES]),
                   units=("int", 0, 40))


@tool
def get_store_return_policy(store_name: Name, product_category: ProductCategory = "electronics") -> dict[str, Any]:
    """Get a store's return window and conditions for a product category.

    Args:
        store_name: The store.
        product_category: The kind of product.
    """
    return record("get_store_return_policy", locals(), return_days=("pick", [14, 30, 60, 90]),
                  restocking_fee_percent=("pick", [0, 0, 10, 15]), receipt_required=("bool", 0.7))


@tool
def find_deals(product_category: ProductCategory, min_discount_percent: Annotated[int, Field(ge=5, le=90)] = 20) -> list[dict[str, Any]]:
    """Find current discounts in a product category.

    Args:
        product_category: The kind of product.
        min_discount_percent: The smallest discount to include.
    """
    return listing("find_deals", locals(), 4, sku=("code", "SKU"), discount_percent=("int", min_discount_percent, 90),
                   sale_price=("money", 3, 400), ends=("date", "2026-01-01", 30))


@tool
def place_order(product_name: Name, quantity: Quantity, shipping_address: Name,
                shipping_speed: Literal["standard", "express", "overnight"] = "standard") -> dict[str, Any]:
    """Place an order for a product with delivery to an address.

    Args:
        product_name: The product.
        quantity: How many to buy.
        shipping_address: The delivery address.
        shipping_speed: How fast to ship.
    """
    out = record("place_order", locals(), order_id=("code", "ORD"), unit_price=("money", 3, 300))
    out["shipping_fee"] = {"standard": 0.0, "express": 9.99, "overnight": 24.99}[shipping_speed]
    out["total"] = round(out["unit_price"] * quantity + out["shipping_fee"], 2)
    return out


@tool
def get_price_history(product_name: Name, months: Literal[1, 3, 6, 12] = 6) -> dict[str, Any]:
    """Get the monthly price history of a product.

    Args:
        product_name: The product.
        months: How many months back.
    """
    rows = listing("get_price_history", locals(), months, price=("money", 10, 300))
    return {"product_name": product_name, "history": [{"months_ago": months - i, **r} for i, r in enumerate(rows)]}


@tool
def find_gift_ideas(recipient: Literal["partner", "parent", "child", "teenager", "coworker", "friend"], budget: Budget,
                    interests: list[str] | None = None) -> list[dict[str, Any]]:
    """Suggest gifts for a recipient within a budget.

    Args:
        recipient: Who the gift is for.
        budget: The most to spend.
        interests: The recipient's hobbies or interests.
    """
    ideas = ["board game", "cookbook", "bluetooth speaker", "scented candle", "plant kit", "puzzle", "headphones",
             "watercolor set", "travel mug", "smart bulb"]
    return listing("find_gift_ideas", locals(), 3, gift=("pick", ideas), price=("money", min(5.0, budget), budget))

"""Personal-finance and business arithmetic: interest, loans, returns, discounts, tips, taxes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import Percent

CATEGORY = "finance"

Money = Annotated[float, Field(ge=0, le=10_000_000)]
Rate = Annotated[float, Field(ge=0, le=30)]
Years = Annotated[int, Field(ge=1, le=40)]
CashFlows = Annotated[list[Annotated[float, Field(ge=-1e6, le=1e6)]], Field(min_length=2, max_length=10)]


def compound_interest(principal: Money, annual_rate_percent: Rate, years: Years, compounds_per_year: Literal[1, 2, 4, 12, 365] = 12) -> float:
    """Compute the future value of a deposit with compound interest.

    Args:
        principal: The initial amount.
        annual_rate_percent: The nominal annual interest rate in percent.
        years: The number of years.
        compounds_per_year: How often interest is compounded per year.
    """
    r = annual_rate_percent / 100 / compounds_per_year
    return round(principal * (1 + r) ** (compounds_per_year * years), 2)


def simple_interest(principal: Money, annual_rate_percent: Rate, years: Years) -> float:
    """Compute the simple interest earned on a principal.

    Args:
        principal: The amount invested or borrowed.
        annual_rate_percent: The annual interest rate in percent.
        years: The duration in years.
    """
    return round(principal * annual_rate_percent / 100 * years, 2)


def loan_monthly_payment(principal: Annotated[float, Field(gt=0, le=10_000_000)], annual_rate_percent: Rate, years: Years) -> float:
    """Compute the fixed monthly payment of an amortising loan or mortgage.

    Args:
        principal: The amount borrowed.
        annual_rate_percent: The annual interest rate in percent.
        years: The loan term in years.
    """
    n = years * 12
    r = annual_rate_percent / 100 / 12
    return round(principal / n if r == 0 else principal * r / (1 - (1 + r) ** -n), 2)


def future_value_annuity(payment: Money, annual_rate_percent: Rate, years: Years) -> float:
    """Compute the future value of equal monthly contributions (ordinary annuity).

    Args:
        payment: The amount contributed each month.
        annual_rate_percent: The annual return in percent.
        years: The number of years of contributions.
    """
    n, r = years * 12, annual_rate_percent / 100 / 12
    return round(payment * n if r == 0 else payment * ((1 + r) ** n - 1) / r, 2)


def net_present_value(rate_percent: Rate, cash_flows: CashFlows) -> float:
    """Compute the net present value of cash flows (the first one occurs now).

    Args:
        rate_percent: The discount rate per period in percent.
        cash_flows: The cash flows per period, starting at period 0.
    """
    r = rate_percent / 100
    return round(sum(cf / (1 + r) ** t for t, cf in enumerate(cash_flows)), 2)


def return_on_investment(initial_value: Annotated[float, Field(gt=0, le=10_000_000)], final_value: Money) -> float:
    """Compute the return on investment in percent.

    Args:
        initial_value: The amount invested.
        final_value: The value at the end.
    """
    return round((final_value - initial_value) / initial_value * 100, 4)


def cagr(initial_value: Annotated[float, Field(gt=0, le=10_000_000)], final_value: Annotated[float, Field(gt=0, le=10_000_000)], years: Years) -> float:
    """Compute the compound annual growth rate between two values, in percent.

    Args:
        initial_value: The starting value.
        final_value: The ending value.
        years: The number of years between them.
    """
    growth: float = (final_value / initial_value) ** (1.0 / years)
    return round((growth - 1.0) * 100.0, 4)


def discounted_price(price: Money, discount_percent: Percent) -> float:
    """Compute the price after a percentage discount.

    Args:
        price: The original price.
        discount_percent: The discount in percent.
    """
    return round(price * (1 - discount_percent / 100), 2)


def tip_calculator(bill_amount: Annotated[float, Field(ge=0, le=100_000)], tip_percent: Annotated[float, Field(ge=0, le=40)], people: Annotated[int, Field(ge=1, le=20)] = 1) -> dict[str, float]:
    """Compute the tip, the total and each person's share of a restaurant bill.

    Args:
        bill_amount: The bill before tip.
        tip_percent: The tip in percent.
        people: How many people split the bill.
    """
    tip = bill_amount * tip_percent / 100
    total = bill_amount + tip
    return {"tip": round(tip, 2), "total": round(total, 2), "per_person": round(total / people, 2)}


def sales_tax(amount: Money, tax_rate_percent: Annotated[float, Field(ge=0, le=30)]) -> dict[str, float]:
    """Compute the tax and the total for a purchase.

    Args:
        amount: The price before tax.
        tax_rate_percent: The sales tax or VAT rate in percent.
    """
    tax = amount * tax_rate_percent / 100
    return {"tax": round(tax, 2), "total": round(amount + tax, 2)}


def break_even_units(fixed_costs: Money, price_per_unit: Annotated[float, Field(gt=1, le=10_000)], variable_cost_per_unit: Annotated[float, Field(ge=0, le=1)]) -> int:
    """Compute how many units must be sold to cover fixed costs.

    Args:
        fixed_costs: The total fixed costs.
        price_per_unit: The selling price of one unit.
        variable_cost_per_unit: The variable cost of producing one unit.
    """
    import math

    return math.ceil(fixed_costs / (price_per_unit - variable_cost_per_unit))


def profit_margin(revenue: Annotated[float, Field(gt=0, le=1e9)], cost: Annotated[float, Field(ge=0, le=1e9)]) -> float:
    """Compute the profit margin in percent of revenue.

    Args:
        revenue: The revenue.
        cost: The total cost.
    """
    return round((revenue - cost) / revenue * 100, 4)

"""Stock quotes, earnings, crypto, exchange rates, funds and commodities over seeded synthetic market data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Name, Year, listing, record, rng_for, tool

CATEGORY = "markets"

Sector = Literal["technology", "healthcare", "energy", "financials", "consumer", "industrials", "utilities", "real estate"]


def _ticker(text: str) -> str:
    if not 1 <= len(text) <= 6 or not text.replace(".", "").isalpha():
        raise ValueError(f"{text!r} is not a stock ticker (1-6 letters)")
    return text.upper()


@tool
def get_stock_quote(ticker: Name) -> dict[str, Any]:
    """Get the latest price, change and volume of a stock.

    Args:
        ticker: The stock's ticker symbol.
    """
    out = record("get_stock_quote", {"ticker": _ticker(ticker)}, price=("money", 5, 900), change_percent=("float", -6, 6),
                 volume=("int", 100_000, 90_000_000))
    return out


@tool
def get_company_earnings(ticker: Name, quarter: Literal["Q1", "Q2", "Q3", "Q4"], year: Year) -> dict[str, Any]:
    """Get a company's reported earnings for a quarter.

    Args:
        ticker: The stock's ticker symbol.
        quarter: The fiscal quarter.
        year: The fiscal year.
    """
    return record("get_company_earnings", {"ticker": _ticker(ticker), "quarter": quarter, "year": year},
                  revenue_billions=("float", 0.1, 120), eps=("float", -2, 12), beat_estimates=("bool", 0.6))


@tool
def get_crypto_price(crypto_asset: Name, fiat_currency: Literal["USD", "EUR", "GBP", "JPY"] = "USD") -> dict[str, Any]:
    """Get the current price of a cryptocurrency.

    Args:
        crypto_asset: The cryptocurrency, e.g. Bitcoin.
        fiat_currency: The currency to quote in.
    """
    return record("get_crypto_price", locals(), price=("money", 0.05, 90000), change_24h_percent=("float", -12, 12))


@tool
def get_fx_rate(base_currency: Literal["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY", "MXN"],
                quote_currency: Literal["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY", "MXN"]) -> dict[str, Any]:
    """Get the exchange rate between two currencies.

    Args:
        base_currency: The currency to convert from.
        quote_currency: The currency to convert to.
    """
    if base_currency == quote_currency:
        raise ValueError("base_currency and quote_currency must differ")
    return record("get_fx_rate", locals(), rate=("float", 0.01, 150))


@tool
def get_market_index_level(index_name: Literal["S&P 500", "Dow Jones", "Nasdaq Composite", "FTSE 100", "DAX", "Nikkei 225",
                                               "Euro Stoxx 50", "Hang Seng"]) -> dict[str, Any]:
    """Get the latest level and daily change of a stock market index.

    Args:
        index_name: The index.
    """
    return record("get_market_index_level", locals(), level=("float", 3000, 45000), change_percent=("float", -3, 3))


@tool
def get_dividend_history(ticker: Name, years: Literal[1, 3, 5, 10] = 5) -> dict[str, Any]:
    """Get the dividends a stock paid per year.

    Args:
        ticker: The stock's ticker symbol.
        years: How many years back.
    """
    rows = listing("get_dividend_history", {"ticker": _ticker(ticker), "years": years}, years, per_share=("money", 0.1, 6))
    return {"ticker": ticker.upper(), "dividends": [{"years_ago": i, **r} for i, r in enumerate(rows)]}


@tool
def get_fund_details(fund_ticker: Name) -> dict[str, Any]:
    """Get the expense ratio, holdings and returns of a mutual fund or ETF.

    Args:
        fund_ticker: The fund's ticker symbol.
    """
    return record("get_fund_details", {"fund_ticker": _ticker(fund_ticker)}, expense_ratio_percent=("float", 0.03, 1.2),
                  holdings=("int", 20, 4000), return_1y_percent=("float", -20, 35))


@tool
def screen_stocks(sector: Sector, max_pe_ratio: Annotated[float, Field(gt=0, le=200)] = 30.0, min_dividend_yield: Annotated[float, Field(ge=0, le=20)] = 0.0) -> list[dict[str, Any]]:
    """Screen stocks in a sector by valuation and dividend yield.

    Args:
        sector: The market sector.
        max_pe_ratio: The highest price-to-earnings ratio.
        min_dividend_yield: The lowest dividend yield in percent.
    """
    if max_pe_ratio <= 0 or min_dividend_yield < 0:
        raise ValueError("max_pe_ratio must be positive and min_dividend_yield not negative")
    rng = rng_for("screen_stocks", sector, max_pe_ratio, min_dividend_yield)
    letters = "ABCDEFGHKLMNPRSTVWXZ"
    return [{"ticker": "".join(rng.choice(letters) for _ in range(rng.randint(3, 4))),
             "pe_ratio": round(rng.uniform(4, max_pe_ratio), 1),
             "dividend_yield": round(rng.uniform(min_dividend_yield, min_dividend_yield + 4), 2)} for _ in range(4)]


@tool
def get_analyst_ratings(ticker: Name) -> dict[str, Any]:
    """Get analysts' buy, hold and sell ratings and price target for a stock.

    Args:
        ticker: The stock's ticker symbol.
    """
    return record("get_analyst_ratings", {"ticker": _ticker(ticker)}, buy=("int", 0, 30), hold=("int", 0, 20),
                  sell=("int", 0, 10), price_target=("money", 5, 1000))


@tool
def get_commodity_price(commodity: Literal["gold", "silver", "crude oil", "natural gas", "copper", "wheat", "corn", "coffee"],
                        unit: Literal["default", "per kg"] = "default") -> dict[str, Any]:
    """Get the latest spot price of a commodity.

    Args:
        commodity: The commodity.
        unit: The trading unit or per kilogram.
    """
    return record("get_commodity_price", locals(), price_usd=("money", 1, 2500), change_percent=("float", -5, 5))


@tool
def get_ipo_calendar(month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], year: Year,
                     exchange: Literal["NYSE", "NASDAQ", "LSE", "any"] = "any") -> list[dict[str, Any]]:
    """Get the companies going public in a month.

    Args:
        month: The month (1-12).
        year: The year.
        exchange: The stock exchange.
    """
    return listing("get_ipo_calendar", locals(), 3, company=("pick", ["Nimbus Robotics", "Verdant Foods", "Helio Power",
                                                                   "Quanta Health", "Arc Payments"]),
                   day=("int", 1, 28), price_range_low=("money", 8, 40))


@tool
def get_government_bond_yield(country: Name, maturity_years: Literal[2, 5, 10, 30] = 10) -> dict[str, Any]:
    """Get the yield of a country's government bond.

    Args:
        country: The issuing country.
        maturity_years: The bond's maturity in years.
    """
    return record("get_government_bond_yield", locals(), yield_percent=("float", -0.5, 12))

"""Weather conditions, forecasts, air quality and climate over seeded synthetic observations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Date, Name, listing, record, rng_for, tool

CATEGORY = "weather"

Units = Literal["metric", "imperial"]
ForecastDays = Annotated[int, Field(ge=1, le=14)]
_SKY = ["sunny", "partly cloudy", "cloudy", "light rain", "heavy rain", "thunderstorms", "snow", "fog", "windy"]


@tool
def get_current_conditions(city: Name, units: Units = "metric") -> dict[str, Any]:
    """Get the current weather conditions in a city.

    Args:
        city: The city.
        units: Metric (Celsius, km/h) or imperial (Fahrenheit, mph).
    """
    out = record("get_current_conditions", locals(), sky=("pick", _SKY), temperature=("int", -15, 38),
                 humidity_percent=("int", 15, 100), wind_speed=("int", 0, 60))
    if units == "imperial":
        out["temperature"] = round(out["temperature"] * 9 / 5 + 32)
    return out


@tool
def get_daily_forecast(city: Name, days: ForecastDays = 5, units: Units = "metric") -> dict[str, Any]:
    """Get the daily weather forecast for a city.

    Args:
        city: The city.
        days: How many days ahead to forecast.
        units: Metric or imperial units.
    """
    rows = listing("get_daily_forecast", locals(), days, sky=("pick", _SKY), high=("int", -5, 38), low=("int", -20, 22),
                   rain_chance_percent=("int", 0, 100))
    return {"city": city, "units": units, "days": [{"day": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def get_hourly_forecast(city: Name, hours: Annotated[int, Field(ge=1, le=48)] = 12) -> dict[str, Any]:
    """Get the hour-by-hour forecast for a city.

    Args:
        city: The city.
        hours: How many hours ahead to forecast.
    """
    rows = listing("get_hourly_forecast", locals(), hours, sky=("pick", _SKY), temperature_c=("int", -10, 35))
    return {"city": city, "hours": [{"hour": i + 1, **r} for i, r in enumerate(rows)]}


@tool
def get_city_air_quality(city: Name, pollutant: Literal["overall", "pm2.5", "pm10", "ozone", "no2"] = "overall") -> dict[str, Any]:
    """Get the air quality index of a city.

    Args:
        city: The city.
        pollutant: Which pollutant to report.
    """
    out = record("get_city_air_quality", locals(), aqi=("int", 5, 260))
    aqi = out["aqi"]
    out["level"] = "good" if aqi <= 50 else "moderate" if aqi <= 100 else "unhealthy for sensitive groups" if aqi <= 150 else "unhealthy"
    return out


@tool
def get_uv_index(city: Name, date: Date) -> dict[str, Any]:
    """Get the forecast UV index of a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
    """
    out = record("get_uv_index", locals(), uv_index=("int", 0, 11))
    out["protection_needed"] = out["uv_index"] >= 3
    return out


@tool
def get_pollen_count(city: Name, date: Date, pollen_type: Literal["tree", "grass", "weed", "all"] = "all") -> dict[str, Any]:
    """Get the pollen count in a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
        pollen_type: The pollen to report.
    """
    return record("get_pollen_count", locals(), grains_per_m3=("int", 0, 1500), level=("pick", ["low", "moderate", "high", "very high"]))


@tool
def get_sunrise_sunset(city: Name, date: Date) -> dict[str, Any]:
    """Get sunrise and sunset times in a city on a date.

    Args:
        city: The city.
        date: The day (YYYY-MM-DD).
    """
    return record("get_sunrise_sunset", locals(), sunrise=("time", 4, 8), sunset=("time", 16, 21))


@tool
def get_historical_weather(city: Name, date: Date, units: Units = "metric") -> dict[str, Any]:
    """Get the weather observed in a city on a past date.

    Args:
        city: The city.
        date: The past day (YYYY-MM-DD).
        units: Metric or imperial units.
    """
    return record("get_historical_weather", locals(), sky=("pick", _SKY), high=("int", -5, 38), low=("int", -20, 22),
                  precipitation_mm=("float", 0, 40))


@tool
def get_weather_alerts(city: Name, severity: Literal["any", "advisory", "watch", "warning"] = "any") -> dict[str, Any]:
    """Get active weather alerts for a city.

    Args:
        city: The city.
        severity: The lowest severity to include.
    """
    kinds = ["heat", "flood", "wind", "winter storm", "thunderstorm", "fog"]
    rng = rng_for("get_weather_alerts", city, severity)
    alerts = [{"type": rng.choice(kinds), "severity": severity if severity != "any" else rng.choice(["advisory", "watch", "warning"])}
              for _ in range(rng.randint(0, 2))]
    return {"city": city, "alerts": alerts, "count": len(alerts)}


@tool
def get_ski_resort_snow_conditions(ski_resort: Name, date: Date) -> dict[str, Any]:
    """Get the snow depth and open runs of a ski resort on a date.

    Args:
        ski_resort: The ski resort.
        date: The day (YYYY-MM-DD).
    """
    return record("get_ski_resort_snow_conditions", locals(), base_depth_cm=("int", 0, 320), new_snow_cm=("int", 0, 60),
                  open_runs=("int", 0, 120), lifts_open=("int", 0, 40))


@tool
def get_marine_forecast(coastal_city: Name, days: ForecastDays = 3) -> dict[str, Any]:
    """Get wave height, wind and water temperature forecasts off a coastal city.

    Args:
        coastal_city: The coastal city or harbour.
        days: How many days ahead to forecast.
    """
    rows = listing("get_marine_forecast", locals(), days, wave_height_m=("float", 0.2, 6), wind_knots=("int", 0, 45),
                   water_temp_c=("int", 4, 30))
    return {"coastal_city": coastal_city, "days": rows}


@tool
def get_climate_normals(city: Name, month: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) -> dict[str, Any]:
    """Get a city's long-term average temperature and rainfall for a month.

    Args:
        city: The city.
        month: The month (1-12).
    """
    return record("get_climate_normals", locals(), avg_high_c=("float", -5, 38), avg_low_c=("float", -20, 25),
                  rainfall_mm=("int", 0, 400), rainy_days=("int", 0, 25))

"""Recipe search, nutrition and meal-planning tools over seeded synthetic recipes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Count, Name, Names, listing, pick, record, rng_for, tool

CATEGORY = "recipes"

Diet = Literal["none", "vegetarian", "vegan", "gluten-free", "keto", "paleo", "dairy-free"]
Minutes = Annotated[int, Field(ge=5, le=480)]
Calories = Annotated[int, Field(ge=100, le=5000)]
_STYLES = ["Skillet", "Bake", "Stew", "Salad", "Stir-Fry", "Soup", "Bowl", "Curry", "Pasta", "Tacos"]


@tool
def find_recipes_by_ingredients(ingredients: Names, max_minutes: Minutes = 60, diet: Diet = "none") -> list[dict[str, Any]]:
    """Find recipes that use the ingredients you have.

    Args:
        ingredients: The ingredients to use.
        max_minutes: The longest total cooking time.
        diet: A dietary restriction.
    """
    main = ingredients[0].title()
    return listing("find_recipes_by_ingredients", locals(), 3, recipe_name=("pick", [f"{main} {s}" for s in _STYLES]),
                   minutes=("int", 10, max_minutes), missing_ingredients=("int", 0, 3), rating=("rating",))


@tool
def get_recipe_details(recipe_name: Name, servings: Count = 4) -> dict[str, Any]:
    """Get a recipe's ingredients, steps and times.

    Args:
        recipe_name: The recipe.
        servings: The number of servings.
    """
    return record("get_recipe_details", locals(), prep_minutes=("int", 5, 40), cook_minutes=("int", 5, 120),
                  steps=("int", 3, 12), difficulty=("pick", ["easy", "medium", "hard"]))


@tool
def get_nutrition_facts(dish_name: Name, servings: Count = 1) -> dict[str, Any]:
    """Get the calories and macronutrients of a dish.

    Args:
        dish_name: The dish.
        servings: The number of servings.
    """
    rng = rng_for("get_nutrition_facts", dish_name)
    per = {"calories": rng.randint(120, 950), "protein_g": rng.randint(2, 55), "carbs_g": rng.randint(3, 110),
           "fat_g": rng.randint(1, 60)}
    return {"dish_name": dish_name, "servings": servings, **{k: v * servings for k, v in per.items()}}


@tool
def suggest_ingredient_substitute(ingredient: Name, diet: Diet = "none") -> dict[str, Any]:
    """Suggest substitutes for an ingredient, optionally for a diet.

    Args:
        ingredient: The ingredient to replace.
        diet: A dietary restriction the substitute must meet.
    """
    options = ["applesauce", "greek yogurt", "coconut milk", "flax egg", "olive oil", "almond flour", "tofu",
               "mushrooms", "lentils", "cauliflower rice", "oat milk", "maple syrup"]
    return record("suggest_ingredient_substitute", locals(), substitutes=("some", options, 3))


@tool
def plan_weekly_meals(diet: Diet, calories_per_day: Calories, meals_per_day: Literal[2, 3, 4, 5] = 3) -> dict[str, Any]:
    """Plan a week of meals for a diet and daily calorie target.

    Args:
        diet: The diet to follow.
        calories_per_day: The daily calorie target.
        meals_per_day: The number of meals each day.
    """
    rng = rng_for("plan_weekly_meals", diet, calories_per_day, meals_per_day)
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    meals = ["oat porridge", "lentil soup", "chickpea salad", "veggie stir-fry", "grilled chicken", "salmon bowl",
             "bean chili", "omelette", "quinoa bowl", "pasta primavera", "tofu curry", "yogurt parfait"]
    return {"diet": diet, "calories_per_day": calories_per_day,
            "plan": {d: pick(rng, meals, meals_per_day) for d in days}}


@tool
def search_recipes_by_cuisine(cuisine: Name, difficulty: Literal["easy", "medium", "hard"] = "easy",
                              limit: Count = 5) -> list[dict[str, Any]]:
    """Search recipes of a cuisine by difficulty.

    Args:
        cuisine: The cuisine, e.g. Mexican or Japanese.
        difficulty: How hard the recipes may be.
        limit: The most results to return.
    """
    return listing("search_recipes_by_cuisine", locals(), limit, recipe_name=("pick", [f"{cuisine} {s}" for s in _STYLES]),
                   minutes=("int", 10, 150), rating=("rating",))


@tool
def get_recipe_cook_time(recipe_name: Name, method: Literal["oven", "stovetop", "slow cooker", "pressure cooker", "air fryer", "grill"]) -> dict[str, Any]:
    """Get how long a recipe takes with a cooking method.

    Args:
        recipe_name: The recipe.
        method: The cooking method or appliance.
    """
    return record("get_recipe_cook_time", locals(), minutes=("int", 8, 480), temperature_celsius=("pick", [160, 180, 200, 220]))


@tool
def create_shopping_list(recipe_names: Names, servings: Count = 4) -> dict[str, Any]:
    """Create a grocery shopping list for several recipes.

    Args:
        recipe_names: The recipes to cook.
        servings: The servings of each recipe.
    """
    groceries = ["onions", "garlic", "tomatoes", "rice", "pasta", "chicken thighs", "spinach", "eggs", "butter", "lemons",
                 "parmesan", "bell peppers", "carrots", "potatoes", "canned beans"]
    return record("create_shopping_list", locals(), items=("some", groceries, 7), estimated_cost=("money", 15, 90))


@tool
def find_dessert_recipes(main_ingredient: Name, max_calories: Calories = 500) -> list[dict[str, Any]]:
    """Find dessert recipes built around an ingredient.

    Args:
        main_ingredient: The star ingredient.
        max_calories: The most calories per serving.
    """
    kinds = ["Tart", "Cake", "Crumble", "Mousse", "Cookies", "Ice Cream", "Pudding"]
    return listing("find_dessert_recipes", locals(), 3, recipe_name=("pick", [f"{main_ingredient.title()} {k}" for k in kinds]),
                   calories=("int", 120, max_calories), minutes=("int", 15, 120))


@tool
def get_wine_pairing(dish_name: Name) -> dict[str, Any]:
    """Suggest wines that go well with a dish.

    Args:
        dish_name: The dish.
    """
    wines = ["Pinot Noir", "Chardonnay", "Sauvignon Blanc", "Riesling", "Malbec", "Rioja", "Chianti", "Prosecco"]
    return record("get_wine_pairing", locals(), wines=("some", wines, 2))


@tool
def estimate_recipe_cost(recipe_name: Name, servings: Count = 4, store_tier: Literal["discount", "standard", "premium"] = "standard") -> dict[str, Any]:
    """Estimate the grocery cost of cooking a recipe.

    Args:
        recipe_name: The recipe.
        servings: The number of servings.
        store_tier: The kind of grocery store.
    """
    factor = {"discount": 0.8, "standard": 1.0, "premium": 1.4}[store_tier]
    out = record("estimate_recipe_cost", locals(), cost_per_serving=("money", 1.5, 9))
    out["cost_per_serving"] = round(out["cost_per_serving"] * factor, 2)
    out["total"] = round(out["cost_per_serving"] * servings, 2)
    return out


@tool
def convert_recipe_measurement(amount: Annotated[float, Field(gt=0, le=10_000)], from_unit: Literal["cup", "tablespoon", "teaspoon", "ounce", "gram", "milliliter"],
                               to_unit: Literal["cup", "tablespoon", "teaspoon", "ounce", "gram", "milliliter"],
                               ingredient: Name = "water") -> dict[str, Any]:
    """Convert a recipe quantity between kitchen units for an ingredient.

    Args:
        amount: The quantity to convert.
        from_unit: The unit of the quantity.
        to_unit: The unit wanted.
        ingredient: The ingredient (its density matters between volume and weight).
    """
    if not 0 < amount <= 10_000:
        raise ValueError(f"amount must be in (0, 10000], got {amount}")
    if from_unit == to_unit:
        raise ValueError("from_unit and to_unit must differ")
    ml = {"cup": 240.0, "tablespoon": 15.0, "teaspoon": 5.0, "milliliter": 1.0}
    density = {"water": 1.0, "flour": 0.53, "sugar": 0.85, "butter": 0.91, "honey": 1.42, "milk": 1.03, "oil": 0.92}
    rho = density.get(ingredient.strip().lower(), 1.0)

    def grams(value: float, unit: str) -> float:
        if unit == "gram":
            return value
        if unit == "ounce":
            return value * 28.3495
        return value * ml[unit] * rho

    g = grams(amount, from_unit)
    result = g if to_unit == "gram" else g / 28.3495 if to_unit == "ounce" else g / rho / ml[to_unit]
    return {"amount": amount, "from_unit": from_unit, "to_unit": to_unit, "ingredient": ingredient,
            "result": round(result, 2)}

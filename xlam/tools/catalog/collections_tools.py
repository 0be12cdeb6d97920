"""List and collection tools (wrappers over :mod:`itertools`, :mod:`collections`, :mod:`bisect`)."""

from __future__ import annotations

import bisect
import collections
import itertools
from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import IntList, NumberList, StringList

CATEGORY = "collections"

ShortList = Annotated[list[str], Field(min_length=2, max_length=5, examples=[["red", "green", "blue"]])]


def sort_numbers(numbers: NumberList, descending: bool = False) -> list[float]:
    """Sort a list of numbers.

    Args:
        numbers: The numbers to sort.
        descending: Whether to sort from largest to smallest.
    """
    return sorted(numbers, reverse=descending)


def unique_items(items: StringList) -> list[str]:
    """Remove duplicates from a list, keeping the first occurrence order.

    Args:
        items: The list of strings.
    """
    return list(dict.fromkeys(items))


def count_occurrences(items: StringList) -> dict[str, int]:
    """Count how many times each item occurs in a list.

    Args:
        items: The list of strings.
    """
    return dict(collections.Counter(items).most_common())


def chunk_list(items: StringList, size: Annotated[int, Field(ge=1, le=10)]) -> list[list[str]]:
    """Split a list into consecutive chunks of a given size (the last may be shorter).

    Args:
        items: The list to split.
        size: The chunk size.
    """
    return [items[i : i + size] for i in range(0, len(items), size)]


def flatten_list(nested: Annotated[list[list[int]], Field(min_length=1, max_length=6)]) -> list[int]:
    """Flatten a list of lists into one list.

    Args:
        nested: The list of integer lists.
    """
    return list(itertools.chain.from_iterable(nested))


def all_combinations(items: ShortList, size: Annotated[int, Field(ge=1, le=5)]) -> list[list[str]]:
    """List all combinations (unordered selections) of a given size from a list.

    Args:
        items: The items to choose from.
        size: How many items each combination holds.
    """
    return [list(c) for c in itertools.combinations(items, size)]


def all_permutations(items: ShortList) -> list[list[str]]:
    """List every ordering of a short list of items.

    Args:
        items: The items to arrange (at most five).
    """
    return [list(p) for p in itertools.permutations(items)]


def cartesian_product(first: ShortList, second: ShortList) -> list[list[str]]:
    """Pair every item of one list with every item of another.

    Args:
        first: The first list.
        second: The second list.
    """
    return [list(p) for p in itertools.product(first, second)]


def running_total(numbers: NumberList) -> list[float]:
    """Compute the cumulative sums of a list of numbers.

    Args:
        numbers: The numbers.
    """
    return [float(x) for x in itertools.accumulate(numbers)]


def pairwise_differences(numbers: NumberList) -> list[float]:
    """Compute the difference between each number and the one before it.

    Args:
        numbers: The numbers.
    """
    return [b - a for a, b in itertools.pairwise(numbers)]


def rotate_list(items: StringList, steps: Annotated[int, Field(ge=-10, le=10)]) -> list[str]:
    """Rotate a list to the right by a number of steps (negative rotates left).

    Args:
        items: The list to rotate.
        steps: Positions to rotate.
    """
    d = collections.deque(items)
    d.rotate(steps)
    return list(d)


def list_intersection(first: IntList, second: IntList) -> list[int]:
    """Find the values present in both lists, sorted.

    Args:
        first: The first list.
        second: The second list.
    """
    return sorted(set(first) & set(second))


def list_difference(first: IntList, second: IntList) -> list[int]:
    """Find the values of the first list that are not in the second, sorted.

    Args:
        first: The first list.
        second: The values to remove.
    """
    return sorted(set(first) - set(second))


def find_insert_position(sorted_numbers: Annotated[list[float], Field(min_length=1, max_length=12, examples=[[1, 3, 5, 7, 9]])], value: float) -> int:
    """Find the index at which a value should be inserted to keep a sorted list sorted.

    Args:
        sorted_numbers: The list, sorted in increasing order.
        value: The value to insert.
    """
    return bisect.bisect_left(sorted(sorted_numbers), value)


def top_k(numbers: NumberList, k: Annotated[int, Field(ge=1, le=10)], order: Literal["largest", "smallest"] = "largest") -> list[float]:
    """Return the k largest or smallest numbers of a list.

    Args:
        numbers: The numbers.
        k: How many to return.
        order: Whether to return the largest or the smallest values.
    """
    return sorted(numbers, reverse=order == "largest")[:k]


def group_by_length(words: StringList) -> dict[str, list[str]]:
    """Group words by their length.

    Args:
        words: The words to group.
    """
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for w in words:
        groups[str(len(w))].append(w)
    return dict(sorted(groups.items(), key=lambda kv: int(kv[0])))


def merge_sorted_lists(first: IntList, second: IntList) -> list[int]:
    """Merge two lists of integers into one sorted list.

    Args:
        first: The first list.
        second: The second list.
    """
    import heapq

    return list(heapq.merge(sorted(first), sorted(second)))


def find_missing_number(numbers: Annotated[list[int], Field(min_length=2, max_length=12, examples=[[1, 2, 4, 5, 6]])]) -> list[int]:
    """Find the integers missing from the range spanned by a list.

    Args:
        numbers: The integers.
    """
    present = set(numbers)
    return [i for i in range(min(numbers), max(numbers) + 1) if i not in present]


def max_subarray_sum(numbers: IntList) -> int:
    """Find the largest sum of a contiguous run of numbers (Kadane's algorithm).

    Args:
        numbers: The integers (may be negative).
    """
    best = cur = numbers[0]
    for x in numbers[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best


def zip_to_dict(keys: Annotated[list[str], Field(min_length=3, max_length=3)], values: Annotated[list[int], Field(min_length=3, max_length=3)]) -> dict[str, int]:
    """Build a mapping from a list of keys and a list of values of the same length.

    Args:
        keys: The keys.
        values: The values, one per key.
    """
    return dict(zip(keys, values, strict=False))

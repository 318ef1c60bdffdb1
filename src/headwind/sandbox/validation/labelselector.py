"""A workload's ``spec.selector`` (a ``metav1.LabelSelector``): its validation, and what it selects.

Why this module exists: an apps workload is refused when its selector is malformed, empty, or does not
select the labels of its own pod template. This is the object form of a selector (``matchLabels`` and
``matchExpressions``) with the apiserver's validation messages; the query-string selectors of list and
watch requests are another grammar with other errors, in :mod:`headwind.sandbox.selectors`.

Non-obvious: a selector that does not validate selects "nothing to compare" (:func:`selects` answers
``None``), so only its own errors are reported, not a template mismatch on top of them; a nil selector
selects nothing. An empty selector is printed the way Go's generated ``String()`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import FieldError, child, forbidden, index, invalid, required
from .metadata import check_labels
from .names import LABEL_VALUE, qualified_name_errors
from .spelling import GoValue
from .values import as_list, as_map, as_str

_VALUES_REQUIRED: Final = {"In": True, "NotIn": True, "Exists": False, "DoesNotExist": False}
_MATCHERS: Final[Mapping[str, Callable[[Mapping[str, Any], str, list[Any]], bool]]] = {
    "In": lambda labels, key, values: key in labels and labels[key] in values,
    "NotIn": lambda labels, key, values: labels.get(key) not in values,
    "Exists": lambda labels, key, values: key in labels,
    "DoesNotExist": lambda labels, key, values: key not in labels,
}
#: Go prints an empty ``*metav1.LabelSelector`` through its generated ``String()``.
EMPTY_SELECTOR: Final = GoValue(
    "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"
)


def selector_errors(selector: Mapping[str, Any], path: str) -> list[FieldError]:
    errors = check_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    for i, requirement in enumerate(as_list(selector.get("matchExpressions"))):
        errors += _requirement_errors(as_map(requirement), index(child(path, "matchExpressions"), i))
    return errors


def _requirement_errors(requirement: Mapping[str, Any], path: str) -> list[FieldError]:
    operator_, values = requirement.get("operator"), as_list(requirement.get("values"))
    errors: list[FieldError] = []
    if operator_ not in _VALUES_REQUIRED:
        errors.append(invalid(child(path, "operator"), operator_, "not a valid selector operator"))
    elif _VALUES_REQUIRED[operator_] and not values:
        errors.append(required(child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif not _VALUES_REQUIRED[operator_] and values:
        detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        errors.append(forbidden(child(path, "values"), detail))
    key = as_str(requirement.get("key"))
    errors += [invalid(child(path, "key"), key, message) for message in qualified_name_errors(key)]
    for i, value in enumerate(values):
        shown = index(child(path, "values"), i)
        errors += [invalid(shown, value, message) for message in LABEL_VALUE.errors(str(value))]
    return errors


def selects(selector: Any, labels: Mapping[str, Any]) -> bool | None:
    """Whether ``selector`` matches ``labels``; ``None`` when it does not parse (nothing to compare)."""
    if selector is None:
        return False  # a nil selector selects nothing
    rules = as_map(selector)
    if selector_errors(rules, ""):
        return None
    expressions = [as_map(expression) for expression in as_list(rules.get("matchExpressions"))]
    return all(labels.get(key) == value for key, value in as_map(rules.get("matchLabels")).items()) and all(
        _MATCHERS[e["operator"]](labels, as_str(e.get("key")), as_list(e.get("values"))) for e in expressions
    )


def is_empty_selector(selector: Mapping[str, Any]) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")

"""Label and field selectors behave like kube-apiserver's (k8s.io/apimachinery labels and fields)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.sandbox.selectors import (
    FieldSelector,
    LabelSelector,
    Operator,
    Requirement,
    SelectorError,
    object_fields,
    supported_fields,
)

# --------------------------------------------------------------------------------------------------
# Label selectors: matching
# --------------------------------------------------------------------------------------------------

APP_WEB = {"app": "web", "tier": "front"}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app", APP_WEB, True),
        ("app", {}, False),
        ("!app", APP_WEB, False),
        ("!app", {}, True),
        ("app=web", APP_WEB, True),
        ("app==web", APP_WEB, True),
        ("app=db", APP_WEB, False),
        ("app=web,tier=front", APP_WEB, True),
        ("app=web,tier=back", APP_WEB, False),
        ("app!=db", APP_WEB, True),
        ("app!=web", APP_WEB, False),
        ("app in (web,db)", APP_WEB, True),
        ("app in (db)", APP_WEB, False),
        ("app notin (db)", APP_WEB, True),
        ("app notin (web,db)", APP_WEB, False),
        ("rank>3", {"rank": "4"}, True),
        ("rank>3", {"rank": "3"}, False),
        ("rank<3", {"rank": "-7"}, True),
        ("rank<3", {"rank": "+2"}, True),
    ],
)
def test_label_selector_matches_like_the_apiserver(
    selector: str, labels: dict[str, str], expected: bool
) -> None:
    assert LabelSelector.parse(selector).matches(labels) is expected


@pytest.mark.parametrize("selector", ["app!=db", "app notin (db,web)"])
def test_not_equal_and_notin_match_objects_without_the_label(selector: str) -> None:
    assert LabelSelector.parse(selector).matches({"other": "x"})


@pytest.mark.parametrize("selector", ["app=web", "app==web", "app in (web)"])
def test_equality_and_in_require_the_label(selector: str) -> None:
    assert not LabelSelector.parse(selector).matches({})


@pytest.mark.parametrize(
    "labels", [{}, {"rank": "high"}, {"rank": "1_000"}, {"rank": " 5"}, {"rank": "9" * 20}]
)
def test_numeric_comparison_never_matches_missing_or_non_int64_labels(labels: dict[str, str]) -> None:
    assert not LabelSelector.parse("rank>0").matches(labels)
    assert not LabelSelector.parse("rank<0").matches(labels)


@pytest.mark.parametrize("text", [None, "", "   ", "\t\n"])
def test_empty_selector_selects_everything(text: str | None) -> None:
    selector = LabelSelector.parse(text)
    assert selector.is_everything
    assert selector.matches({}) and selector.matches(None) and selector.matches(APP_WEB)


def test_whitespace_around_tokens_is_tolerated() -> None:
    assert LabelSelector.parse("  app = web ,  tier  in ( front , back ) ") == LabelSelector.parse(
        "app=web,tier in (front,back)"
    )


def test_in_and_notin_are_ordinary_keys_outside_operator_position() -> None:
    assert LabelSelector.parse("in,notin=x").matches({"in": "", "notin": "x"})
    assert LabelSelector.parse("app in (in,notin)").matches({"app": "notin"})


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=", {"app": ""}, True),
        ("app=", {"app": "web"}, False),
        ("app=,tier=front", {"app": "", "tier": "front"}, True),
        ("app!=", {"app": "web"}, True),
        ("app in ()", {"app": ""}, True),
        ("app in (web,)", {"app": ""}, True),
        ("app in (,web)", {"app": "web"}, True),
    ],
)
def test_missing_values_mean_the_empty_string(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert LabelSelector.parse(selector).matches(labels) is expected


def test_prefixed_keys_are_accepted() -> None:
    selector = LabelSelector.parse("app.kubernetes.io/name=web,!example.com/skip")
    assert selector.matches({"app.kubernetes.io/name": "web"})
    assert not selector.matches({"app.kubernetes.io/name": "web", "example.com/skip": "1"})


# --------------------------------------------------------------------------------------------------
# Label selectors: errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"),
        ("!app=web", "found '=', expected: ',' or 'end of string'"),
        ("app=web tier", "found 'tier', expected: ',' or 'end of string'"),
        (",app", "found ',', expected: !, identifier, or 'end of string'"),
        ("app,", "found '', expected: identifier after ','"),
        ("app,,tier", "found ',', expected: identifier after ','"),
        ("=web", "found '=', expected: !, identifier, or 'end of string'"),
        ("app in web", "found 'web' expected: '('"),
        ("app in (web db)", "found 'db', expected: ',' or ')'"),
        ("app in (web", "found '', expected: ',' or ')'"),
        ("app in (,,)", "found ')', expected: ',', or identifier"),
        ("app==web==db", "found '==', expected: ',' or 'end of string'"),
        ("app=(web)", "found '(', expected: identifier"),
        ("!!app", "found '!', expected: identifier"),
        ("rank>high", "for 'Gt', 'Lt' operators, the value must be an integer"),
        ("rank>", "for 'Gt', 'Lt' operators, the value must be an integer"),
        ("-app=web", 'key: Invalid value: "-app"'),
        ("a/b/c", 'key: Invalid value: "a/b/c"'),
        ("Example.com/app", "prefix part a lowercase RFC 1123 subdomain"),
        ("/app", "prefix part must be non-empty"),
        ("example.com/", "name part must be non-empty"),
        ("a" * 64, "name part must be no more than 63 characters"),
        ("app=" + "v" * 64, "must be no more than 63 characters"),
        ("app=web_", 'values[0][app]: Invalid value: "web_"'),
        ("app in (ok,-bad)", 'Invalid value: "-bad"'),
    ],
)
def test_invalid_label_selector_raises_a_readable_selector_error(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        LabelSelector.parse(text)
    assert message in str(caught.value)


def test_requirement_errors_are_prefixed_like_the_apiserver() -> None:
    with pytest.raises(SelectorError, match=r"^unable to parse requirement: "):
        LabelSelector.parse("app=web,tier in (a b)")


def test_selector_error_is_a_value_error() -> None:
    assert issubclass(SelectorError, ValueError)


@pytest.mark.parametrize(
    ("operator", "values"),
    [
        (Operator.IN, ()),
        (Operator.NOT_IN, ()),
        (Operator.EQUALS, ("a", "b")),
        (Operator.EXISTS, ("a",)),
        (Operator.GREATER_THAN, ("1", "2")),
    ],
)
def test_requirement_rejects_the_wrong_number_of_values(operator: Operator, values: tuple[str, ...]) -> None:
    with pytest.raises(SelectorError):
        Requirement.create("app", operator, values)


# --------------------------------------------------------------------------------------------------
# Label selectors: rendering
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("tier=front,app=web", "app=web,tier=front"),
        ("app in (db,web,db)", "app in (db,web)"),
        ("app notin (b,a)", "app notin (a,b)"),
        ("app==web", "app==web"),
        ("!b,a", "a,!b"),
        ("rank > 3", "rank>3"),
        ("app in ()", "app in ()"),
    ],
)
def test_str_sorts_requirements_by_key_and_values(text: str, rendered: str) -> None:
    assert str(LabelSelector.parse(text)) == rendered
    assert LabelSelector.parse(rendered) == LabelSelector.parse(text)


# --------------------------------------------------------------------------------------------------
# metav1.LabelSelector objects
# --------------------------------------------------------------------------------------------------


def test_null_label_selector_object_selects_nothing() -> None:
    selector = LabelSelector.from_object(None)
    assert not selector.is_everything
    assert not selector.matches({}) and not selector.matches(APP_WEB)


@pytest.mark.parametrize("obj", [{}, {"matchLabels": {}}, {"matchLabels": None, "matchExpressions": []}])
def test_empty_label_selector_object_selects_everything(obj: dict[str, Any]) -> None:
    selector = LabelSelector.from_object(obj)
    assert selector.is_everything and selector.matches({})


@pytest.mark.parametrize(
    ("obj", "labels", "expected"),
    [
        ({"matchLabels": {"app": "web"}}, APP_WEB, True),
        ({"matchLabels": {"app": "db"}}, APP_WEB, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]}, APP_WEB, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, APP_WEB, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, APP_WEB, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist", "values": None}]}, APP_WEB, False),
        (
            {
                "matchLabels": {"tier": "front"},
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}],
            },
            APP_WEB,
            False,
        ),
    ],
)
def test_label_selector_object_matches_like_label_selector_as_selector(
    obj: dict[str, Any], labels: dict[str, str], expected: bool
) -> None:
    assert LabelSelector.from_object(obj).matches(labels) is expected


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]},
            '"Equals" is not a valid',
        ),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}, "values set can't be empty"),
        ({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}, "must be empty"),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": "web"}]}, "list of strings"),
        ({"matchExpressions": ["app"]}, "must be objects"),
        ({"matchLabels": {"bad key": "x"}}, 'Invalid value: "bad key"'),
        ({"matchLabels": {"app": 3}}, "strings to strings"),
        ({"matchLabels": {"app": "web\n"}}, 'Invalid value: "web\n"'),
        ({"matchLabels": {"app\n": "web"}}, 'Invalid value: "app\n"'),
    ],
)
def test_invalid_label_selector_object_raises_selector_error(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        LabelSelector.from_object(obj)
    assert message in str(caught.value)


def test_label_selector_object_renders_in_query_string_syntax() -> None:
    obj = {
        "matchLabels": {"tier": "front", "app": "web"},
        "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod", "dev"]}],
    }
    assert str(LabelSelector.from_object(obj)) == "app=web,env notin (dev,prod),tier=front"


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

_names = st.from_regex(r"\A[a-z0-9]([-a-z0-9_.]{0,8}[a-z0-9])?\Z")
_keys = st.one_of(
    _names, st.tuples(st.sampled_from(["example.com", "app.kubernetes.io"]), _names).map("/".join)
)
_values = st.one_of(st.just(""), _names)
_label_sets = st.dictionaries(_keys, _values, max_size=5)


@given(match_labels=_label_sets, extra=_label_sets, overrides=_label_sets)
def test_parsed_selector_round_trips_match_labels_semantics(
    match_labels: dict[str, str], extra: dict[str, str], overrides: dict[str, str]
) -> None:
    from_object = LabelSelector.from_object({"matchLabels": match_labels})
    reparsed = LabelSelector.parse(str(from_object))
    for labels in ({**extra, **match_labels}, {**match_labels, **overrides}, extra):
        assert reparsed.matches(labels) == from_object.matches(labels)
    assert reparsed.matches({**extra, **match_labels})


@given(st.text(alphabet=st.sampled_from(list("ab=!(),<>in o-/.1 \t")) | st.characters(), max_size=30))
def test_parse_either_succeeds_or_raises_selector_error(text: str) -> None:
    try:
        selector = LabelSelector.parse(text)
    except SelectorError:
        return
    assert LabelSelector.parse(str(selector)) == selector


# --------------------------------------------------------------------------------------------------
# Field selectors
# --------------------------------------------------------------------------------------------------

POD_FIELDS = supported_fields("Pod")
RUNNING_POD = {
    "metadata": {"name": "web-1", "namespace": "prod"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.7"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata.name=web-1", True),
        ("metadata.name==web-1", True),
        ("metadata.name!=web-1", False),
        ("metadata.name=web-2", False),
        ("status.phase=Running,spec.nodeName=node-a", True),
        ("status.phase=Running,spec.nodeName!=node-a", False),
        ("spec.nodeName=", False),
        ("status.nominatedNodeName=", True),
        ("spec.hostNetwork=false", True),
        ("", True),
        ("metadata.namespace=prod,,", True),
    ],
)
def test_field_selector_matches_the_pod_field_set(text: str, expected: bool) -> None:
    fields = object_fields("Pod", RUNNING_POD)
    assert FieldSelector.parse(text, POD_FIELDS).matches(fields) is expected


def test_field_absent_from_the_field_set_reads_as_empty() -> None:
    selector = FieldSelector.parse("metadata.namespace=", {"metadata.namespace"})
    assert selector.matches({})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"metadata.name=a\,b", "a,b"),
        (r"metadata.name=a\=b", "a=b"),
        (r"metadata.name=a\\b", "a\\b"),
        ("metadata.name==x", "x"),
    ],
)
def test_field_selector_values_unescape(text: str, value: str) -> None:
    assert FieldSelector.parse(text, POD_FIELDS).matches({"metadata.name": value})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spec.containers=x", "field label not supported: spec.containers"),
        ("metadata.name = web-1", "field label not supported: metadata.name "),
        ("zeta=1,alpha=1", "field label not supported: alpha"),
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ("metadata.name=a,b", "invalid selector: 'metadata.name=a,b'; can't understand 'b'"),
        (r"metadata.name=a\x", r"invalid field selector: invalid escape sequence: \x"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: ="),
    ],
)
def test_invalid_field_selector_raises_the_apiserver_message(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        FieldSelector.parse(text, POD_FIELDS)
    assert str(caught.value) == message


def test_field_selector_renders_with_escapes_and_round_trips() -> None:
    selector = FieldSelector.parse(r"metadata.name=a\,b\=c,status.phase!=Failed", POD_FIELDS)
    assert str(selector) == r"metadata.name=a\,b\=c,status.phase!=Failed"
    assert FieldSelector.parse(str(selector), POD_FIELDS) == selector


def test_requires_exact_match_reports_the_pinned_value() -> None:
    selector = FieldSelector.parse("metadata.name=web-1,status.phase!=Failed", POD_FIELDS)
    assert selector.requires_exact_match("metadata.name") == "web-1"
    assert selector.requires_exact_match("status.phase") is None
    assert FieldSelector.parse(None, POD_FIELDS).is_everything


# --------------------------------------------------------------------------------------------------
# Selectable fields per kind
# --------------------------------------------------------------------------------------------------

CORE_EVENT = {
    "metadata": {"name": "web.1", "namespace": "prod"},
    "involvedObject": {"kind": "Pod", "name": "web", "namespace": "prod", "uid": "u1", "apiVersion": "v1"},
    "reason": "Started",
    "type": "Normal",
    "source": {"component": "kubelet"},
    "reportingComponent": "kubelet-x",
}
NEW_EVENT = {
    "metadata": {"name": "web.1", "namespace": "prod"},
    "regarding": {"kind": "Deployment", "name": "web", "fieldPath": "spec"},
    "reason": "Scaled",
    "type": "Normal",
    "reportingController": "headwind",
}


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [
        (
            "Event",
            CORE_EVENT,
            {"involvedObject.kind": "Pod", "involvedObject.uid": "u1", "source": "kubelet"},
        ),
        ("Event", CORE_EVENT, {"reportingComponent": "kubelet-x", "involvedObject.fieldPath": ""}),
        ("Event", {**CORE_EVENT, "source": {}}, {"source": "kubelet-x"}),
        (
            "events.k8s.io/Event",
            NEW_EVENT,
            {
                "regarding.kind": "Deployment",
                "regarding.fieldPath": "spec",
                "reportingController": "headwind",
            },
        ),
        (
            "Pod",
            RUNNING_POD,
            {"spec.nodeName": "node-a", "status.podIP": "10.0.0.7", "spec.schedulerName": ""},
        ),
        ("Pod", {"status": {"podIPs": [{"ip": "fd00::1"}]}}, {"status.podIP": "fd00::1"}),
        ("Pod", {"spec": {"hostNetwork": True}}, {"spec.hostNetwork": "true"}),
        ("Pod", {}, {"spec.hostNetwork": "false", "status.phase": "", "metadata.name": ""}),
        ("Secret", {"type": "kubernetes.io/tls"}, {"type": "kubernetes.io/tls"}),
        (
            "Namespace",
            {"metadata": {"name": "prod"}, "status": {"phase": "Terminating"}},
            {"status.phase": "Terminating"},
        ),
        ("ReplicaSet", {"status": {"replicas": 3}}, {"status.replicas": "3"}),
        ("ReplicaSet", {}, {"status.replicas": "0"}),
        ("Job", {"status": {"succeeded": 2}}, {"status.successful": "2"}),
        ("Job", {}, {"status.successful": "0"}),
        ("Node", {"spec": {"unschedulable": True}}, {"spec.unschedulable": "true"}),
        ("Node", {}, {"spec.unschedulable": "false"}),
        (
            "ConfigMap",
            {"metadata": {"name": "c", "namespace": "n"}},
            {"metadata.name": "c", "metadata.namespace": "n"},
        ),
    ],
)
def test_object_fields_expose_what_the_registry_selects_on(
    kind: str, obj: dict[str, Any], expected: dict[str, str]
) -> None:
    fields = object_fields(kind, obj)
    assert {key: fields[key] for key in expected} == expected


@pytest.mark.parametrize(
    "kind", ["Event", "events.k8s.io/Event", "Pod", "Secret", "ReplicaSet", "Job", "Widget"]
)
def test_supported_fields_are_the_object_field_keys_including_metadata(kind: str) -> None:
    assert supported_fields(kind) == set(object_fields(kind, {}))
    assert {"metadata.name", "metadata.namespace"} <= supported_fields(kind)


@pytest.mark.parametrize("kind", ["Namespace", "Node"])
def test_cluster_scoped_builtins_do_not_support_metadata_namespace(kind: str) -> None:
    assert "metadata.namespace" not in supported_fields(kind)
    with pytest.raises(SelectorError, match=r"^field label not supported: metadata\.namespace$"):
        FieldSelector.parse("metadata.namespace=x", supported_fields(kind))


def test_unknown_kinds_select_on_metadata_only() -> None:
    assert supported_fields("example.com/Widget") == {"metadata.name", "metadata.namespace"}


def test_events_k8s_io_view_uses_regarding_not_involved_object() -> None:
    fields = supported_fields("events.k8s.io/Event")
    assert "regarding.uid" in fields and "involvedObject.uid" not in fields and "source" not in fields

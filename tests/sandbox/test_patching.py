"""Tests of the sandbox's PATCH semantics against what kube-apiserver does.

Expected results come from the apimachinery strategicpatch test cases, the Kubernetes docs and
RFC 6902/7386, not from reading our implementation.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.sandbox.patching import PatchError, json_patch, merge_patch, strategic_merge_patch

# --------------------------------------------------------------------------- fixtures


def deployment() -> dict[str, Any]:
    """A live Deployment with two containers, the usual target of kubectl and operator patches."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web", "tier": "front"},
            "finalizers": ["a.example.com/x", "b.example.com/y"],
        },
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "app:1",
                            "args": ["--a", "--b"],
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        },
                        {"name": "side", "image": "side:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                },
            },
        },
    }


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in containers(obj) if c["name"] == name)


def pod_spec_patch(spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": spec}}}


def dollar_keys(value: Any) -> list[str]:
    """Every key starting with `$` anywhere in a JSON value."""
    if isinstance(value, dict):
        own = [key for key in value if key.startswith("$")]
        return own + [found for item in value.values() for found in dollar_keys(item)]
    if isinstance(value, list):
        return [found for item in value for found in dollar_keys(item)]
    return []


# --------------------------------------------------------------------------- strategic: keyed lists


def test_strategic_patch_of_one_container_keeps_the_other_containers_and_ports() -> None:
    live = deployment()
    patched = strategic_merge_patch(live, pod_spec_patch({"containers": [{"name": "app", "image": "app:2"}]}))

    assert [c["name"] for c in containers(patched)] == ["app", "side"]
    app = container(patched, "app")
    assert app["image"] == "app:2"
    assert app["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert container(patched, "side") == {"name": "side", "image": "side:1"}


def test_strategic_patch_merges_env_by_name_inside_the_named_container() -> None:
    patch = pod_spec_patch({"containers": [{"name": "app", "env": [{"name": "B", "value": "20"}]}]})

    patched = strategic_merge_patch(deployment(), patch)

    assert container(patched, "app")["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "20"}]
    assert container(patched, "app")["image"] == "app:1"


def test_strategic_patch_adds_a_new_container_before_the_existing_ones_like_the_apiserver() -> None:
    # The kubectl patch task in the Kubernetes docs shows the added redis container listed first.
    patched = strategic_merge_patch(
        deployment(), pod_spec_patch({"containers": [{"name": "new", "image": "n"}]})
    )

    assert [c["name"] for c in containers(patched)] == ["new", "app", "side"]


def test_strategic_patch_adds_a_new_env_var_where_the_patch_places_it() -> None:
    patch = pod_spec_patch(
        {"containers": [{"name": "app", "env": [{"name": "B"}, {"name": "C", "value": "3"}]}]}
    )

    patched = strategic_merge_patch(deployment(), patch)

    assert [e["name"] for e in container(patched, "app")["env"]] == ["A", "B", "C"]


ORDER_CASES = [
    # (live list, patch list, resulting merge-key order); from apimachinery's patch_test.go
    pytest.param([1, 2, 3], [3, 1, 2], [3, 1, 2], id="patch order wins for the elements it names"),
    pytest.param([1, 2, 3], [3, 1], [2, 3, 1], id="unnamed element stays before later named ones"),
    pytest.param([1, 2], [2, 3], [1, 2, 3], id="new element after a named one follows it"),
    pytest.param([1, 2], [3], [3, 1, 2], id="lone new element goes first"),
    pytest.param([], [1, 2], [1, 2], id="empty live list takes the patch"),
]


@pytest.mark.parametrize(("live", "patch", "expected"), ORDER_CASES)
def test_strategic_patch_orders_keyed_lists_like_go_normalize_element_order(
    live: list[int], patch: list[int], expected: list[int]
) -> None:
    target = {"conditions": [{"type": f"T{n}", "status": "True"} for n in live]}
    body = {"conditions": [{"type": f"T{n}", "reason": "x"} for n in patch]}

    patched = strategic_merge_patch(target, body)

    assert [c["type"] for c in patched["conditions"]] == [f"T{n}" for n in expected]
    assert all(c["reason"] == "x" for c in patched["conditions"] if int(c["type"][1:]) in patch)


MERGE_KEY_CASES = [
    pytest.param("containers", "name", id="containers"),
    pytest.param("initContainers", "name", id="initContainers"),
    pytest.param("ephemeralContainers", "name", id="ephemeralContainers"),
    pytest.param("env", "name", id="env"),
    pytest.param("volumes", "name", id="volumes"),
    pytest.param("imagePullSecrets", "name", id="imagePullSecrets"),
    pytest.param("resourceClaims", "name", id="resourceClaims"),
    pytest.param("schedulingGates", "name", id="schedulingGates"),
    pytest.param("volumeMounts", "mountPath", id="volumeMounts"),
    pytest.param("volumeDevices", "devicePath", id="volumeDevices"),
    pytest.param("ports", "containerPort", id="container ports"),
    pytest.param("ports", "port", id="service ports"),
    pytest.param("hostAliases", "ip", id="hostAliases"),
    pytest.param("topologySpreadConstraints", "topologyKey", id="topologySpreadConstraints"),
    pytest.param("conditions", "type", id="conditions"),
    pytest.param("ownerReferences", "uid", id="ownerReferences"),
]


@pytest.mark.parametrize(("field", "key"), MERGE_KEY_CASES)
def test_strategic_patch_merges_each_keyed_field_by_its_merge_key(field: str, key: str) -> None:
    target = {"x": {field: [{key: "k1", "old": 1}, {key: "k2", "old": 2}]}}

    patched = strategic_merge_patch(target, {"x": {field: [{key: "k2", "new": 3}]}})

    assert patched["x"][field] == [{key: "k1", "old": 1}, {key: "k2", "old": 2, "new": 3}]


def test_strategic_patch_of_service_ports_merges_by_port() -> None:
    service = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"port": 443}]}}

    patched = strategic_merge_patch(service, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}})

    assert patched["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 9090}, {"port": 443}]


def test_strategic_patch_replaces_a_primitive_list_without_merge_strategy() -> None:
    patched = strategic_merge_patch(
        deployment(), pod_spec_patch({"containers": [{"name": "app", "args": ["--c"]}]})
    )

    assert container(patched, "app")["args"] == ["--c"]


def test_strategic_patch_replaces_a_list_of_maps_without_merge_key() -> None:
    patched = strategic_merge_patch(deployment(), pod_spec_patch({"tolerations": [{"key": "other"}]}))

    assert patched["spec"]["template"]["spec"]["tolerations"] == [{"key": "other"}]


# --------------------------------------------------------------------------- strategic: primitive lists


@pytest.mark.parametrize(
    ("live", "patch", "expected"),
    [
        pytest.param(["a", "b"], ["b", "c"], ["a", "b", "c"], id="union keeps order and appends after b"),
        pytest.param(["a", "b"], ["a"], ["a", "b"], id="existing value changes nothing"),
        pytest.param(["a", "b"], ["c"], ["c", "a", "b"], id="lone new value goes first as in Go"),
        pytest.param(["a"], ["b", "b"], ["b", "a"], id="duplicates in the patch collapse"),
    ],
)
def test_strategic_patch_merges_finalizers_as_a_set(
    live: list[str], patch: list[str], expected: list[str]
) -> None:
    patched = strategic_merge_patch({"metadata": {"finalizers": live}}, {"metadata": {"finalizers": patch}})

    assert patched["metadata"]["finalizers"] == expected


def test_strategic_patch_delete_from_primitive_list_removes_the_finalizer() -> None:
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.example.com/x"]}}

    patched = strategic_merge_patch(deployment(), patch)

    assert patched["metadata"]["finalizers"] == ["b.example.com/y"]


def test_strategic_patch_can_add_and_delete_primitive_values_in_one_patch() -> None:
    # apimachinery "add and delete items in lists of scalars", applied to the live list [1, 2, 3, 4].
    patch = {
        "$setElementOrder/finalizers": ["1", "2", "4"],
        "$deleteFromPrimitiveList/finalizers": ["3"],
        "finalizers": ["4"],
    }

    assert strategic_merge_patch({"finalizers": ["1", "2", "3", "4"]}, patch) == {
        "finalizers": ["1", "2", "4"]
    }


# --------------------------------------------------------------------------- strategic: maps and nulls


def test_strategic_patch_null_deletes_a_key_and_leaves_siblings() -> None:
    patched = strategic_merge_patch(deployment(), {"metadata": {"labels": {"tier": None, "new": "x"}}})

    assert patched["metadata"]["labels"] == {"app": "web", "new": "x"}


def test_strategic_patch_null_for_an_absent_key_adds_nothing() -> None:
    patched = strategic_merge_patch({"a": 1}, {"b": None, "c": {"d": None, "e": 1}})

    assert patched == {"a": 1, "c": {"e": 1}}


def test_strategic_patch_of_a_scalar_with_a_map_replaces_it() -> None:
    assert strategic_merge_patch({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}


def test_strategic_patch_replace_directive_in_a_map_replaces_the_map() -> None:
    patch = {"metadata": {"labels": {"$patch": "replace", "only": "this"}}}

    patched = strategic_merge_patch(deployment(), patch)

    assert patched["metadata"]["labels"] == {"only": "this"}


def test_strategic_patch_delete_directive_in_a_map_removes_the_key() -> None:
    patched = strategic_merge_patch(deployment(), {"spec": {"strategy": {"$patch": "delete"}}})

    assert "strategy" not in patched["spec"]
    assert patched["spec"]["replicas"] == 2


def test_strategic_patch_merge_directive_in_a_map_is_the_default() -> None:
    patched = strategic_merge_patch(deployment(), {"metadata": {"labels": {"$patch": "merge", "new": "x"}}})

    assert patched["metadata"]["labels"] == {"app": "web", "tier": "front", "new": "x"}


def test_strategic_patch_of_the_whole_object_with_replace_keeps_only_the_patch() -> None:
    assert strategic_merge_patch({"a": 1, "b": 2}, {"$patch": "replace", "c": 3}) == {"c": 3}


# --------------------------------------------------------------------------- strategic: list directives


def test_strategic_patch_delete_directive_removes_the_named_container() -> None:
    patch = pod_spec_patch({"containers": [{"name": "side", "$patch": "delete"}]})

    patched = strategic_merge_patch(deployment(), patch)

    assert [c["name"] for c in containers(patched)] == ["app"]
    assert container(patched, "app") == container(deployment(), "app")


def test_strategic_patch_delete_directive_for_a_missing_element_changes_nothing() -> None:
    patch = pod_spec_patch({"containers": [{"name": "ghost", "$patch": "delete"}]})

    assert strategic_merge_patch(deployment(), patch) == deployment()


def test_strategic_patch_replace_directive_in_a_list_replaces_the_whole_list() -> None:
    patch = pod_spec_patch({"containers": [{"$patch": "replace"}, {"name": "only", "image": "o"}]})

    patched = strategic_merge_patch(deployment(), patch)

    assert containers(patched) == [{"name": "only", "image": "o"}]


def test_strategic_patch_replace_directive_alone_empties_the_list() -> None:
    patched = strategic_merge_patch(deployment(), pod_spec_patch({"volumes": [{"$patch": "replace"}]}))

    assert patched["spec"]["template"]["spec"]["volumes"] == []


# ------------------------------------------------------------------- strategic: kubectl apply directives


def test_strategic_patch_set_element_order_as_kubectl_sends_it_with_a_changed_container() -> None:
    # kubectl apply after swapping the containers' order and bumping the sidecar image.
    patch = pod_spec_patch(
        {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
            "containers": [{"name": "side", "image": "side:2"}],
        }
    )

    patched = strategic_merge_patch(deployment(), patch)

    assert [c["name"] for c in containers(patched)] == ["side", "app"]
    assert container(patched, "side")["image"] == "side:2"
    assert container(patched, "app") == container(deployment(), "app")
    assert not dollar_keys(patched)


def test_strategic_patch_set_element_order_places_new_elements_where_listed() -> None:
    # apimachinery "merge lists of maps": live [1, 2], order [4, 1, 2, 3], patch adds 4 and 3.
    live = {"volumes": [{"name": "1", "other": "a"}, {"name": "2", "value": "2"}]}
    patch = {
        "$setElementOrder/volumes": [{"name": "4"}, {"name": "1"}, {"name": "2"}, {"name": "3"}],
        "volumes": [{"name": "4", "value": "4"}, {"name": "3", "value": "3"}],
    }

    patched = strategic_merge_patch(live, patch)

    assert patched == {
        "volumes": [
            {"name": "4", "value": "4"},
            {"name": "1", "other": "a"},
            {"name": "2", "value": "2"},
            {"name": "3", "value": "3"},
        ]
    }


def test_strategic_patch_set_element_order_keeps_server_only_elements_in_their_live_place() -> None:
    # "injected" was added by someone else; kubectl's order only names the elements it manages.
    live = {"containers": [{"name": "injected"}, {"name": "app"}, {"name": "side"}]}
    patch = {"$setElementOrder/containers": [{"name": "app"}, {"name": "side"}]}

    patched = strategic_merge_patch(live, patch)

    assert [c["name"] for c in patched["containers"]] == ["injected", "app", "side"]


def test_strategic_patch_set_element_order_with_deletion_drops_the_container() -> None:
    patch = pod_spec_patch(
        {
            "$setElementOrder/containers": [{"name": "app"}],
            "containers": [{"name": "side", "$patch": "delete"}],
        }
    )

    patched = strategic_merge_patch(deployment(), patch)

    assert [c["name"] for c in containers(patched)] == ["app"]


def test_strategic_patch_rejects_a_patch_list_out_of_set_element_order() -> None:
    live = {"env": [{"name": "1"}, {"name": "3"}, {"name": "2"}]}
    patch = {
        "$setElementOrder/env": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
        "env": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}],
    }

    with pytest.raises(PatchError, match="doesn't match") as caught:
        strategic_merge_patch(live, patch)
    assert caught.value.status == 400


def test_strategic_patch_retain_keys_drops_rolling_update_when_switching_to_recreate() -> None:
    patch = {"spec": {"strategy": {"type": "Recreate", "$retainKeys": ["type"], "rollingUpdate": None}}}

    patched = strategic_merge_patch(deployment(), patch)

    assert patched["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_patch_retain_keys_alone_drops_unlisted_live_keys() -> None:
    patched = strategic_merge_patch(
        deployment(), {"spec": {"strategy": {"type": "Recreate", "$retainKeys": ["type"]}}}
    )

    assert patched["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_patch_retain_keys_must_list_every_key_the_patch_sets() -> None:
    with pytest.raises(PatchError, match="retainKeys") as caught:
        strategic_merge_patch(deployment(), {"spec": {"strategy": {"type": "Recreate", "$retainKeys": []}}})
    assert caught.value.status == 400


def test_strategic_patch_retain_keys_in_a_volume_switches_its_source() -> None:
    # kubectl apply after changing volume "data" from emptyDir to a configMap.
    patch = pod_spec_patch(
        {
            "$setElementOrder/volumes": [{"name": "data"}],
            "volumes": [{"name": "data", "configMap": {"name": "c"}, "$retainKeys": ["configMap", "name"]}],
        }
    )

    patched = strategic_merge_patch(deployment(), patch)

    assert patched["spec"]["template"]["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "c"}}]


def test_strategic_patch_result_never_contains_directives() -> None:
    # Directives inside values the live object does not have yet must vanish too.
    patch = pod_spec_patch(
        {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "side"}, {"name": "new"}],
            "containers": [
                {"name": "new", "image": "n", "env": [{"name": "X", "$patch": "delete"}, {"name": "Y"}]},
            ],
            "$setElementOrder/volumes": [{"name": "data"}, {"name": "cfg"}],
            "volumes": [{"name": "cfg", "configMap": {"name": "c"}, "$retainKeys": ["configMap", "name"]}],
            "securityContext": {"$patch": "replace", "runAsUser": 1},
            "affinity": {"$patch": "delete"},
            "dnsConfig": {"$retainKeys": ["options"], "options": [{"name": "ndots"}]},
        }
    )

    patched = strategic_merge_patch(deployment(), patch)

    assert dollar_keys(patched) == []
    spec = patched["spec"]["template"]["spec"]
    assert container(patched, "new")["env"] == [{"name": "Y"}]
    assert spec["securityContext"] == {"runAsUser": 1}
    assert "affinity" not in spec
    assert [c["name"] for c in containers(patched)] == ["app", "side", "new"]


# --------------------------------------------------------------------------- strategic: errors


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([{"op": "add"}], id="array"),
        pytest.param("spec", id="string"),
        pytest.param(3, id="number"),
        pytest.param(None, id="null"),
    ],
)
def test_strategic_patch_body_must_be_an_object(body: Any) -> None:
    with pytest.raises(PatchError) as caught:
        strategic_merge_patch(deployment(), body)
    assert caught.value.status == 400


def test_strategic_patch_keeps_dollar_keys_that_are_not_directives_as_data() -> None:
    """As Go does: a CRD schema's `$schema`, say, is data, not an instruction."""
    patched = strategic_merge_patch({"spec": {"a": 1}}, {"spec": {"$schema": "x", "new": {"$ref": "y"}}})
    assert patched == {"spec": {"a": 1, "$schema": "x", "new": {"$ref": "y"}}}


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"metadata": {"$setElementOrder": []}}, id="order directive naming no field"),
        pytest.param({"metadata": {"labels": {"$patch": "bogus"}}}, id="unknown map patch type"),
        pytest.param(
            pod_spec_patch({"containers": [{"name": "app", "$patch": "merge"}]}), id="merge in list"
        ),
        pytest.param(
            pod_spec_patch({"containers": [{"name": "app", "$patch": "x"}]}), id="unknown list type"
        ),
        pytest.param({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, id="deletion list not list"),
        pytest.param({"spec": {"$retainKeys": "type"}}, id="retainKeys not a list"),
    ],
)
def test_strategic_patch_rejects_unknown_or_malformed_directives_with_400(patch: dict[str, Any]) -> None:
    with pytest.raises(PatchError) as caught:
        strategic_merge_patch(deployment(), patch)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "element",
    [
        pytest.param({"image": "nginx"}, id="ordinary element"),
        pytest.param({"$patch": "delete"}, id="delete directive"),
    ],
)
def test_strategic_patch_element_without_merge_key_is_422(element: dict[str, Any]) -> None:
    with pytest.raises(PatchError, match="does not contain declared merge key: name") as caught:
        strategic_merge_patch(deployment(), pod_spec_patch({"containers": [element]}))
    assert caught.value.status == 422
    assert caught.value.message.startswith("map: map[")


def test_strategic_patch_rejects_lists_of_lists_in_merged_lists_with_422() -> None:
    with pytest.raises(PatchError, match="lists of lists") as caught:
        strategic_merge_patch(deployment(), {"metadata": {"finalizers": [["x"]]}})
    assert caught.value.status == 422


# --------------------------------------------------------------------------- inputs are never touched


def test_no_patch_function_modifies_its_inputs_or_shares_structure_with_the_result() -> None:
    smp = pod_spec_patch(
        {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
            "containers": [
                {"name": "app", "env": [{"name": "C", "value": "3"}]},
                {"name": "x", "$patch": "delete"},
            ],
            "tolerations": [{"key": "t"}],
        }
    )
    cases: list[tuple[Any, dict[str, Any], Any]] = [
        (strategic_merge_patch, deployment(), smp),
        (merge_patch, deployment(), {"spec": {"template": {"spec": {"tolerations": [{"key": "t"}]}}}}),
        (json_patch, deployment(), [{"op": "add", "path": "/spec/x", "value": {"deep": [1]}}]),
    ]
    for apply, target, patch in cases:
        target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)

        result = apply(target, patch)
        assert (target, patch) == (target_before, patch_before)

        containers(result)[0]["image"] = "mutated"
        result["spec"]["template"]["spec"].setdefault("tolerations", [{}])[0]["key"] = "mutated"
        result["spec"].setdefault("x", {"deep": []})["deep"].append(2)
        assert (target, patch) == (target_before, patch_before)


# --------------------------------------------------------------------------- JSON merge patch


RFC7386_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386_APPENDIX_A)
def test_merge_patch_matches_every_rfc7386_appendix_example(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_merge_patch_replaces_lists_even_keyed_ones() -> None:
    patched = merge_patch(deployment(), pod_spec_patch({"containers": [{"name": "app", "image": "app:2"}]}))

    assert containers(patched) == [{"name": "app", "image": "app:2"}]


# --------------------------------------------------------------------------- JSON patch


JSON_PATCH_CASES = [
    pytest.param({"a": 1}, [{"op": "add", "path": "/b", "value": [1]}], {"a": 1, "b": [1]}, id="add"),
    pytest.param(
        {"a": [1, 3]}, [{"op": "add", "path": "/a/1", "value": 2}], {"a": [1, 2, 3]}, id="add in list"
    ),
    pytest.param({"a": [1]}, [{"op": "add", "path": "/a/-", "value": 2}], {"a": [1, 2]}, id="append"),
    pytest.param({"a": 1, "b": 2}, [{"op": "remove", "path": "/a"}], {"b": 2}, id="remove"),
    pytest.param({"a": 1}, [{"op": "replace", "path": "/a", "value": 5}], {"a": 5}, id="replace"),
    pytest.param(
        {"a": {"x": 1}}, [{"op": "move", "from": "/a/x", "path": "/y"}], {"a": {}, "y": 1}, id="move"
    ),
    pytest.param(
        {"a": {"x": 1}},
        [{"op": "copy", "from": "/a", "path": "/b"}],
        {"a": {"x": 1}, "b": {"x": 1}},
        id="copy",
    ),
    pytest.param(
        {"a": 1},
        [{"op": "test", "path": "/a", "value": 1}, {"op": "remove", "path": "/a"}],
        {},
        id="test then remove",
    ),
    pytest.param(
        {"m": {"a~b": 1, "c/d": 2}},
        [{"op": "remove", "path": "/m/a~0b"}, {"op": "remove", "path": "/m/c~1d"}],
        {"m": {}},
        id="escaped pointers",
    ),
]


@pytest.mark.parametrize(("target", "ops", "expected"), JSON_PATCH_CASES)
def test_json_patch_applies_each_rfc6902_operation(
    target: dict[str, Any], ops: list[Any], expected: Any
) -> None:
    assert json_patch(target, ops) == expected


def test_json_patch_sets_a_container_image_by_index() -> None:
    ops = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "app:2"}]

    assert container(json_patch(deployment(), ops), "app")["image"] == "app:2"


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param([{"op": "test", "path": "/a", "value": 2}], id="failed test"),
        pytest.param([{"op": "test", "path": "/a", "value": True}], id="test of 1 against true"),
        pytest.param([{"op": "remove", "path": "/missing"}], id="remove missing path"),
        pytest.param([{"op": "replace", "path": "/missing", "value": 1}], id="replace missing path"),
        pytest.param([{"op": "add", "path": "/x/y", "value": 1}], id="add under missing parent"),
        pytest.param([{"op": "add", "path": "no-slash", "value": 1}], id="bad pointer"),
        pytest.param([{"path": "/a", "value": 1}], id="no op"),
        pytest.param([{"op": "frobnicate", "path": "/a"}], id="unknown op"),
        pytest.param([{"op": "add", "path": "/b"}], id="add without value"),
        pytest.param([{"op": "replace", "path": "", "value": [1]}], id="root replaced by non-object"),
    ],
)
def test_json_patch_that_does_not_apply_is_422(ops: list[Any]) -> None:
    with pytest.raises(PatchError) as caught:
        json_patch({"a": 1}, ops)
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param({"op": "add", "path": "/a", "value": 1}, id="object body"),
        pytest.param("add", id="string body"),
        pytest.param(["add"], id="list of strings"),
    ],
)
def test_json_patch_body_that_is_not_a_list_of_operations_is_400(ops: Any) -> None:
    with pytest.raises(PatchError, match="cannot unmarshal") as caught:
        json_patch({"a": 1}, ops)
    assert caught.value.status == 400


def test_json_patch_failure_leaves_the_target_untouched() -> None:
    target = {"a": 1}

    with pytest.raises(PatchError):
        json_patch(target, [{"op": "remove", "path": "/a"}, {"op": "remove", "path": "/a"}])

    assert target == {"a": 1}


# --------------------------------------------------------------------------- properties

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
keys = st.text(max_size=6)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
json_values_without_null = st.recursive(
    json_scalars.filter(lambda value: value is not None),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(keys, json_values, max_size=6))
def test_strategic_patch_with_an_empty_patch_is_the_identity(target: dict[str, Any]) -> None:
    assert strategic_merge_patch(target, {}) == target


@given(json_values_without_null)
def test_merge_patch_of_a_document_with_itself_is_the_document(document: Any) -> None:
    assert merge_patch(document, document) == document

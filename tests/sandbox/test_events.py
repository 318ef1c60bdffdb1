"""Events are one set of objects seen through two APIs, as on a real cluster."""

from __future__ import annotations

from kubernetes_asyncio import client


async def test_an_event_written_through_events_k8s_io_is_listed_by_the_core_api(
    kube: client.ApiClient,
) -> None:
    await client.EventsV1Api(kube).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "web.update"},
            "eventTime": "2026-11-21T10:00:00.000000Z",
            "reportingController": "headwind.sh/operator",
            "reportingInstance": "headwind-0",
            "action": "Update",
            "reason": "ImageUpdated",
            "note": "nginx:1.25.3 -> nginx:1.26.0",
            "type": "Normal",
            "regarding": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "web",
                "namespace": "default",
            },
        },
    )
    core = await client.CoreV1Api(kube).list_namespaced_event(
        "default", field_selector="involvedObject.name=web,reason=ImageUpdated"
    )
    (event,) = core.items
    assert event.message == "nginx:1.25.3 -> nginx:1.26.0"
    assert event.involved_object.kind == "Deployment"
    assert event.reporting_component == "headwind.sh/operator"


async def test_a_core_event_is_read_through_events_k8s_io_with_its_new_field_names(
    kube: client.ApiClient,
) -> None:
    await client.CoreV1Api(kube).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "old-style"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
            "reason": "BackOff",
            "message": "Back-off pulling image",
            "type": "Warning",
            "count": 3,
            "source": {"component": "kubelet"},
        },
    )
    # Raw JSON: a core Event has no eventTime, and the generated EventsV1Event model refuses a null
    # one (a client quirk that real clusters trigger too), while the apiserver serves it so.
    raw = await client.EventsV1Api(kube).list_namespaced_event(
        "default", field_selector="regarding.name=web-1", _preload_content=False
    )
    (event,) = (await raw.json())["items"]
    assert event["note"] == "Back-off pulling image"
    assert event["deprecatedCount"] == 3
    assert event["reportingController"] == "kubelet"
    assert event["regarding"]["kind"] == "Pod"

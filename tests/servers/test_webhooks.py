"""``POST /webhook/<source>``: what each kind of request is answered, through real HTTP.

The webhook routes run in a real aiohttp server with the real parsers and the real intake (its
catalog and an empty set of workloads), so these tests see exactly what a registry sees. The
end-to-end path into the dispatcher is tested in ``tests/app/test_webhooks_e2e.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from headwind.adapters.metrics import Metrics
from headwind.adapters.webhook_secrets import WebhookSecrets
from headwind.model import webhook_auth
from headwind.model.pushes import PushEvent
from headwind.model.webhook_auth import Credentials, WebhookAuth, sign
from headwind.model.webhooks.sources import PARSERS
from headwind.servers.webhooks import webhook_routes
from headwind.services.catalog import TagCatalog
from headwind.services.intake import PushIntake, Refused, Taken

CORPUS = Path(__file__).resolve().parents[1] / "data" / "webhooks"
DOCKERHUB = {"push_data": {"tag": "1.2.3"}, "repository": {"repo_name": "team/app"}}
TOKEN, SECRET = "s3cret-token", "hmac-secret"


class Recording:
    """The real intake, remembering what it was given; ``refuse`` makes it answer like a busy leader."""

    def __init__(self) -> None:
        self.catalog = TagCatalog()
        self.real = PushIntake(self.catalog, {}, lambda key: True, lambda: True)
        self.taken: list[PushEvent] = []
        self.refuse: Refused | None = None

    def take(self, events: Any) -> Taken:
        if self.refuse is not None:
            raise self.refuse
        self.taken.extend(events)
        return self.real.take(events)


Serve = Callable[..., Any]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    """Start webhook routes with the given auth and limit; yields (base URL, intake, metrics)."""
    runners: list[web.AppRunner] = []

    async def start(
        auth: WebhookAuth | None = None, max_body: int = 1 << 20
    ) -> tuple[str, Recording, Metrics]:
        intake, metrics = Recording(), Metrics()
        app = web.Application()
        webhook_routes(intake, lambda: auth or WebhookAuth(), metrics, max_body=max_body)(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}", intake, metrics

    yield start
    for runner in runners:
        await runner.cleanup()


async def post(
    url: str, body: bytes | str | dict[str, Any], *, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json", **(headers or {})}
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=sent) as response:
        return response.status, await response.json(), dict(response.headers)


# --- acceptance ----------------------------------------------------------------------------------


async def test_a_push_is_accepted_with_the_number_of_events(serve: Serve) -> None:
    base, intake, metrics = await serve()

    status, body, _ = await post(f"{base}/webhook/dockerhub", DOCKERHUB)

    assert (status, body) == (202, {"accepted": 1, "workloads": 0})
    assert [str(event) for event in intake.taken] == ["image docker.io/team/app:1.2.3"]
    assert metrics.registry.get_sample_value("headwind_webhook_events_total", {"source": "dockerhub"}) == 1
    assert metrics.registry.get_sample_value("headwind_webhook_events_processed") == 1
    requests = metrics.registry.get_sample_value(
        "headwind_webhook_requests_total", {"source": "dockerhub", "status": "202"}
    )
    assert requests == 1


async def test_every_source_has_an_endpoint(serve: Serve) -> None:
    base, _, _ = await serve()

    for source in PARSERS:
        status, _, _ = await post(f"{base}/webhook/{source}", b"[]")
        assert status in (202, 400), source


async def test_the_distribution_envelope_keeps_the_registry_host(serve: Serve) -> None:
    base, intake, _ = await serve()
    # The notification distribution 2.8 really sent for a push, captured verbatim.
    sample = json.loads((CORPUS / "registry" / "distribution-2.8-oci-push.json").read_text())["body"]
    headers = {"Content-Type": "application/vnd.docker.distribution.events.v1+json"}

    status, body, _ = await post(f"{base}/webhook/registry", json.dumps(sample), headers=headers)

    assert (status, body["accepted"]) == (202, 1)
    assert intake.taken[0].key == "127.0.0.1:5001/team/app"


async def test_an_event_that_is_not_a_push_is_accepted_and_ignored(serve: Serve) -> None:
    base, intake, _ = await serve()
    pull = {
        "events": [{"action": "pull", "target": {"repository": "team/app", "digest": "sha256:" + "a" * 64}}]
    }

    status, body, _ = await post(f"{base}/webhook/registry", pull)

    assert (status, body) == (202, {"accepted": 0, "workloads": 0})
    assert intake.taken == []


async def test_a_body_without_content_type_is_read_as_json(serve: Serve) -> None:
    base, _, _ = await serve()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/webhook/dockerhub",
            data=json.dumps(DOCKERHUB).encode(),
            skip_auto_headers=["Content-Type"],
        ) as response,
    ):
        assert response.status == 202


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
async def test_a_wrong_content_type_is_415(serve: Serve, content_type: str) -> None:
    base, intake, _ = await serve()

    status, body, _ = await post(
        f"{base}/webhook/dockerhub", DOCKERHUB, headers={"Content-Type": content_type}
    )

    assert status == 415
    assert "unsupported content type" in body["message"]
    assert intake.taken == []


async def test_github_form_encoding_is_read_on_the_ghcr_endpoint_only(serve: Serve) -> None:
    base, _, _ = await serve()
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    ghcr, _, _ = await post(f"{base}/webhook/ghcr", "payload=%7B%7D", headers=form)
    other, _, _ = await post(f"{base}/webhook/dockerhub", "payload=%7B%7D", headers=form)

    assert ghcr != 415
    assert other == 415


async def test_a_body_over_the_limit_is_413_with_or_without_content_length(serve: Serve) -> None:
    base, _, _ = await serve(max_body=2048)
    big = json.dumps({**DOCKERHUB, "padding": "x" * 4096}).encode()

    declared, body, _ = await post(f"{base}/webhook/dockerhub", big)

    async def chunks() -> AsyncIterator[bytes]:
        yield big

    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "application/json"}
        async with session.post(f"{base}/webhook/dockerhub", data=chunks(), headers=headers) as response:
            streamed = response.status
    assert declared == streamed == 413
    assert body == {"message": "the body is larger than 2048 bytes"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe\x00", "the body is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"", "the body is not JSON"),
    ],
    ids=["syntax", "encoding", "depth", "empty"],
)
async def test_a_body_that_is_not_json_is_400_saying_why(serve: Serve, body: bytes, message: str) -> None:
    base, _, _ = await serve()

    status, answer, _ = await post(f"{base}/webhook/dockerhub", body)

    assert status == 400
    assert message in answer["message"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"repository": {"repo_name": "team/app"}}, "push_data: required field is missing"),
        ({"push_data": {"tag": 7}, "repository": {"repo_name": "team/app"}}, "push_data.tag"),
        ({"push_data": {"tag": "bad tag"}, "repository": {"repo_name": "team/app"}}, "push_data.tag"),
    ],
)
async def test_a_push_that_cannot_be_read_is_400_naming_the_field(
    serve: Serve, payload: dict[str, Any], message: str
) -> None:
    base, _, _ = await serve()

    status, answer, _ = await post(f"{base}/webhook/dockerhub", payload)

    assert status == 400
    assert message in answer["message"]


@pytest.mark.parametrize(
    ("refusal", "retry_after"),
    [(Refused("not-leader", "not the leader", 2), "2"), (Refused("queue-full", "full", 5), "5")],
)
async def test_when_the_intake_refuses_the_answer_is_503_with_retry_after(
    serve: Serve, refusal: Refused, retry_after: str
) -> None:
    base, intake, metrics = await serve()
    intake.refuse = refusal

    status, body, headers = await post(f"{base}/webhook/dockerhub", DOCKERHUB)

    assert status == 503
    assert headers["Retry-After"] == retry_after
    assert body == {"message": refusal.message}
    rejected = metrics.registry.get_sample_value(
        "headwind_webhook_rejected_total", {"source": "dockerhub", "reason": refusal.reason}
    )
    assert rejected == 1


async def test_a_get_is_405(serve: Serve) -> None:
    base, _, _ = await serve()
    async with aiohttp.ClientSession() as session, session.get(f"{base}/webhook/dockerhub") as response:
        assert response.status == 405


# --- authentication ------------------------------------------------------------------------------

REQUIRED = WebhookAuth(Credentials(TOKEN, SECRET), {}, required=True)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, ""),
        ({"Authorization": TOKEN}, ""),
        ({"X-Headwind-Token": TOKEN}, ""),
        ({"X-Gitlab-Token": TOKEN}, ""),
        ({}, f"?token={TOKEN}"),
    ],
    ids=["bearer", "authorization", "x-headwind-token", "x-gitlab-token", "query"],
)
async def test_the_token_is_accepted_wherever_senders_can_put_it(
    serve: Serve, headers: dict[str, str], query: str
) -> None:
    base, _, _ = await serve(REQUIRED)

    status, _, _ = await post(f"{base}/webhook/dockerhub{query}", DOCKERHUB, headers=headers)

    assert status == 202


def signed(body: bytes, header: str, digest: Any = hashlib.sha256, prefix: str = "sha256=") -> dict[str, str]:
    return {header: prefix + hmac.new(SECRET.encode(), body, digest).hexdigest()}


@pytest.mark.parametrize(
    "header",
    [
        lambda body: signed(body, "X-Hub-Signature-256"),
        lambda body: signed(body, "X-Signature"),
        lambda body: signed(body, "X-Headwind-Signature"),
        lambda body: signed(body, "X-Nexus-Webhook-Signature", hashlib.sha1, ""),
        lambda body: signed(body, "X-JFrog-Event-Auth", prefix=""),
    ],
    ids=["github", "generic", "headwind", "nexus-sha1", "jfrog"],
)
async def test_a_correct_signature_is_accepted_and_a_tampered_body_is_not(
    serve: Serve, header: Callable[[bytes], dict[str, str]]
) -> None:
    base, intake, metrics = await serve(REQUIRED)
    body = json.dumps(DOCKERHUB).encode()
    tampered = body.replace(b"1.2.3", b"6.6.6")

    good, _, _ = await post(f"{base}/webhook/dockerhub", body, headers=header(body))
    bad, answer, _ = await post(f"{base}/webhook/dockerhub", tampered, headers=header(body))

    assert (good, bad) == (202, 401)
    assert answer == {"message": "unauthorized"}
    assert [event.tag for event in intake.taken] == ["1.2.3"]
    assert (
        metrics.registry.get_sample_value("headwind_webhook_auth_failures_total", {"source": "dockerhub"})
        == 1
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"Authorization": ""},
    ],
    ids=["missing", "wrong-token", "wrong-signature", "empty"],
)
async def test_missing_or_wrong_credentials_are_401_and_the_reason_is_only_logged(
    serve: Serve, headers: dict[str, str]
) -> None:
    base, intake, _ = await serve(REQUIRED)

    status, body, _ = await post(f"{base}/webhook/dockerhub", DOCKERHUB, headers=headers)

    assert (status, body) == (401, {"message": "unauthorized"})
    assert intake.taken == []


async def test_per_source_credentials_come_from_the_secrets_directory(serve: Serve, tmp_path: Path) -> None:
    (tmp_path / "quay-token").write_text("quay-only\n")
    (tmp_path / "ghcr-hmac-secret").write_text(SECRET)
    secrets = WebhookSecrets(
        token=None, hmac_secret=None, directory=str(tmp_path), require=None, sources=PARSERS
    )
    auth = secrets.current()
    base, _, _ = await serve(auth)
    quay = {
        "repository": "team/app",
        "namespace": "team",
        "name": "app",
        "docker_url": "quay.io/team/app",
        "updated_tags": ["1.0"],
    }

    assert auth.required
    assert (await post(f"{base}/webhook/quay?token=quay-only", quay))[0] == 202
    assert (await post(f"{base}/webhook/dockerhub?token=quay-only", DOCKERHUB))[0] == 401


async def test_without_credentials_webhooks_are_open_unless_required() -> None:
    assert webhook_auth.check(WebhookAuth(), "dockerhub", {}, {}, b"{}") is None
    refusal = webhook_auth.check(WebhookAuth(required=True), "dockerhub", {}, {}, b"{}")
    assert refusal == "webhook authentication is required, but no token or secret is configured"


def test_every_credential_comparison_is_constant_time_and_tries_every_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook_auth.hmac, "compare_digest", counting)
    auth = WebhookAuth(Credentials(TOKEN, None), required=True)
    all_places = {"authorization": f"Bearer {TOKEN}", "x-headwind-token": "x", "x-gitlab-token": "y"}

    first = webhook_auth.check(auth, "dockerhub", all_places, {"token": "z"}, b"")
    tried_when_first_matches = len(compared)
    compared.clear()
    last = webhook_auth.check(
        auth, "dockerhub", {**all_places, "authorization": "Bearer no"}, {"token": TOKEN}, b""
    )

    assert first is None and last is None
    assert tried_when_first_matches == len(compared)  # the same work whichever place matched


def test_signing_matches_the_documented_github_example() -> None:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign("It's a Secret to Everybody", b"Hello, World!") == expected


# --- bodies and headers as networks deliver them ---------------------------------------------------


POST_JSON = b"POST /webhook/dockerhub HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


async def raw_request(base: str, head: bytes, *parts: bytes) -> int:
    """Send a request byte for byte, pausing between ``parts``; the status line's code."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.05)
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_a_signed_body_arriving_in_pieces_is_read_whole(serve: Serve) -> None:
    base, intake, _ = await serve(REQUIRED)
    body = json.dumps(DOCKERHUB).encode()
    head = (
        POST_JSON
        + f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {sign(SECRET, body)}\r\n\r\n".encode()
    )

    status = await raw_request(base, head, body[:10], body[10:25], body[25:])

    assert status == 202
    assert [event.tag for event in intake.taken] == ["1.2.3"]


async def test_a_chunked_body_in_several_chunks_is_read_whole(serve: Serve) -> None:
    base, intake, _ = await serve()
    body = json.dumps(DOCKERHUB).encode()
    head = POST_JSON + b"Transfer-Encoding: chunked\r\n\r\n"
    chunks = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in (body[:7], body[7:])] + [
        b"0\r\n\r\n"
    ]

    assert await raw_request(base, head, *chunks) == 202
    assert len(intake.taken) == 1


async def test_a_token_header_that_is_not_utf8_is_refused_not_a_500(serve: Serve) -> None:
    base, _, _ = await serve(REQUIRED)
    body = json.dumps(DOCKERHUB).encode()
    head = POST_JSON + b"X-Headwind-Token: \xff\xfe\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode()

    assert await raw_request(base, head, body) == 401


async def test_a_body_with_a_broken_content_encoding_is_400(serve: Serve) -> None:
    base, _, _ = await serve()
    body = b"this is not gzip"
    head = POST_JSON + b"Content-Encoding: gzip\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode()

    assert await raw_request(base, head, body) == 400


async def test_a_configured_secrets_directory_requires_auth_even_before_it_is_mounted(tmp_path: Path) -> None:
    secrets = WebhookSecrets(
        token=None, hmac_secret=None, directory=str(tmp_path / "not-yet"), require=None, sources=PARSERS
    )

    assert secrets.current().required

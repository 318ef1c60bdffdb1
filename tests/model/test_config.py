"""``load_settings``: the environment in, validated settings or every problem out."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from headwind.model.config import VARIABLES, VARIABLES_BY_NAME, Settings, SettingsError, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def problems_for(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return caught.value.problems


# --- the table --------------------------------------------------------------------------------------


def test_every_variable_sets_the_settings_field_named_after_it() -> None:
    bookkeeping = {"unknown_variables", "ignored_service_links"}
    settings_fields = [f.name for f in dataclasses.fields(Settings) if f.name not in bookkeeping]

    assert sorted(variable.field for variable in VARIABLES) == sorted(settings_fields)
    assert VARIABLES_BY_NAME["HEADWIND_API_PORT"].field == "api_port"
    assert VARIABLES_BY_NAME["WEBHOOK_URL"].field == "webhook_url"


def test_variable_names_are_unique_and_every_one_is_described() -> None:
    assert len(VARIABLES_BY_NAME) == len(VARIABLES)
    for variable in VARIABLES:
        assert variable.description, variable.name


# --- defaults ---------------------------------------------------------------------------------------

DEFAULTS: dict[str, Any] = {
    "polling_enabled": False,
    "polling_interval": 300.0,
    "polling_jitter": 0.1,
    "controllers_enabled": True,
    "helm_auto_discovery": True,
    "watch_namespaces": (),
    "workers": 4,
    "queue_size": 10000,
    "shutdown_grace": 10.0,
    "registry_timeout": 30.0,
    "registry_concurrency": 4,
    "registry_rate": 5.0,
    "registry_burst": 10,
    "registry_retries": 4,
    "registry_max_tag_pages": 20,
    "registry_plain_http": (),
    "webhook_token": None,
    "webhook_hmac_secret": None,
    "webhook_secrets_dir": None,
    "webhook_require_auth": None,
    "webhook_max_body": 1048576,
    "bind_address": "0.0.0.0",
    "webhook_port": 8080,
    "api_port": 8081,
    "ui_port": 8082,
    "metrics_port": 9090,
    "api_url": "http://localhost:8081",
    "ui_url": None,
    "ui_auth_mode": "none",
    "ui_proxy_header": "X-Forwarded-User",
    "leader_election": True,
    "namespace": None,
    "lease_name": "headwind-leader",
    "lease_namespace": "default",
    "lease_duration": 15.0,
    "lease_renew_deadline": 10.0,
    "lease_retry_period": 2.0,
    "identity": None,
    "log_level": "info",
    "log_format": "auto",
    "slack_enabled": False,
    "slack_webhook_url": None,
    "slack_channel": None,
    "slack_username": None,
    "slack_icon_emoji": None,
    "teams_enabled": False,
    "teams_webhook_url": None,
    "webhook_enabled": False,
    "webhook_url": None,
    "webhook_secret": None,
    "webhook_timeout": 10.0,
    "webhook_max_retries": 3,
    "unknown_variables": (),
    "ignored_service_links": (),
}


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    assert dataclasses.asdict(load_settings({})) == DEFAULTS


def test_an_empty_value_counts_as_unset() -> None:
    env = {variable.name: "" for variable in VARIABLES} | {"HEADWIND_WORKERS": "  "}

    assert dataclasses.asdict(load_settings(env)) == DEFAULTS


def test_the_lease_namespace_defaults_to_the_pods_namespace() -> None:
    settings = load_settings({"HEADWIND_NAMESPACE": "headwind-system"})

    assert settings.namespace == "headwind-system"
    assert settings.lease_namespace == "headwind-system"
    assert load_settings({"HEADWIND_NAMESPACE": "a", "HEADWIND_LEASE_NAMESPACE": "b"}).lease_namespace == "b"


def test_the_identity_defaults_to_the_host_name_and_is_left_to_the_app_without_one() -> None:
    assert load_settings({"HOSTNAME": "headwind-5d8f-abcde"}).identity == "headwind-5d8f-abcde"
    assert load_settings({"HOSTNAME": "pod", "HEADWIND_IDENTITY": "me"}).identity == "me"
    assert load_settings({}).identity is None


def test_a_bad_fallback_is_reported_once_under_its_own_name() -> None:
    assert problems_for({"HEADWIND_NAMESPACE": "Not_A_Label"}) == [
        "HEADWIND_NAMESPACE: 'Not_A_Label' is not a namespace name "
        "(lowercase letters, digits and '-', at most 63)"
    ]


# --- every parser: accepted values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "field", "value"),
    [
        *[
            ("HEADWIND_POLLING_ENABLED", text, "polling_enabled", True)
            for text in ("true", "TRUE", "1", "yes", "On")
        ],
        *[
            ("HEADWIND_LEADER_ELECTION", text, "leader_election", False)
            for text in ("false", "0", "No", "off ")
        ],
        ("HEADWIND_POLLING_INTERVAL", "60", "polling_interval", 60.0),
        ("HEADWIND_POLLING_INTERVAL", "0.5", "polling_interval", 0.5),
        ("HEADWIND_SHUTDOWN_GRACE", "0", "shutdown_grace", 0.0),
        ("HEADWIND_POLLING_JITTER", "0", "polling_jitter", 0.0),
        ("HEADWIND_WEBHOOK_REQUIRE_AUTH", "auto", "webhook_require_auth", None),
        ("HEADWIND_WEBHOOK_REQUIRE_AUTH", "true", "webhook_require_auth", True),
        ("HEADWIND_WEBHOOK_REQUIRE_AUTH", "Off", "webhook_require_auth", False),
        ("HEADWIND_WEBHOOK_TOKEN", "t0ken", "webhook_token", "t0ken"),
        ("HEADWIND_POLLING_JITTER", "0.5", "polling_jitter", 0.5),
        ("HEADWIND_REGISTRY_RATE", "0.5", "registry_rate", 0.5),
        ("HEADWIND_REGISTRY_RETRIES", "0", "registry_retries", 0),
        (
            "HEADWIND_REGISTRY_PLAIN_HTTP",
            "Registry.local:5000, 10.0.0.7,[::1]:5000,registry.local:5000",
            "registry_plain_http",
            ("registry.local:5000", "10.0.0.7", "[::1]:5000"),
        ),
        ("HEADWIND_SHUTDOWN_GRACE", "2.5", "shutdown_grace", 2.5),
        ("HEADWIND_API_PORT", "1", "api_port", 1),
        ("HEADWIND_METRICS_PORT", "65535", "metrics_port", 65535),
        ("HEADWIND_WORKERS", "1", "workers", 1),
        ("HEADWIND_QUEUE_SIZE", "50", "queue_size", 50),
        ("WEBHOOK_MAX_RETRIES", "0", "webhook_max_retries", 0),
        ("WEBHOOK_TIMEOUT", "2.5", "webhook_timeout", 2.5),
        ("HEADWIND_UI_AUTH_MODE", "proxy", "ui_auth_mode", "proxy"),
        ("HEADWIND_UI_AUTH_MODE", "Token", "ui_auth_mode", "token"),
        ("HEADWIND_UI_PROXY_HEADER", "X-Auth-Request-User", "ui_proxy_header", "X-Auth-Request-User"),
        ("HEADWIND_LOG_LEVEL", "DEBUG", "log_level", "debug"),
        ("HEADWIND_LOG_FORMAT", "json", "log_format", "json"),
        ("HEADWIND_LOG_FORMAT", "console", "log_format", "console"),
        (
            "HEADWIND_API_URL",
            "https://headwind.example.com/api",
            "api_url",
            "https://headwind.example.com/api",
        ),
        ("HEADWIND_UI_URL", "http://10.0.0.1:8082", "ui_url", "http://10.0.0.1:8082"),
        ("HEADWIND_BIND_ADDRESS", "::", "bind_address", "::"),
        ("HEADWIND_BIND_ADDRESS", "127.0.0.1", "bind_address", "127.0.0.1"),
        ("HEADWIND_BIND_ADDRESS", "localhost", "bind_address", "localhost"),
        ("HEADWIND_WATCH_NAMESPACES", "team-a", "watch_namespaces", ("team-a",)),
        ("HEADWIND_WATCH_NAMESPACES", " team-a, team-b ,,team-a", "watch_namespaces", ("team-a", "team-b")),
        ("HEADWIND_LEASE_NAME", "headwind.leader-1", "lease_name", "headwind.leader-1"),
        ("HEADWIND_IDENTITY", "replica 1", "identity", "replica 1"),
        ("SLACK_CHANNEL", "#deploys", "slack_channel", "#deploys"),
        ("SLACK_USERNAME", "Headwind", "slack_username", "Headwind"),
        ("SLACK_ICON_EMOJI", ":rocket:", "slack_icon_emoji", ":rocket:"),
        (
            "SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T/B/X",
            "slack_webhook_url",
            "https://hooks.slack.com/services/T/B/X",
        ),
        ("WEBHOOK_SECRET", "s3cret", "webhook_secret", "s3cret"),
    ],
)
def test_a_valid_value_is_parsed(name: str, text: str, field: str, value: object) -> None:
    settings = load_settings({name: text})

    assert getattr(settings, field) == value
    assert type(getattr(settings, field)) is type(value)


# --- every validation: one problem, naming the variable, the value and what was expected --------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("HEADWIND_POLLING_ENABLED", "maybe", "is not a boolean (true/false, yes/no, on/off, 1/0)"),
        ("HEADWIND_CONTROLLERS_ENABLED", "2", "is not a boolean"),
        ("HEADWIND_POLLING_INTERVAL", "0", "is not a positive number of seconds"),
        ("HEADWIND_POLLING_INTERVAL", "-5", "is not a positive number of seconds"),
        ("HEADWIND_POLLING_INTERVAL", "5m", "is not a positive number of seconds"),
        ("HEADWIND_LEASE_DURATION", "inf", "is not a positive number of seconds"),
        ("WEBHOOK_TIMEOUT", "nan", "is not a positive number of seconds"),
        ("HEADWIND_SHUTDOWN_GRACE", "-1", "is not a number of seconds >= 0"),
        ("HEADWIND_POLLING_JITTER", "0.6", "is not a fraction between 0 and 0.5"),
        ("HEADWIND_WEBHOOK_REQUIRE_AUTH", "sometimes", "is not auto or a boolean"),
        ("HEADWIND_WEBHOOK_MAX_BODY", "100", "is not a whole number >= 1024"),
        ("HEADWIND_POLLING_JITTER", "-0.1", "is not a fraction between 0 and 0.5"),
        ("HEADWIND_REGISTRY_RATE", "0", "is not a positive number (e.g. 5 or 0.5)"),
        ("HEADWIND_REGISTRY_CONCURRENCY", "0", "is not a whole number >= 1"),
        (
            "HEADWIND_REGISTRY_PLAIN_HTTP",
            "https://registry.local",
            "contains 'https://registry.local', which",
        ),
        ("HEADWIND_API_PORT", "80a", "is not a port number (1-65535)"),
        ("HEADWIND_UI_PORT", "0", "is not a port number (1-65535)"),
        ("HEADWIND_WEBHOOK_PORT", "65536", "is not a port number (1-65535)"),
        ("HEADWIND_METRICS_PORT", "-1", "is not a port number (1-65535)"),
        ("HEADWIND_WORKERS", "0", "is not a whole number >= 1"),
        ("HEADWIND_WORKERS", "2.5", "is not a whole number >= 1"),
        ("HEADWIND_QUEUE_SIZE", "many", "is not a whole number >= 1"),
        ("WEBHOOK_MAX_RETRIES", "-1", "is not a whole number >= 0"),
        ("HEADWIND_UI_AUTH_MODE", "oauth", "is not one of none, simple, token, proxy"),
        ("HEADWIND_LOG_LEVEL", "trace", "is not one of debug, info, warning, error"),
        ("HEADWIND_LOG_FORMAT", "text", "is not one of json, console, auto"),
        ("HEADWIND_API_URL", "localhost:8081", "is not an http(s) URL"),
        ("HEADWIND_API_URL", "ftp://example.com", "is not an http(s) URL"),
        ("HEADWIND_UI_URL", "http://", "is not an http(s) URL"),
        ("HEADWIND_UI_URL", "http://example.com:port/", "is not an http(s) URL"),
        ("HEADWIND_UI_PROXY_HEADER", "X Forwarded User", "is not an HTTP header name"),
        ("HEADWIND_BIND_ADDRESS", "0.0.0.0:8080", "is not an IP address or host name"),
        ("HEADWIND_WATCH_NAMESPACES", "team-a,Team_B", "contains 'Team_B', which is not a namespace name"),
        ("HEADWIND_NAMESPACE", "-leading-dash", "is not a namespace name"),
        ("HEADWIND_LEASE_NAMESPACE", "a" * 64, "is not a namespace name"),
        ("HEADWIND_LEASE_NAME", "Headwind_Leader", "is not an object name"),
    ],
)
def test_a_bad_value_is_one_problem_naming_the_variable_the_value_and_what_is_expected(
    name: str, text: str, expected: str
) -> None:
    [problem] = problems_for({name: text})

    assert problem.startswith(f"{name}: {text!r} {expected}")


@pytest.mark.parametrize("name", ["SLACK_WEBHOOK_URL", "TEAMS_WEBHOOK_URL", "WEBHOOK_URL"])
def test_a_bad_secret_is_reported_without_its_value(name: str) -> None:
    [problem] = problems_for({name: "hooks.example.com/T0KEN"})

    assert problem.startswith(f"{name}: the value (hidden: it is a secret) is not an http(s) URL")
    assert "T0KEN" not in problem


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = load_settings(
        {
            "SLACK_WEBHOOK_URL": "https://hooks.slack.com/T0KEN1",
            "TEAMS_WEBHOOK_URL": "https://teams.example.com/T0KEN2",
            "WEBHOOK_URL": "https://hooks.example.com/T0KEN3",
            "WEBHOOK_SECRET": "T0KEN4",
        }
    )

    assert "T0KEN" not in repr(settings)


# --- validations across variables -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"HEADWIND_API_PORT": "9090"},
            "HEADWIND_METRICS_PORT: 9090 is already the port of HEADWIND_API_PORT; "
            "each server needs its own port",
        ),
        (
            {"HEADWIND_WEBHOOK_PORT": "8082"},
            "HEADWIND_UI_PORT: 8082 is already the port of HEADWIND_WEBHOOK_PORT; "
            "each server needs its own port",
        ),
        (
            {"HEADWIND_LEASE_DURATION": "10"},
            "HEADWIND_LEASE_RENEW_DEADLINE: 10 must be less than HEADWIND_LEASE_DURATION (10)",
        ),
        (
            {"HEADWIND_LEASE_RENEW_DEADLINE": "1.5"},
            "HEADWIND_LEASE_RETRY_PERIOD: 2 must be less than HEADWIND_LEASE_RENEW_DEADLINE (1.5)",
        ),
        (
            {"SLACK_ENABLED": "true"},
            "SLACK_ENABLED: notifications are enabled but SLACK_WEBHOOK_URL is not set",
        ),
        (
            {"TEAMS_ENABLED": "yes"},
            "TEAMS_ENABLED: notifications are enabled but TEAMS_WEBHOOK_URL is not set",
        ),
        ({"WEBHOOK_ENABLED": "1"}, "WEBHOOK_ENABLED: notifications are enabled but WEBHOOK_URL is not set"),
    ],
)
def test_values_that_contradict_each_other_are_a_problem(env: dict[str, str], expected: str) -> None:
    assert problems_for(env) == [expected]


def test_a_notifier_with_its_url_is_valid() -> None:
    settings = load_settings({"WEBHOOK_ENABLED": "true", "WEBHOOK_URL": "https://hooks.example.com/in"})

    assert settings.webhook_enabled
    assert settings.webhook_url == "https://hooks.example.com/in"


def test_a_bad_url_is_not_also_reported_as_missing() -> None:
    assert len(problems_for({"SLACK_ENABLED": "true", "SLACK_WEBHOOK_URL": "nope"})) == 1


def test_every_problem_is_reported_together() -> None:
    problems = problems_for(
        {
            "HEADWIND_API_PORT": "80a",
            "HEADWIND_LOG_LEVEL": "loud",
            "HEADWIND_WORKERS": "0",
            "HEADWIND_UI_PORT": "8080",
            "TEAMS_ENABLED": "true",
            "HEADWIND_LEASE_RETRY_PERIOD": "20",
        }
    )

    assert [problem.split(":")[0] for problem in problems] == [
        "HEADWIND_WORKERS",
        "HEADWIND_API_PORT",
        "HEADWIND_LOG_LEVEL",
        "HEADWIND_UI_PORT",
        "HEADWIND_LEASE_RETRY_PERIOD",
        "TEAMS_ENABLED",
    ]
    assert str(SettingsError(problems)) == "\n".join(problems)


# --- what is ignored, and said so ---------------------------------------------------------------


def test_an_unknown_headwind_variable_is_listed_with_a_hint_not_an_error() -> None:
    settings = load_settings(
        {"HEADWIND_POLING_ENABLED": "true", "HEADWIND_INFLUXDB_TOKEN": "x", "PATH": "/bin"}
    )

    assert settings.unknown_variables == ("HEADWIND_INFLUXDB_TOKEN", "HEADWIND_POLING_ENABLED")
    assert settings.polling_enabled is False
    assert settings.warnings() == (
        "HEADWIND_INFLUXDB_TOKEN is not a Headwind variable and is ignored",
        "HEADWIND_POLING_ENABLED is not a Headwind variable and is ignored "
        "(did you mean HEADWIND_POLLING_ENABLED?)",
    )


def test_kubernetes_service_links_are_ignored_with_a_warning_not_a_failure() -> None:
    # What Kubernetes injects for Headwind's Service headwind-api (port 80) and the chart's Service headwind.
    env = {
        "HEADWIND_API_PORT": "tcp://10.96.0.12:80",
        "HEADWIND_API_SERVICE_HOST": "10.96.0.12",
        "HEADWIND_API_SERVICE_PORT": "80",
        "HEADWIND_API_SERVICE_PORT_HTTP": "80",
        "HEADWIND_API_PORT_80_TCP": "tcp://10.96.0.12:80",
        "HEADWIND_API_PORT_80_TCP_PROTO": "tcp",
        "HEADWIND_API_PORT_80_TCP_PORT": "80",
        "HEADWIND_API_PORT_80_TCP_ADDR": "10.96.0.12",
        "HEADWIND_PORT": "tcp://10.96.0.13:8080",
        "HEADWIND_SERVICE_HOST": "10.96.0.13",
    }

    settings = load_settings(env)

    assert settings.api_port == 8081
    assert settings.ignored_service_links == ("HEADWIND_API_PORT",)
    assert settings.unknown_variables == ()
    [warning] = settings.warnings()
    assert warning.startswith("HEADWIND_API_PORT is ignored: its value is a Kubernetes service link")
    assert "headwind-api" in warning
    assert "enableServiceLinks: false" in warning


def test_a_port_set_in_the_pod_spec_is_used() -> None:
    assert load_settings({"HEADWIND_API_PORT": "18081"}).api_port == 18081


# --- documentation ----------------------------------------------------------------------------------


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.default_text} | {v.description} |" for v in VARIABLES]
    return "\n".join(rows)


def test_the_readme_lists_every_variable_as_the_table_says() -> None:
    readme = README.read_text(encoding="utf-8")

    assert markdown_table() in readme, "regenerate the README's Configuration table from VARIABLES"
    assert re.search(r"^## Configuration$", readme, re.MULTILINE)

"""The operator's configuration: environment variables in, one validated :class:`Settings` out.

Everything ``headwind run`` can be told comes from environment variables, the way Kubernetes
configures a pod. Headwind's names are kept where Headwind has them (``HEADWIND_POLLING_ENABLED``,
``SLACK_WEBHOOK_URL``, ...) so its manifests keep working; what Headwind hard-codes (ports, bind
address, leader election, logging) gets a ``HEADWIND_*`` name.

One table, :data:`VARIABLES`, drives everything: parsing, defaults (parsed by the same parser, so a
default is valid by construction), ``headwind run --help`` and the README's table. Each row's field
in :class:`Settings` is its name without ``HEADWIND_``, lowercased (``HEADWIND_API_PORT`` →
``api_port``, ``WEBHOOK_URL`` → ``webhook_url``). Note the two webhooks: ``webhook_port`` is where
registries send *us* webhooks; ``webhook_*`` otherwise is the outbound notification webhook.

Non-obvious choices:

* :func:`load_settings` collects *every* problem before raising :class:`SettingsError`, so one
  failed start shows everything to fix, not the first thing. A problem names the variable, the
  value and what was expected -- except for secrets, whose values never reach a log.
* An empty value counts as unset (Helm charts and manifests often render ``value: ""``).
* Kubernetes injects ``<SERVICE>_PORT=tcp://10.0.0.7:80`` into every pod for every Service in its
  namespace ("service links"), and Headwind's own manifests create Services named
  ``headwind-webhook``, ``headwind-api``, ``headwind-ui`` and ``headwind-metrics`` -- exactly our
  port variables. A value of that shape can only be a service link (a variable set in the pod
  spec overrides it), so it is ignored with a warning instead of failing the start, and the other
  service-link variables (``*_SERVICE_HOST``, ``*_PORT_80_TCP_ADDR``, ...) are not reported as
  unknown.
* Unknown ``HEADWIND_*`` variables are not an error -- a newer manifest may set a variable an
  older operator lacks -- but they are returned (:attr:`Settings.unknown_variables`, with
  "did you mean" hints in :meth:`Settings.warnings`) so the app logs them and typos show.

Pure: the environment is passed in as a mapping; nothing here reads ``os.environ``. Values that
need the outside world (an identity generated when neither ``HEADWIND_IDENTITY`` nor ``HOSTNAME``
is set) stay ``None`` here and are filled in by the app layer.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

UiAuthMode = Literal["none", "simple", "token", "proxy"]
LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["json", "console", "auto"]

UI_AUTH_MODES: tuple[UiAuthMode, ...] = ("none", "simple", "token", "proxy")
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "console", "auto")


class SettingsError(ValueError):
    """The environment does not make a valid configuration; :attr:`problems` says why, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one ``headwind run`` process. Build it with :func:`load_settings`."""

    # Operator behaviour (Headwind's names)
    polling_enabled: bool
    polling_interval: float
    polling_jitter: float
    controllers_enabled: bool
    helm_auto_discovery: bool
    watch_namespaces: tuple[str, ...]  # empty: all namespaces
    workers: int
    queue_size: int
    shutdown_grace: float
    # Registries
    registry_timeout: float
    registry_concurrency: int
    registry_rate: float
    registry_burst: int
    registry_retries: int
    registry_max_tag_pages: int
    registry_plain_http: tuple[str, ...]
    # Webhooks
    webhook_token: str | None = field(repr=False)
    webhook_hmac_secret: str | None = field(repr=False)
    webhook_secrets_dir: str | None
    webhook_require_auth: bool | None  # None: auto
    webhook_max_body: int
    # Servers
    bind_address: str
    webhook_port: int
    api_port: int
    ui_port: int
    metrics_port: int
    api_url: str
    ui_url: str | None
    ui_auth_mode: UiAuthMode
    ui_proxy_header: str
    # Leader election
    leader_election: bool
    namespace: str | None
    lease_name: str
    lease_namespace: str
    lease_duration: float
    lease_renew_deadline: float
    lease_retry_period: float
    identity: str | None  # None: the app generates one
    # Logging
    log_level: LogLevel
    log_format: LogFormat  # "auto": console on a terminal, else JSON
    # Notifications (Headwind's names, without the HEADWIND_ prefix)
    slack_enabled: bool
    slack_webhook_url: str | None = field(repr=False)
    slack_channel: str | None
    slack_username: str | None
    slack_icon_emoji: str | None
    teams_enabled: bool
    teams_webhook_url: str | None = field(repr=False)
    webhook_enabled: bool
    webhook_url: str | None = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    webhook_timeout: float
    webhook_max_retries: int
    # Not settings: what load_settings noticed and ignored, for the app to log (see warnings()).
    unknown_variables: tuple[str, ...] = ()
    ignored_service_links: tuple[str, ...] = ()

    def warnings(self) -> tuple[str, ...]:
        """One log-ready sentence per unknown variable and per ignored service link."""
        found = [
            f"{name} is ignored: its value is a Kubernetes service link (for the Service "
            f"{name.removesuffix('_PORT').lower().replace('_', '-')}), not a port, so it stays "
            f"{VARIABLES_BY_NAME[name].default}. Set enableServiceLinks: false in the pod spec to "
            "keep service links out of the environment."
            for name in self.ignored_service_links
        ]
        for name in self.unknown_variables:
            close = difflib.get_close_matches(
                name, [variable.name for variable in VARIABLES], n=1, cutoff=0.8
            )
            hint = f" (did you mean {close[0]}?)" if close else ""
            found.append(f"{name} is not a Headwind variable and is ignored{hint}")
        return tuple(found)


# --- parsers: text in, value out, or ValueError saying what was expected -----------------------------
#
# The message completes "VARIABLE: 'value' ...", e.g. "is not a port number (1-65535)".

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", re.ASCII)
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
_HOSTNAME_LABEL = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?", re.ASCII)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", re.ASCII)
_SERVICE_LINK_VALUE = re.compile(r"(tcp|udp|sctp)://\S+:[0-9]+", re.ASCII)
_SERVICE_LINK_NAME = re.compile(
    r"[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)",
    re.ASCII,
)


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not a boolean (true/false, yes/no, on/off, 1/0)")


def parse_port(text: str) -> int:
    word = text.strip()
    if not (_WHOLE.fullmatch(word) and 1 <= int(word) <= 65535):
        raise ValueError("is not a port number (1-65535)")
    return int(word)


def _seconds(text: str) -> float:
    word = text.strip()
    if not _DECIMAL.fullmatch(word):
        raise ValueError
    value = float(word)
    if not math.isfinite(value):
        raise ValueError
    return value


def _positive(expected: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = _seconds(text)
        except ValueError:
            value = 0.0
        if value <= 0:
            raise ValueError(f"is not {expected}")
        return value

    return parse


parse_positive_seconds = _positive("a positive number of seconds (e.g. 30 or 0.5)")
parse_positive_number = _positive("a positive number (e.g. 5 or 0.5)")


def fraction(maximum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = _seconds(text)
        except ValueError:
            value = -1.0
        if not 0 <= value <= maximum:
            raise ValueError(f"is not a fraction between 0 and {maximum:g} (e.g. 0.1)")
        return value

    return parse


def parse_seconds(text: str) -> float:
    try:
        return _seconds(text)
    except ValueError:
        raise ValueError("is not a number of seconds >= 0 (e.g. 10 or 2.5)") from None


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        word = text.strip()
        if not (_WHOLE.fullmatch(word) and int(word) >= minimum):
            raise ValueError(f"is not a whole number >= {minimum}")
        return int(word)

    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        word = text.strip().lower()
        if word not in choices:
            raise ValueError(f"is not one of {', '.join(choices)}")
        return word

    return parse


def parse_tristate(text: str) -> bool | None:
    """``auto`` (None), or a boolean."""
    word = text.strip().lower()
    if word == "auto":
        return None
    try:
        return parse_bool(word)
    except ValueError:
        raise ValueError("is not auto or a boolean (true/false, yes/no, on/off, 1/0)") from None


def parse_http_url(text: str) -> str:
    word = text.strip()
    try:
        parts = urlsplit(word)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        valid = False
    if not valid:
        raise ValueError("is not an http(s) URL (e.g. https://example.com/path)")
    return word


def parse_text(text: str) -> str:
    return text


def parse_dns_label(text: str) -> str:
    word = text.strip()
    if not _DNS_LABEL.fullmatch(word):
        raise ValueError("is not a namespace name (lowercase letters, digits and '-', at most 63)")
    return word


def parse_dns_subdomain(text: str) -> str:
    word = text.strip()
    if not (len(word) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in word.split("."))):
        raise ValueError("is not an object name (lowercase letters, digits, '-' and '.', at most 253)")
    return word


def parse_namespaces(text: str) -> tuple[str, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if not _DNS_LABEL.fullmatch(name):
            raise ValueError(
                f"contains {name!r}, which is not a namespace name "
                "(lowercase letters, digits and '-', at most 63); expected a comma-separated list"
            )
    return tuple(dict.fromkeys(names))


_REGISTRY_HOST = re.compile(r"(\[[0-9a-f:]+\]|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)(:[0-9]{1,5})?", re.ASCII)


def parse_registry_hosts(text: str) -> tuple[str, ...]:
    hosts = [host.strip().lower() for host in text.split(",") if host.strip()]
    for host in hosts:
        if not _REGISTRY_HOST.fullmatch(host):
            raise ValueError(
                f"contains {host!r}, which is not a registry host (host or host:port, as image "
                "references spell it); expected a comma-separated list"
            )
    return tuple(dict.fromkeys(hosts))


def parse_bind_address(text: str) -> str:
    word = text.strip()
    try:
        ipaddress.ip_address(word)
    except ValueError:
        labels = word.rstrip(".").split(".")
        if not (len(word) <= 253 and all(_HOSTNAME_LABEL.fullmatch(label) for label in labels)):
            raise ValueError("is not an IP address or host name (e.g. 0.0.0.0, :: or 127.0.0.1)") from None
    return word


def parse_header_name(text: str) -> str:
    word = text.strip()
    if not _HEADER_NAME.fullmatch(word):
        raise ValueError("is not an HTTP header name (e.g. X-Forwarded-User)")
    return word


# --- the table --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, default, meaning, and how its text becomes a value."""

    name: str
    group: str
    default: str | None  # as text, parsed like a set value; None: unset
    description: str
    parser: Callable[[str], Any]
    fallbacks: tuple[str, ...] = ()  # other variables consulted, in order, before the default
    shown_default: str | None = None  # for help: when the default needs words, not a value
    secret: bool = False  # its value never appears in a message

    @property
    def field(self) -> str:
        """The :class:`Settings` field this variable sets."""
        return self.name.removeprefix("HEADWIND_").lower()

    @property
    def default_text(self) -> str:
        """The default as help shows it."""
        if self.shown_default is not None:
            return self.shown_default
        shown = [f"${name}" for name in self.fallbacks]
        shown.append("unset" if self.default is None else self.default or '""')
        return ", else ".join(shown)


OPERATOR = "operator"
REGISTRIES = "registries"
WEBHOOKS = "webhooks"
SERVERS = "servers"
LEADER = "leader election"
LOGGING = "logging"
NOTIFY = "notifications"

GROUPS: tuple[str, ...] = (OPERATOR, REGISTRIES, WEBHOOKS, SERVERS, LEADER, LOGGING, NOTIFY)

_V = Variable
VARIABLES: tuple[Variable, ...] = (
    _V(
        "HEADWIND_POLLING_ENABLED",
        OPERATOR,
        "false",
        "poll registries for new tags and chart versions",
        parse_bool,
    ),
    _V(
        "HEADWIND_POLLING_INTERVAL",
        OPERATOR,
        "300",
        "seconds between two checks of a polled repository; headwind.sh/polling-interval sets it "
        "per workload",
        parse_positive_seconds,
    ),
    _V(
        "HEADWIND_POLLING_JITTER",
        OPERATOR,
        "0.1",
        "how much each polling interval varies at random, as a fraction (0.1: 270 to 330 s for 300 s), "
        "so that repositories are not all checked at once",
        fraction(0.5),
    ),
    _V(
        "HEADWIND_CONTROLLERS_ENABLED",
        OPERATOR,
        "true",
        "run the workload and HelmRelease controllers",
        parse_bool,
    ),
    _V(
        "HEADWIND_HELM_AUTO_DISCOVERY",
        OPERATOR,
        "true",
        "discover new chart versions for Flux HelmReleases",
        parse_bool,
    ),
    _V(
        "HEADWIND_WATCH_NAMESPACES",
        OPERATOR,
        "",
        "comma-separated namespaces to watch; empty watches all",
        parse_namespaces,
        shown_default="all namespaces",
    ),
    _V("HEADWIND_WORKERS", OPERATOR, "4", "dispatcher workers reconciling in parallel", whole_number(1)),
    _V("HEADWIND_QUEUE_SIZE", OPERATOR, "10000", "capacity of the dispatcher's work queue", whole_number(1)),
    _V(
        "HEADWIND_SHUTDOWN_GRACE",
        OPERATOR,
        "10",
        "seconds to drain queued work after SIGTERM before exiting",
        parse_seconds,
    ),
    _V(
        "HEADWIND_REGISTRY_TIMEOUT",
        REGISTRIES,
        "30",
        "seconds one registry request may take in all",
        parse_positive_seconds,
    ),
    _V(
        "HEADWIND_REGISTRY_CONCURRENCY",
        REGISTRIES,
        "4",
        "requests in flight at once to one registry",
        whole_number(1),
    ),
    _V(
        "HEADWIND_REGISTRY_RATE",
        REGISTRIES,
        "5",
        "requests per second to one registry, on average (a token bucket; retries included)",
        parse_positive_number,
    ),
    _V(
        "HEADWIND_REGISTRY_BURST",
        REGISTRIES,
        "10",
        "requests one registry may receive at once before the rate applies",
        whole_number(1),
    ),
    _V(
        "HEADWIND_REGISTRY_RETRIES",
        REGISTRIES,
        "4",
        "extra attempts after a 429, a 5xx, a timeout or a connection error, with backoff",
        whole_number(0),
    ),
    _V(
        "HEADWIND_REGISTRY_MAX_TAG_PAGES",
        REGISTRIES,
        "20",
        "pages of a repository's tag list read at most; the rest is left unread, with a warning",
        whole_number(1),
    ),
    _V(
        "HEADWIND_REGISTRY_PLAIN_HTTP",
        REGISTRIES,
        "",
        "comma-separated registry hosts spoken to over plain HTTP instead of HTTPS (loopback hosts "
        "always are)",
        parse_registry_hosts,
        shown_default="none",
    ),
    _V(
        "HEADWIND_WEBHOOK_TOKEN",
        WEBHOOKS,
        None,
        "token every webhook sender must present (Authorization: Bearer, X-Headwind-Token, ?token=...)",
        parse_text,
        secret=True,
    ),
    _V(
        "HEADWIND_WEBHOOK_HMAC_SECRET",
        WEBHOOKS,
        None,
        "secret for body signatures (GitHub X-Hub-Signature-256, X-Signature, Nexus, JFrog)",
        parse_text,
        secret=True,
    ),
    _V(
        "HEADWIND_WEBHOOK_SECRETS_DIR",
        WEBHOOKS,
        None,
        "directory of a mounted Secret with per-source credentials: files <source>-token and "
        "<source>-hmac-secret (and token, hmac-secret for all sources); re-read when they change",
        parse_text,
    ),
    _V(
        "HEADWIND_WEBHOOK_REQUIRE_AUTH",
        WEBHOOKS,
        "auto",
        "refuse unauthenticated webhooks: true, false, or auto (true once any token or secret is set)",
        parse_tristate,
    ),
    _V(
        "HEADWIND_WEBHOOK_MAX_BODY",
        WEBHOOKS,
        "1048576",
        "largest webhook body accepted, in bytes; larger ones get 413",
        whole_number(1024),
    ),
    _V("HEADWIND_BIND_ADDRESS", SERVERS, "0.0.0.0", "address the four servers listen on", parse_bind_address),
    _V("HEADWIND_WEBHOOK_PORT", SERVERS, "8080", "port of the registry webhook server", parse_port),
    _V("HEADWIND_API_PORT", SERVERS, "8081", "port of the approval API", parse_port),
    _V("HEADWIND_UI_PORT", SERVERS, "8082", "port of the web UI", parse_port),
    _V("HEADWIND_METRICS_PORT", SERVERS, "9090", "port of the Prometheus metrics server", parse_port),
    _V(
        "HEADWIND_API_URL",
        SERVERS,
        "http://localhost:8081",
        "external URL of the approval API, for links in notifications",
        parse_http_url,
    ),
    _V(
        "HEADWIND_UI_URL",
        SERVERS,
        None,
        "external URL of the web UI, for links in notifications",
        parse_http_url,
    ),
    _V(
        "HEADWIND_UI_AUTH_MODE",
        SERVERS,
        "none",
        f"how the UI and API authenticate people: {', '.join(UI_AUTH_MODES)}",
        one_of(*UI_AUTH_MODES),
    ),
    _V(
        "HEADWIND_UI_PROXY_HEADER",
        SERVERS,
        "X-Forwarded-User",
        "header carrying the user name in proxy auth mode",
        parse_header_name,
    ),
    _V(
        "HEADWIND_LEADER_ELECTION",
        LEADER,
        "true",
        "elect a leader through a Lease so only one replica acts",
        parse_bool,
    ),
    _V("HEADWIND_NAMESPACE", LEADER, None, "the namespace the operator's pod runs in", parse_dns_label),
    _V(
        "HEADWIND_LEASE_NAME",
        LEADER,
        "headwind-leader",
        "name of the leader election Lease",
        parse_dns_subdomain,
    ),
    _V(
        "HEADWIND_LEASE_NAMESPACE",
        LEADER,
        "default",
        "namespace of the leader election Lease",
        parse_dns_label,
        fallbacks=("HEADWIND_NAMESPACE",),
    ),
    _V(
        "HEADWIND_LEASE_DURATION",
        LEADER,
        "15",
        "seconds a leader holds the Lease without renewing it",
        parse_positive_seconds,
    ),
    _V(
        "HEADWIND_LEASE_RENEW_DEADLINE",
        LEADER,
        "10",
        "seconds the leader keeps trying to renew before it stops acting; less than the duration",
        parse_positive_seconds,
    ),
    _V(
        "HEADWIND_LEASE_RETRY_PERIOD",
        LEADER,
        "2",
        "seconds between attempts to acquire or renew; less than the renew deadline",
        parse_positive_seconds,
    ),
    _V(
        "HEADWIND_IDENTITY",
        LEADER,
        None,
        "this replica's name in the Lease",
        parse_text,
        fallbacks=("HOSTNAME",),
        shown_default="$HOSTNAME, else a generated name",
    ),
    _V(
        "HEADWIND_LOG_LEVEL",
        LOGGING,
        "info",
        f"least severe level logged: {', '.join(LOG_LEVELS)}",
        one_of(*LOG_LEVELS),
    ),
    _V(
        "HEADWIND_LOG_FORMAT",
        LOGGING,
        "auto",
        "json (one object per line) or console; auto: console on a terminal, else json",
        one_of(*LOG_FORMATS),
    ),
    _V("SLACK_ENABLED", NOTIFY, "false", "send notifications to Slack (needs SLACK_WEBHOOK_URL)", parse_bool),
    _V("SLACK_WEBHOOK_URL", NOTIFY, None, "Slack incoming webhook URL", parse_http_url, secret=True),
    _V("SLACK_CHANNEL", NOTIFY, None, "Slack channel override", parse_text),
    _V("SLACK_USERNAME", NOTIFY, None, "Slack user name override", parse_text),
    _V("SLACK_ICON_EMOJI", NOTIFY, None, "Slack icon emoji override, e.g. :rocket:", parse_text),
    _V(
        "TEAMS_ENABLED",
        NOTIFY,
        "false",
        "send notifications to Microsoft Teams (needs TEAMS_WEBHOOK_URL)",
        parse_bool,
    ),
    _V("TEAMS_WEBHOOK_URL", NOTIFY, None, "Teams incoming webhook URL", parse_http_url, secret=True),
    _V(
        "WEBHOOK_ENABLED",
        NOTIFY,
        "false",
        "send notifications to a generic webhook (needs WEBHOOK_URL)",
        parse_bool,
    ),
    _V("WEBHOOK_URL", NOTIFY, None, "generic notification webhook URL", parse_http_url, secret=True),
    _V(
        "WEBHOOK_SECRET",
        NOTIFY,
        None,
        "secret that signs generic webhook notifications",
        parse_text,
        secret=True,
    ),
    _V("WEBHOOK_TIMEOUT", NOTIFY, "10", "seconds to wait for the generic webhook", parse_positive_seconds),
    _V(
        "WEBHOOK_MAX_RETRIES",
        NOTIFY,
        "3",
        "retries of a failed generic webhook notification",
        whole_number(0),
    ),
)
del _V

VARIABLES_BY_NAME: Mapping[str, Variable] = {variable.name: variable for variable in VARIABLES}

_PORTS = ("HEADWIND_WEBHOOK_PORT", "HEADWIND_API_PORT", "HEADWIND_UI_PORT", "HEADWIND_METRICS_PORT")
_NOTIFIERS = (
    ("SLACK_ENABLED", "SLACK_WEBHOOK_URL"),
    ("TEAMS_ENABLED", "TEAMS_WEBHOOK_URL"),
    ("WEBHOOK_ENABLED", "WEBHOOK_URL"),
)
# A must be less than B: (A, B).
_LESS_THAN = (
    ("HEADWIND_LEASE_RENEW_DEADLINE", "HEADWIND_LEASE_DURATION"),
    ("HEADWIND_LEASE_RETRY_PERIOD", "HEADWIND_LEASE_RENEW_DEADLINE"),
)


# --- loading ----------------------------------------------------------------------------------------


def load_settings(env: Mapping[str, str]) -> Settings:
    """The settings ``env`` asks for; :class:`SettingsError` listing every problem if any."""
    problems: list[str] = []
    values: dict[str, Any] = {}  # by variable name, only for those that parsed
    service_links: list[str] = []
    for variable in VARIABLES:
        raw, source = _raw_value(variable, env)
        if raw is not None and variable.name.endswith("_PORT") and _SERVICE_LINK_VALUE.fullmatch(raw.strip()):
            service_links.append(variable.name)
            raw, source = variable.default, None
        if raw is None:
            values[variable.name] = None
            continue
        try:
            values[variable.name] = variable.parser(raw)
        except ValueError as error:
            if source in VARIABLES_BY_NAME:
                continue  # the variable it fell back to reports the problem itself
            shown = "the value (hidden: it is a secret)" if variable.secret else repr(raw)
            origin = f" (from {source})" if source else ""
            problems.append(f"{variable.name}: {shown}{origin} {error}")
    problems.extend(_cross_checks(values))
    if problems:
        raise SettingsError(problems)
    return Settings(
        **{VARIABLES_BY_NAME[name].field: value for name, value in values.items()},
        unknown_variables=tuple(sorted(_unknown_variables(env))),
        ignored_service_links=tuple(service_links),
    )


def _raw_value(variable: Variable, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The text to parse and the other variable it came from (None: its own, or its default)."""
    own = env.get(variable.name, "")
    if own.strip():
        return own, None
    for name in variable.fallbacks:
        text = env.get(name, "")
        if text.strip():
            return text, name
    return variable.default, None


def _cross_checks(values: Mapping[str, Any]) -> list[str]:
    """Problems between variables; each check runs only when its variables parsed."""
    problems: list[str] = []
    seen: dict[int, str] = {}
    for name in _PORTS:
        port = values.get(name)
        if port is None:
            continue
        if port in seen:
            problems.append(
                f"{name}: {port} is already the port of {seen[port]}; each server needs its own port"
            )
        else:
            seen[port] = name
    for smaller, larger in _LESS_THAN:
        low, high = values.get(smaller), values.get(larger)
        if low is not None and high is not None and not low < high:
            problems.append(f"{smaller}: {low:g} must be less than {larger} ({high:g})")
    for enabled, url in _NOTIFIERS:
        if values.get(enabled) and url in values and values[url] is None:
            problems.append(f"{enabled}: notifications are enabled but {url} is not set")
    return problems


def _unknown_variables(env: Mapping[str, str]) -> list[str]:
    return [
        name
        for name, value in env.items()
        if name.startswith("HEADWIND_")
        and name not in VARIABLES_BY_NAME
        and not _SERVICE_LINK_NAME.fullmatch(name)
        and not (name.endswith("_PORT") and _SERVICE_LINK_VALUE.fullmatch(value.strip()))
    ]

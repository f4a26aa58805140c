"""The config file: schema, defaults, error messages, docs and the annotated example."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from drift.core.findings import Evidence, Finding, OperationRef
from drift.core.identity import HeaderRule, JwtClaimRule
from drift.core.kinds import KINDS, Severity
from drift.edges.config import (
    ConfigError,
    DriftConfig,
    Issue,
    LifecycleConfig,
    NotifyConfig,
    PolicyConfig,
    PrivacyConfig,
    ProxyConfig,
    ReportsConfig,
    RetentionConfig,
    SamplingConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
    TriggerConfig,
    WaiverConfig,
    WaiverMatch,
    check_config,
    config_schema,
    cron_trigger,
    load_config,
    parse_duration,
    parse_size,
    schema_keys,
)
from drift.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "drift.yaml"
DOCS = ROOT / "docs" / "configuration.md"
ORDERS = ROOT / "config" / "examples" / "orders" / "openapi.yaml"
ENV_OK = {"SLACK_BOT_TOKEN": "xoxb-test", "DRIFT_WEBHOOK_URL": "https://example.com/hook"}


def write(tmp_path: Path, text: str, name: str = "drift.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def issues_of(path: Path, env: dict[str, str] | None = None) -> list[Issue]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return list(caught.value.issues)


def one_issue(path: Path) -> Issue:
    issues = issues_of(path)
    assert 1 == len(issues), issues
    return issues[0]


# -- the example and the docs -------------------------------------------------------------------


def test_the_example_config_passes_check_without_warnings_when_the_secrets_are_set() -> None:
    config, warnings = check_config(EXAMPLE, env=ENV_OK)
    assert [] == warnings
    assert ORDERS == config.services[0].contract
    assert "orders" == config.services[0].name
    assert (HeaderRule("x-consumer-id"),) == config.consumers[:1]


def test_the_example_config_warns_about_unset_secret_variables() -> None:
    _, warnings = check_config(EXAMPLE, env={})
    assert 2 == len(warnings)
    assert "SLACK_BOT_TOKEN is not set" in warnings[0]
    assert "DRIFT_WEBHOOK_URL is not set" in warnings[1]


def _example_keys(value: Any, prefix: str, schema: set[str]) -> set[str]:
    """Dotted paths of the example's keys, in `schema_keys` form (maps stop at their keys)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _example_keys(item, f"{prefix}[]", schema)
    elif isinstance(value, dict):
        if prefix and not any(k.startswith(f"{prefix}.") for k in schema):
            return found  # a free-form map such as policy.severity
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path not in schema and f"{prefix}.<name>" in {k.rsplit(".", 1)[0] for k in schema}:
                found |= _example_keys(item, f"{prefix}.<name>", schema)  # a map's own key
                continue
            found.add(path)
            found |= _example_keys(item, path, schema)
    return found


def test_every_key_of_the_example_is_in_the_schema_and_every_section_is_shown() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    keys = set(schema_keys())
    used = _example_keys(document, "", keys)
    assert set() == used - keys
    assert set(config_schema()["properties"]) == set(document)


def test_every_key_of_the_example_has_a_comment() -> None:
    bare = [
        line
        for line in EXAMPLE.read_text().splitlines()
        if re.match(r"^\s*(- )?[\w.-]+:", line) and " # " not in line
    ]
    assert [] == bare


def _documented() -> dict[str, str]:
    """Key -> default cell, from the docs' tables with a key / type / default / meaning header."""
    rows: dict[str, str] = {}
    for table in DOCS.read_text().split("| key | type | default | meaning |\n|---|")[1:]:
        for line in table.splitlines()[1:]:
            m = re.match(r"\| `([^`]+)` \| [^|]+ \| ([^|]+) \|", line)
            if m is None:
                break
            rows[m.group(1)] = m.group(2).strip()
    return rows


def test_every_schema_key_is_documented_and_every_documented_key_exists() -> None:
    assert set(schema_keys()) == set(_documented())


def test_documented_defaults_match_the_schema() -> None:
    documented = _documented()
    wrong = {}
    for key in schema_keys():
        default = _property(key).get("default")
        if default not in (None, {}):
            expected = f"`{json.dumps(default, ensure_ascii=False)}`"
            if documented[key] != expected:
                wrong[key] = (expected, documented[key])
    assert {} == wrong


def test_the_env_variables_are_documented() -> None:
    text = DOCS.read_text()
    for name in ("DRIFT_STORE_URL", "SLACK_BOT_TOKEN", "DRIFT_WEBHOOK_URL", "url_env"):
        assert f"`{name}`" in text


# -- the schema itself --------------------------------------------------------------------------


def _property(dotted: str) -> dict[str, Any]:
    """The schema of a `schema_keys` path (the property entry, before any $ref)."""
    schema = config_schema()
    node: dict[str, Any] = schema
    for token in re.findall(r"[^.\[\]]+|\[\]", dotted):
        for _ in range(4):  # through $ref and anyOf to the object (or list) schema
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
            elif "anyOf" in node and "properties" not in node:
                node = next(b for b in node["anyOf"] if b != {"type": "null"})
        if token == "[]":
            node = node["items"]
        elif token == "<name>":
            node = node["additionalProperties"]
        else:
            node = node["properties"][token]
    return node


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "properties" in node:
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_the_schema_is_valid_draft_2020_12_and_closed_everywhere() -> None:
    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    objects = _objects(schema)
    assert [] == [
        o.get("description") for o in objects if o.get("additionalProperties") is not False
    ]


def test_every_schema_property_has_a_description_and_optional_ones_a_default() -> None:
    missing = []
    for obj in _objects(config_schema()):
        for name, prop in obj["properties"].items():
            if not prop.get("description"):
                missing.append(f"{name}: description")
            if name not in obj.get("required", ()) and "default" not in prop:
                missing.append(f"{name}: default")
    assert [] == missing


def test_the_schema_knows_exactly_the_finding_kinds() -> None:
    assert sorted(KINDS) == config_schema()["$defs"]["kind"]["enum"]


# -- loading and defaults -----------------------------------------------------------------------


def test_a_minimal_config_gets_every_default(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: api.yaml}]\n")
    config = load_config(path, env={})
    expected = DriftConfig(
        path=path,
        services=(ServiceConfig(contract=tmp_path / "api.yaml"),),
        store=f"sqlite:///{tmp_path}/drift.db",
        reports=replace(ReportsConfig(), directory=tmp_path / "reports"),
    )
    assert expected == config
    assert SamplingConfig() == config.sampling
    assert ScheduleConfig(
        review=TriggerConfig(every=900.0),
        digest=TriggerConfig(cron="0 9 * * 1-5"),
        retention=TriggerConfig(cron="30 3 * * *"),
        window=86400.0,
        misfire_grace=300.0,
    ) == (config.schedule)
    assert ProxyConfig(stream_large_bodies=8 << 20, body_limit=4 << 20) == config.proxy
    assert (PrivacyConfig(), LifecycleConfig(), RetentionConfig()) == (
        config.privacy,
        config.lifecycle,
        config.retention,
    )
    assert (PolicyConfig(), NotifyConfig(), ()) == (config.policy, config.notify, config.waivers)


def test_slack_defaults_are_filled_in_when_the_section_is_given(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services: [{contract: api.yaml}]
        notify: {slack: {channel: "#api-drift"}}
        """,
    )
    assert SlackConfig(channel="#api-drift") == load_config(path, env={}).notify.slack


def test_relative_paths_resolve_against_the_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    path = write(
        etc,
        """
        store: sqlite:///data/drift.db
        services: [{contract: contracts/orders.yaml}]
        proxy: {confdir: mitm}
        reports: {directory: ../out}
        """,
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("etc/drift.yaml"), env={})
    assert path == tmp_path / "etc" / "drift.yaml"
    assert etc / "contracts" / "orders.yaml" == config.services[0].contract
    assert f"sqlite:///{etc}/data/drift.db" == config.store
    assert etc / "mitm" == config.proxy.confdir
    assert tmp_path / "out" == config.reports.directory
    assert etc / "drift.yaml" == config.path


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        store: sqlite:////var/lib/drift/drift.db
        services: [{contract: /srv/contracts/orders.yaml}]
        """,
    )
    config = load_config(path, env={})
    assert ("sqlite:////var/lib/drift/drift.db", Path("/srv/contracts/orders.yaml")) == (
        config.store,
        config.services[0].contract,
    )


def test_the_store_url_comes_from_the_environment_when_set(tmp_path: Path) -> None:
    path = write(tmp_path, "store: sqlite:///drift.db\nservices: [{contract: api.yaml}]\n")
    env = {"DRIFT_STORE_URL": "postgresql://drift:s3cret@db:5432/drift"}
    assert env["DRIFT_STORE_URL"] == load_config(path, env=env).store


def test_a_bad_store_url_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: api.yaml}]\n")
    issues = issues_of(path, env={"DRIFT_STORE_URL": "mysql://db/drift"})
    assert [None] == [i.pointer for i in issues]
    assert issues[0].message.startswith("environment variable DRIFT_STORE_URL: ")
    assert "mysql" in issues[0].message


def test_a_json_config_works_too(tmp_path: Path) -> None:
    path = tmp_path / "drift.json"
    path.write_text(json.dumps({"services": [{"contract": "api.json"}], "lifecycle": {}}))
    assert 3 == load_config(path, env={}).lifecycle.resolve_after


def test_values_are_typed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services: [{contract: api.yaml}]
        consumers: [{jwt_claim: azp, header: X-Token}, {header: X-Consumer-Id}]
        sampling: {all: true}
        proxy: {flush_interval: 500ms, stream_large_bodies: 512k, body_limit: 1048576}
        schedule: {window: 2w, review: {cron: "@hourly"}}
        policy: {severity: {operation.unused: warning}, ignore_headers: [X-Trace]}
        reports: {keep: null}
        notify: {webhooks: [{name: ops, url_env: OPS_URL, min_severity: error}]}
        waivers:
          - {match: {method: get, status: 404}, reason: r, by: me, expires: "2030-01-31T12:00:00+01:00"}
        """,
    )
    config = load_config(path, env={})
    assert (JwtClaimRule(("azp",), "x-token"), HeaderRule("x-consumer-id")) == config.consumers
    assert (0.5, 512 * 1024, 1 << 20) == (
        config.proxy.flush_interval,
        config.proxy.stream_large_bodies,
        config.proxy.body_limit,
    )
    assert (14 * 86400.0, "@hourly") == (config.schedule.window, config.schedule.review.cron)
    assert {"operation.unused": Severity.WARNING} == config.policy.severity
    assert None is config.reports.keep
    assert Severity.ERROR == config.notify.webhooks[0].min_severity
    assert WaiverMatch(method="GET", status="404") == config.waivers[0].match
    assert datetime(2030, 1, 31, 11, tzinfo=UTC) == config.waivers[0].expires
    assert float("inf") == config.sampling.policy().route_rate
    assert {"x-trace", "x-token", "x-consumer-id"} == set(config.compare_policy().ignore_headers)


# -- errors -------------------------------------------------------------------------------------


def test_an_unknown_key_names_its_line_and_the_nearest_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services:
          - contract: api.yaml
        shedule:
          review: {every: 15m}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert (Issue("/shedule", "unknown key 'shedule'", "did you mean 'schedule'?", 3),) == (
        caught.value.issues
    )
    assert f"{path}:3 at '/shedule': unknown key 'shedule'\n  hint: did you mean 'schedule'?" == (
        str(caught.value)
    )


def test_an_unknown_key_without_a_near_one_lists_the_valid_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: a.yaml}]\nlifecycle: {xyzzy: 1}\n")
    assert Issue(
        "/lifecycle/xyzzy", "unknown key 'xyzzy'", "valid keys here: resolve_after", 2
    ) == (one_issue(path))


def test_a_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  contract: api.yaml\n")
    assert Issue("/services", "expected a list, got a mapping", None, 1) == one_issue(path)


def test_a_bad_duration_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: a.yaml}]\nschedule:\n  window: 1 day\n")
    issue = one_issue(path)
    assert ("/schedule/window", 3) == (issue.pointer, issue.line)
    assert issue.message.startswith("'1 day' is not a duration")


@pytest.mark.parametrize(
    ("cron", "says"),
    [
        ("61 * * * *", "higher than the maximum value (59)"),
        ("0 9 * * 1-5 *", "has 6 fields; a cron expression has 5"),
        ("0 9 1 * 1", "restricts both the day of the month and the day of the week"),
        ("0 9 * * 8", "day of week '8'"),
    ],
)
def test_a_bad_cron_expression_is_explained(tmp_path: Path, cron: str, says: str) -> None:
    path = write(
        tmp_path, f'services: [{{contract: a.yaml}}]\nschedule:\n  digest: {{cron: "{cron}"}}\n'
    )
    issue = one_issue(path)
    assert ("/schedule/digest/cron", 3) == (issue.pointer, issue.line)
    assert says in issue.message


def test_every_and_cron_exclude_each_other(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "services: [{contract: a.yaml}]\nschedule:\n  review: {every: 5m, cron: '@daily'}\n",
    )
    expected = Issue(
        "/schedule/review", "'every' and 'cron' exclude each other: give only one", None, 3
    )
    assert expected == one_issue(path)


def test_a_trigger_needs_every_or_cron(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: a.yaml}]\nschedule:\n  review: {}\n")
    assert Issue("/schedule/review", "needs one of 'every' or 'cron'", None, 3) == one_issue(path)


def test_an_unknown_kind_in_policy_severity_gets_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services: [{contract: a.yaml}]
        policy:
          severity:
            response.body.undocumented-feild: error
        """,
    )
    pointer = "/policy/severity/response.body.undocumented-feild"
    assert Issue(
        pointer,
        "unknown finding kind 'response.body.undocumented-feild'",
        "did you mean 'response.body.undocumented-field'?",
        4,
    ) == one_issue(path)


def test_a_bad_severity_gets_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "services: [{contract: a.yaml}]\nnotify:\n  slack: {channel: x, immediate: errror}\n",
    )
    assert Issue(
        "/notify/slack/immediate",
        "'errror' is not a severity; choose info, warning or error",
        "did you mean 'error'?",
        3,
    ) == one_issue(path)


@pytest.mark.parametrize(
    ("snippet", "pointer", "says"),
    [
        (
            "notify: {slack: {channel: x, token: xoxb-1234567890-abcdefghij}}",
            "/notify/slack/token",
            "use token_env instead",
        ),
        (
            "notify: {slack: {channel: x, token_env: xoxb-1234567890-abcdefghij}}",
            "/notify/slack/token_env",
            "looks like a Slack token",
        ),
        (
            "notify: {webhooks: [{name: ops, url: 'https://example.com/hook/abc123'}]}",
            "/notify/webhooks/0/url",
            "use url_env instead",
        ),
        (
            "notify: {webhooks: [{name: ops, url_env: 'https://hooks.slack.com/services/T0/B0/XyZ'}]}",
            "/notify/webhooks/0/url_env",
            "looks like a Slack webhook URL",
        ),
        ("store: postgresql://drift:hunter22@db/drift", "/store", "this URL holds a password"),
    ],
)
def test_a_secret_in_the_file_is_rejected_without_repeating_it(
    tmp_path: Path, snippet: str, pointer: str, says: str
) -> None:
    path = write(tmp_path, f"services: [{{contract: a.yaml}}]\n{snippet}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    issue = next(i for i in caught.value.issues if i.pointer == pointer)
    assert says in issue.message
    assert re.search(r"(token|url)_env: |DRIFT_STORE_URL", issue.hint or "")
    for secret in ("1234567890-abcdefghij", "abc123", "XyZ", "hunter22"):
        assert secret not in str(caught.value)


def test_a_missing_required_key_is_named_with_its_meaning(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  - owner: team-orders\n")
    issue = one_issue(path)
    assert ("/services/0", "missing required key 'contract'", 2) == (
        issue.pointer,
        issue.message,
        issue.line,
    )
    assert "OpenAPI" in (issue.hint or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# nothing yet\n", Issue("", "the config file is empty", "a minimal", None)),
        ("store: sqlite:///x.db\n", Issue("", "missing required key 'services'", None, None)),
        ("services: []\n", Issue("/services", "at least one service is needed", None, 1)),
        ("- services\n", Issue("", "expected a mapping, got a list", None, None)),
    ],
)
def test_a_config_needs_services(tmp_path: Path, text: str, expected: Issue) -> None:
    issue = one_issue(write(tmp_path, text))
    assert (expected.pointer, expected.message, expected.line) == (
        issue.pointer,
        issue.message,
        issue.line,
    )
    assert (issue.hint or "").startswith(expected.hint or "")


def test_all_problems_are_reported_together_sorted_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services:
          - contract: a.yaml
            slack_channel: Team Orders
        sampling: {first_n: many}
        shedule: {}
        schedule:
          review: {every: 15x}
        policy: {min_count: 0}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    issues = caught.value.issues
    assert [
        ("/services/0/slack_channel", 3),
        ("/sampling/first_n", 4),
        ("/shedule", 5),
        ("/schedule/review/every", 7),
        ("/policy/min_count", 8),
    ] == [(i.pointer, i.line) for i in issues]
    text = str(caught.value)
    assert text.startswith(f"{path}: 5 problems\n  line 3 at '/services/0/slack_channel': ")
    assert (
        "  line 5 at '/shedule': unknown key 'shedule'\n      hint: did you mean 'schedule'?"
        in text
    )


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  - contract: [a.yaml\n")
    with pytest.raises(InputError) as caught:
        load_config(path, env={})
    assert caught.value.line is not None
    assert "invalid YAML" in caught.value.message


def test_a_key_written_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "services: [{contract: a.yaml}]\nsampling: {}\nsampling: {all: true}\n")
    assert Issue(
        "/sampling",
        "key 'sampling' appears twice (first on line 2)",
        "YAML keeps only the last one; merge the two",
        3,
    ) == one_issue(path)


def test_an_unquoted_channel_is_explained_as_a_yaml_comment(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  - contract: a.yaml\n    slack_channel: #orders\n")
    issue = one_issue(path)
    assert (None, 3, 'quote it: slack_channel: "#orders"') == (
        issue.pointer,
        issue.line,
        issue.hint,
    )


def test_a_bad_consumer_rule_is_reported_by_pointer_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        services: [{contract: a.yaml}]
        consumers:
          - header: X-Consumer-Id
          - header: Authorization
        """,
    )
    issue = one_issue(path)
    assert ("/consumers/1/header", 4) == (issue.pointer, issue.line)
    assert "carries credentials" in issue.message


def test_duplicate_service_names_and_listen_addresses_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        proxy: {enabled: true}
        services:
          - {name: orders, contract: a.yaml, upstream: "http://127.0.0.1:8000"}
          - {name: orders, contract: b.yaml, upstream: "http://127.0.0.1:8001"}
        """,
    )
    issues = issues_of(path)
    assert ["/services/1/listen", "/services/1/name"] == sorted(str(i.pointer) for i in issues)


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("15m", 900.0), ("24h", 86400.0), ("7d", 604800.0), ("500ms", 0.5), (90, 90.0)],
)
def test_durations_are_seconds(text: str | int, seconds: float) -> None:
    assert seconds == parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("512k", 524288), ("8m", 8 << 20), ("1g", 1 << 30), ("8MiB", 8 << 20), ("100", 100), (7, 7)],
)
def test_sizes_are_bytes(text: str | int, size: int) -> None:
    assert size == parse_size(text)


def test_cron_weekdays_keep_their_crontab_meaning() -> None:
    saturday = datetime(2025, 1, 4, 12, tzinfo=UTC)
    trigger = TriggerConfig(cron="0 9 * * 1-5").trigger(UTC)
    fired = trigger.get_next_fire_time(None, saturday)
    assert datetime(2025, 1, 6, 9, tzinfo=UTC) == fired  # Monday, not Tuesday
    sunday = cron_trigger("0 9 * * 0", UTC).get_next_fire_time(None, saturday)
    assert datetime(2025, 1, 5, 9, tzinfo=UTC) == sunday


def _finding(**changes: Any) -> Finding:
    finding = Finding(
        kind="response.body.undocumented-field",
        severity=Severity.WARNING,
        service="orders",
        operation=OperationRef("GET", "/orders/{orderId}"),
        location="response.body",
        pointer="/discount",
        message="m",
        evidence=Evidence(count=1, total=1),
        status="200",
    )
    return replace(finding, **changes)


def test_configured_waivers_apply_by_id_or_by_match_until_they_expire() -> None:
    from drift.core.waivers import applies

    now = datetime(2026, 6, 1, tzinfo=UTC)
    finding = _finding()
    by_id = WaiverConfig("r", "me", finding=finding.id, expires=now + timedelta(days=1)).to_waiver()
    by_match = WaiverConfig(
        "r", "me", match=WaiverMatch(service="orders", pointer="/discount")
    ).to_waiver()
    assert (True, True) == (applies(by_id, finding, now), applies(by_match, finding, now))
    assert False is applies(by_id, finding, now + timedelta(days=2))
    assert False is applies(by_match, _finding(pointer="/total"), now)
    assert ("config", {"service": "orders", "pointer": "/discount"}) == (
        by_match.source,
        by_match.match,
    )


# -- check_config -------------------------------------------------------------------------------


def test_check_reports_missing_contracts_and_expired_waivers_as_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        services:
          - contract: missing.yaml
          - contract: {ORDERS}
        waivers:
          - {{finding: 9ffc0d99bb0986ea, reason: old, by: me, expires: 2020-01-31}}
        """,
    )
    _, warnings = check_config(path, env={})
    assert 2 == len(warnings)
    assert warnings[0].startswith(f"{path}:2 at '/services/0/contract': contract file ")
    assert (
        f"{path}:5 at '/waivers/0/expires': this waiver expired at 2020-02-01 00:00 UTC"
        in warnings[1]
    )


def test_check_rejects_an_unusable_contract(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text("just: a mapping\n")
    path = write(tmp_path, "services: [{contract: api.yaml}]\n")
    with pytest.raises(ConfigError) as caught:
        check_config(path, env={})
    assert ["/services/0/contract"] == [i.pointer for i in caught.value.issues]
    assert "unusable contract" in caught.value.issues[0].message


def test_check_rejects_two_services_named_alike_by_their_titles(tmp_path: Path) -> None:
    path = write(tmp_path, f"services: [{{contract: {ORDERS}}}, {{contract: {ORDERS}}}]\n")
    with pytest.raises(ConfigError) as caught:
        check_config(path, env={})
    assert ["/services/1"] == [i.pointer for i in caught.value.issues]
    assert "'orders-api'" in caught.value.issues[0].message


def test_check_warns_about_owners_of_undeclared_consumers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        services: [{{contract: {ORDERS}, owner: team-orders}}]
        owners: {{biling: {{team: team-billing}}}}
        """,
    )
    _, warnings = check_config(path, env={})
    assert 1 == len(warnings)
    assert "'biling' is not a consumer any contract declares" in warnings[0]
    assert "did you mean 'billing'?" in warnings[0]


def test_the_hosted_sidecar_gets_the_privacy_lists_and_the_sampling(tmp_path: Path) -> None:
    from drift.core.privacy import NamePolicy
    from drift.edges.daemon.run import proxy_settings

    (tmp_path / "a.yaml").write_text((ROOT / "config/examples/orders/openapi.yaml").read_text())
    path = write(
        tmp_path,
        """
        proxy: {enabled: true}
        sampling: {first_n: 7, new_shapes: false, burst_seconds: 2}
        privacy: {header_deny: [X-Trace-Id], param_deny: [debug]}
        services:
          - {name: orders, contract: a.yaml, upstream: "http://127.0.0.1:8000"}
        """,
    )
    settings = proxy_settings(load_config(path))
    expected = NamePolicy(header_deny=frozenset({"x-trace-id"}), param_deny=frozenset({"debug"}))
    assert expected == settings.names
    assert (7, False, "2.0") == (
        settings.drift["drift_sample_first"],
        settings.drift["drift_sample_new_shapes"],
        settings.drift["drift_sample_burst"],
    )

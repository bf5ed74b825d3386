"""Reading deployed function-app zips: functions, emulator.json, host.json, and route templates."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from slotwise_emulator.apps import (
    BACKGROUND,
    app_files,
    broken_build,
    good_build,
    http_function,
    invalid_zip,
    write_zip,
)
from slotwise_emulator.backends.model import Content
from slotwise_emulator.backends.packages import (
    MAX_MEMBER_BYTES,
    PackageError,
    RouteTemplate,
    find_function,
    read_package,
)


def test_a_good_build_serves_its_http_functions(tmp_path: Path) -> None:
    package = read_package(good_build(tmp_path / "app.zip", version="7"))

    assert sorted(package.functions) == ["health", "hello", "items", "reset"]
    assert all(f.http and f.trigger == "httpTrigger" for f in package.functions.values())
    assert package.route_prefix == "api"
    hello = package.functions["hello"]
    assert (hello.route, hello.methods, hello.auth_level) == ("hello/{name?}", ["GET", "POST"], "function")
    assert hello.response.echo is True
    assert hello.config["bindings"][0]["type"] == "httpTrigger"
    health = package.functions["health"]
    assert health.auth_level == "anonymous"
    assert (health.response.status, health.response.body, health.response.echo) == (
        200,
        {"status": "healthy", "version": "7"},
        False,
    )
    assert package.functions["reset"].auth_level == "admin"


def test_a_broken_build_keeps_its_status_and_delay(tmp_path: Path) -> None:
    health = read_package(broken_build(tmp_path / "b.zip", status=503, delay_ms=2000)).functions["health"]
    assert (health.response.status, health.response.delay_ms) == (503, 2000)


def test_route_defaults_to_the_function_name_and_methods_to_all(tmp_path: Path) -> None:
    files = {"Ping/function.json": http_function(None, methods=())}
    function = read_package(write_zip(tmp_path / "a.zip", files)).functions["ping"]
    assert (function.name, function.route, function.methods) == ("Ping", "Ping", [])


def test_host_json_route_prefix_is_honoured_and_may_be_empty(tmp_path: Path) -> None:
    for prefix, expected in (("/v1/", "v1"), ("", "")):
        files = {
            **app_files(),
            "host.json": {"version": "2.0", "extensions": {"http": {"routePrefix": prefix}}},
        }
        assert read_package(write_zip(tmp_path / "p.zip", files)).route_prefix == expected


def test_a_package_without_host_json_uses_the_api_prefix(tmp_path: Path) -> None:
    files = {k: v for k, v in app_files().items() if k != "host.json"}
    assert read_package(write_zip(tmp_path / "p.zip", files)).route_prefix == "api"


def test_json_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    files = {"f/function.json": b"\xef\xbb\xbf" + json.dumps(http_function("x")).encode()}
    assert read_package(write_zip(tmp_path / "bom.zip", files)).functions["f"].route == "x"


def test_a_disabled_function_is_deployed_but_not_found_and_nested_function_json_is_no_function(
    tmp_path: Path,
) -> None:
    files = {
        "off/function.json": {**http_function("off"), "disabled": True},
        "lib/deep/function.json": http_function("deep"),
    }
    package = read_package(write_zip(tmp_path / "d.zip", files))
    assert sorted(package.functions) == ["off"]
    assert package.functions["off"].disabled is True
    assert package.functions["off"].disabled_in({}) is True


def test_every_trigger_type_is_a_function_and_only_http_ones_are_routed(tmp_path: Path) -> None:
    kinds = sorted(BACKGROUND)
    package = read_package(write_zip(tmp_path / "t.zip", app_files(triggers=kinds)))
    names = {BACKGROUND[kind][0]: kind for kind in kinds}
    assert sorted(package.functions) == sorted(["health", "hello", "items", "reset", *names])
    for name, kind in names.items():
        function = package.functions[name]
        assert function.trigger == BACKGROUND[kind][1]["type"]
        assert not function.http
        assert (function.route, function.methods, function.auth_level) == ("", [], "")
        assert function.config["bindings"] == [BACKGROUND[kind][1]]
    content = Content(functions=package.functions)
    assert find_function(content, "GET", "/api/nightly") is None
    assert find_function(content, "GET", "/api/orders") is None


def test_a_function_json_without_a_trigger_is_no_function(tmp_path: Path) -> None:
    files = {"out/function.json": {"bindings": [{"type": "queue", "direction": "out", "name": "q"}]}}
    assert read_package(write_zip(tmp_path / "n.zip", files)).functions == {}


@pytest.mark.parametrize(
    ("settings", "disabled"),
    [
        ({}, False),
        ({"AzureWebJobs.nightly.Disabled": "true"}, True),
        ({"AzureWebJobs.nightly.Disabled": "1"}, True),
        ({"azurewebjobs.NIGHTLY.disabled": "True"}, True),
        ({"AzureWebJobs.nightly.Disabled": "false"}, False),
        ({"AzureWebJobs.nightly.Disabled": "0"}, False),
        ({"AzureWebJobs.other.Disabled": "true"}, False),
    ],
)
def test_the_disabled_app_setting_of_a_slot_disables_a_function(
    tmp_path: Path, settings: dict[str, str], disabled: bool
) -> None:
    package = read_package(write_zip(tmp_path / "s.zip", app_files(triggers=["timer"])))
    assert package.functions["nightly"].disabled_in(settings) is disabled


def test_the_rest_of_the_package_is_never_read(tmp_path: Path) -> None:
    """A payload member with corrupted data does not matter: only the small JSON members are read."""
    payload = b"A" * 200_000
    path = write_zip(
        tmp_path / "big.zip", {**app_files(), "bin/payload.bin": payload}, compression=zipfile.ZIP_STORED
    )
    raw = path.read_bytes()
    start = raw.index(payload)
    path.write_bytes(raw[:start] + b"B" * 1000 + raw[start + 1000 :])  # CRC of the payload no longer matches
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() == "bin/payload.bin"
    assert "health" in read_package(path).functions


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"hello/function.json": "{ not json"}, "hello/function.json: not valid JSON"),
        ({"hello/function.json": {"bindings": {}}}, "hello/function.json: field 'bindings'"),
        ({"hello/function.json": http_function("x", auth="root")}, "hello/function.json: field 'authLevel'"),
        ({"hello/function.json": http_function("a/{*b}/c")}, "hello/function.json: field 'route'"),
        ({"hello/function.json": http_function("a/{id:banana}")}, "unknown constraint 'banana'"),
        (
            {"hello/function.json": {"bindings": [{"type": "httpTrigger", "methods": "get"}]}},
            "hello/function.json: field 'methods'",
        ),
        (
            {"hello/function.json": {"bindings": [{"type": "timerTrigger"}, {"type": "queueTrigger"}]}},
            "hello/function.json: field 'bindings' holds more than one trigger (timerTrigger, queueTrigger)",
        ),
        (
            {"hello/function.json": {"bindings": [{"type": "queueTrigger", "direction": "out"}]}},
            "hello/function.json: field 'bindings[].direction' of the queueTrigger must be 'in'",
        ),
        ({"hello/emulator.json": {"staus": 500}}, "hello/emulator.json: unknown field 'staus'"),
        ({"hello/emulator.json": {"status": 101}}, "hello/emulator.json: field 'status'"),
        ({"hello/emulator.json": {"status": True}}, "hello/emulator.json: field 'status'"),
        ({"hello/emulator.json": {"delayMs": 999_999}}, "hello/emulator.json: field 'delayMs'"),
        ({"hello/emulator.json": {"headers": {"X-A": 1}}}, "hello/emulator.json: field 'headers.X-A'"),
        (
            {"hello/emulator.json": {"headers": {"Bad Name": "v"}}},
            "hello/emulator.json: field 'headers.Bad Name'",
        ),
        ({"hello/emulator.json": [200]}, "hello/emulator.json: must be a JSON object"),
        (
            {"host.json": {"extensions": {"http": {"routePrefix": 3}}}},
            "host.json: field 'extensions.http.routePrefix'",
        ),
        ({"host.json": "[]"}, "host.json: must be a JSON object"),
        ({"HELLO/function.json": http_function("y")}, "exists twice"),
    ],
)
def test_malformed_members_name_the_file_and_field(
    tmp_path: Path, files: dict[str, object], expected: str
) -> None:
    path = write_zip(tmp_path / "bad.zip", {**app_files(), **files})
    with pytest.raises(PackageError) as caught:
        read_package(path)
    assert expected in str(caught.value)


def test_an_oversized_json_member_is_refused_without_reading_it(tmp_path: Path) -> None:
    files = {**app_files(), "hello/emulator.json": " " * (MAX_MEMBER_BYTES + 1) + "{}"}
    with pytest.raises(PackageError, match=r"hello/emulator.json: the file is \d+ bytes; at most \d+"):
        read_package(write_zip(tmp_path / "huge.zip", files))


def test_a_file_that_is_no_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="not a valid zip file"):
        read_package(invalid_zip(tmp_path / "x.zip"))


def test_an_empty_body_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.zip").write_bytes(b"")
    with pytest.raises(PackageError, match="not a valid zip file"):
        read_package(tmp_path / "empty.zip")


# ---- route templates --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("hello", "hello", {}),
        ("hello", "HELLO/", {}),
        ("hello", "hello/x", None),
        ("items/{id:int}", "items/42", {"id": "42"}),
        ("items/{id:int}", "items/-3", {"id": "-3"}),
        ("items/{id:int}", "items/abc", None),
        ("items/{id:int}", "items/99999999999", None),
        ("items/{id:long}", "items/99999999999", {"id": "99999999999"}),
        (
            "items/{id:guid}",
            "items/0f8fad5b-d9cb-469f-a165-70867728950e",
            {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"},
        ),
        ("items/{id:guid}", "items/nope", None),
        ("items/{flag:bool}", "items/True", {"flag": "True"}),
        ("items/{name:alpha:minlength(2)}", "items/ab", {"name": "ab"}),
        ("items/{name:alpha:minlength(2)}", "items/a", None),
        ("items/{n:range(1,5)}", "items/5", {"n": "5"}),
        ("items/{n:range(1,5)}", "items/6", None),
        (
            "items/{code:regex(^[a-z]{{2}}\\d$)}",
            "items/ab1",
            None,
        ),  # braces inside a regex are not understood
        ("items/{code:regex(^[a-z]+\\d$)}", "items/ab1", {"code": "ab1"}),
        ("items/{code:length(3)}", "items/abc", {"code": "abc"}),
        ("hello/{name?}", "hello", {}),
        ("hello/{name?}", "hello/ann", {"name": "ann"}),
        ("hello/{name=world}", "hello", {"name": "world"}),
        ("files/{*rest}", "files/a/b/c.txt", {"rest": "a/b/c.txt"}),
        ("files/{*rest}", "files", {}),
        ("files/{**rest}", "files/x", {"rest": "x"}),
        ("{a}-{b}", "one-two", {"a": "one", "b": "two"}),
        ("", "", {}),
        ("/hello/", "hello", {}),
    ],
)
def test_route_templates_match_like_the_functions_host(
    template: str, path: str, expected: dict[str, str] | None
) -> None:
    try:
        compiled = RouteTemplate.parse(template)
    except ValueError:
        assert expected is None
        return
    assert compiled.match(path) == expected


@pytest.mark.parametrize(
    "template",
    [
        "a/{*rest}/b",
        "a/{id",
        "a/id}",
        "a//b",
        "a/{x}/{X}",
        "a/{id:int(3)}",
        "a/{n:min}",
        "a/x{id?}",
        "a/{*r?}",
    ],
)
def test_invalid_route_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        RouteTemplate.parse(template)


def _content(tmp_path: Path, **host: object) -> Content:
    files = {
        **app_files(),
        "newitem/function.json": http_function("items/new"),
        "any/function.json": http_function("{*all}", methods=("delete",)),
    }
    if host:
        files["host.json"] = {"version": "2.0", "extensions": {"http": host}}
    package = read_package(write_zip(tmp_path / "c.zip", files))
    return Content(functions=package.functions, route_prefix=package.route_prefix)


def test_find_function_uses_the_prefix_methods_and_precedence(tmp_path: Path) -> None:
    content = _content(tmp_path)
    found = find_function(content, "get", "/api/items/12")
    assert found is not None
    assert (found[0].name, found[1]) == ("items", {"id": "12"})
    found = find_function(content, "GET", "/api/items/new")
    assert found is not None
    assert found[0].name == "newitem"
    found = find_function(content, "POST", "/API/hello/bob")
    assert found is not None
    assert (found[0].name, found[1]) == ("hello", {"name": "bob"})
    found = find_function(content, "DELETE", "/api/anything/at/all")
    assert found is not None
    assert found[0].name == "any"
    assert find_function(content, "PUT", "/api/hello") is None  # no function allows PUT there
    assert find_function(content, "GET", "/hello") is None  # outside the prefix
    assert find_function(content, "GET", "/apix/hello") is None


def test_find_function_without_a_prefix(tmp_path: Path) -> None:
    content = _content(tmp_path, routePrefix="")
    found = find_function(content, "GET", "/health")
    assert found is not None
    assert found[0].name == "health"
    assert find_function(content, "GET", "/api/health") is None

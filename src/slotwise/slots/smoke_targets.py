"""Where a smoke check's request goes on one slot: method, path and key, found through ARM.

Owns turning a ``Target`` (a function name or a path, see ``smoke_plan.py``) into a
``ResolvedTarget``: a function's route comes from ARM (``invokeUrlTemplate``, its route parameters
filled from ``routeParams``), its method from the trigger's ``methods``, the key from ARM (the
function's default key, a host function key or the master key) only when a check needs it. The
functions are listed once and every key is fetched once, and each key is registered with the run's
``SecretRegistry`` the moment it arrives, before anything could print it. A target that cannot be
resolved on this slot (no such function, missing route value...) raises ``UsageError`` with a
sentence for the check's result; ARM failures other than "not found" pass through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from slotwise.azure.arm import WebApps
from slotwise.azure.models import FunctionInfo, HostKeys, SlotRef
from slotwise.errors import NotFoundError, UsageError
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke_plan import Auth, Target

_PARAM = re.compile(r"\{([^{}]+)\}")
_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*(?P<path>/.*)?$", re.DOTALL)
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_DEFAULT_AUTH: dict[str, Auth] = {"anonymous": "none", "admin": "master"}


@dataclass(frozen=True)
class ResolvedTarget:
    """A request line and its key (never printed: ``repr`` leaves it out)."""

    method: str
    path: str  # percent-encoded, from the host's root
    key: str | None = field(default=None, repr=False)
    auth: Auth = "none"


class TargetResolver:
    """Resolves targets on one slot, asking ARM for functions and keys once each."""

    def __init__(self, web_apps: WebApps, ref: SlotRef, secrets: SecretRegistry) -> None:
        self._web_apps, self._ref, self._secrets = web_apps, ref, secrets
        self._functions: dict[str, FunctionInfo] | None = None
        self._function_keys: dict[str, dict[str, str]] = {}
        self._host_keys: HostKeys | None = None

    def resolve(self, target: Target) -> ResolvedTarget:
        if target.function is None:
            auth: Auth = target.auth or "none"
            path = quote(target.path or "/", safe=_PATH_SAFE)
            return ResolvedTarget(target.method or "GET", path, self._key(auth, None), auth)
        function = self.function(target.function)
        auth = target.auth or _DEFAULT_AUTH.get((function.auth_level or "function").lower(), "function")
        method = choose_method(function, target.method)
        path = fill_route(function.name, route_of(function), target.route_params)
        return ResolvedTarget(method, path, self._key(auth, function.name), auth)

    # ---- functions ---------------------------------------------------------------------------------
    def function(self, name: str) -> FunctionInfo:
        """The function called ``name`` (names ignore case, as the Functions host does)."""
        if self._functions is None:
            self._functions = {f.name.lower(): f for f in self._web_apps.functions(self._ref)}
        found = self._functions.get(name.lower())
        if found is None:
            served = sorted(f.name for f in self._functions.values() if f.invoke_url)
            known = f"its HTTP functions: {', '.join(served)}" if served else "it has no HTTP functions"
            raise UsageError(f"there is no function named '{name}' on {self._ref} ({known})")
        return found

    # ---- keys --------------------------------------------------------------------------------------
    def _key(self, auth: Auth, function: str | None) -> str | None:
        if auth == "none":
            return None
        if auth == "master":
            return self._host().master or _missing(f"{self._ref} has no master key")
        if auth == "host":
            return _pick(self._host().function_keys) or _missing(f"{self._ref} has no host function keys")
        assert function is not None  # the checks file cannot ask for a function key without a function
        return _pick(self._keys_of(function)) or _missing(f"function '{function}' has no function keys")

    def _host(self) -> HostKeys:
        if self._host_keys is None:
            keys = self._web_apps.host_keys(self._ref)
            self._register(keys.master, *keys.function_keys.values())
            self._host_keys = keys
        return self._host_keys

    def _keys_of(self, function: str) -> dict[str, str]:
        if function not in self._function_keys:
            try:
                keys = self._web_apps.function_keys(self._ref, function)
            except NotFoundError:
                raise UsageError(f"the keys of function '{function}' on {self._ref} were not found") from None
            self._register(*keys.values())
            self._function_keys[function] = keys
        return self._function_keys[function]

    def _register(self, *keys: str) -> None:
        for key in keys:
            self._secrets.add(key)
            self._secrets.add(quote(key, safe=""))  # as it would appear in a URL


def _pick(keys: dict[str, str]) -> str | None:
    """The key named ``default``, else the first by name."""
    return keys.get("default") or next((keys[name] for name in sorted(keys) if keys[name]), None)


def _missing(sentence: str) -> str:
    raise UsageError(sentence)


def choose_method(function: FunctionInfo, wanted: str | None) -> str:
    """``wanted`` if the function accepts it; by default GET, or the first method it lists."""
    accepted = function.methods
    if wanted is not None:
        if accepted and wanted not in accepted:
            raise UsageError(f"function '{function.name}' accepts {', '.join(accepted)}, not {wanted}")
        return wanted
    return "GET" if not accepted or "GET" in accepted else accepted[0]


def route_of(function: FunctionInfo) -> str:
    """The path template of a function, from ARM's ``invokeUrlTemplate`` (host left out: requests
    go to the slot's own ``defaultHostName``)."""
    if not function.invoke_url:
        raise UsageError(f"function '{function.name}' has no HTTP trigger (ARM gives no invoke URL for it)")
    # a template, not a URL: "{name?}" would end a URL's path at the "?"
    found = _ORIGIN.match(function.invoke_url)
    return unquote(found.group("path") or "/") if found else unquote(function.invoke_url)


def fill_route(function: str, template: str, values: dict[str, str]) -> str:
    """``template`` with its ASP.NET route parameters replaced (``{id}``, ``{id?}``, ``{id=5}``,
    ``{id:int}``, ``{*rest}``): optional ones without a value leave their segment out."""
    segments: list[str] = []
    for segment in template.split("/"):
        dropped = False

        def value_of(match: re.Match[str]) -> str:
            nonlocal dropped
            spec = match.group(1)
            catch_all = spec.startswith("*")
            spec = spec.lstrip("*")
            optional = spec.endswith("?")
            spec = spec.rstrip("?")
            spec, _, default = spec.partition("=")
            name = spec.split(":", 1)[0]
            value = values.get(name, default or None)
            if value is None:
                if optional or catch_all:
                    dropped = True
                    return ""
                raise UsageError(
                    f"function '{function}' needs a value for route parameter '{name}' (routeParams)"
                )
            return quote(value, safe="/" if catch_all else "")

        filled = _PARAM.sub(value_of, segment)
        if not (dropped and filled == ""):
            segments.append(filled if _PARAM.search(segment) else quote(segment, safe=_PATH_SAFE))
    return "/".join(segments) or "/"

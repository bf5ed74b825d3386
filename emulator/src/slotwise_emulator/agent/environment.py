"""What a task process receives, mapped as the agent maps it (azure-pipelines-agent ``Handler.cs``,
``TaskRunner.cs``, ``VarUtil.cs``).

Owns: environment names (``.`` and space → ``_``, upper-cased), ``$(name)`` macro expansion (names
compared ignoring case; an unknown macro stays as written), a task's inputs (task.json defaults, then the
step's values, trimmed, expanded; ``filePath`` inputs rooted), the endpoints a task may see (those its
``connectedService:*`` inputs name by id, plus ``SystemVssConnection``) and the variables: public ones
by name plus ``VSTS_PUBLIC_VARIABLES``, secret ones only as ``SECRET_<NAME>`` plus ``VSTS_SECRET_VARIABLES``
(azure-pipelines-task-lib moves those into its vault).

Must not: run processes, parse command output.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from slotwise_emulator.backends.devops_jobs import Endpoint, Variable

SYSTEM_VSS_CONNECTION = "SystemVssConnection"
_MACRO = re.compile(r"\$\(([^()]+)\)")
# variables whose value a task process inherits from the agent's own environment, not from the job
_FOREIGN_PREFIXES = ("INPUT_", "ENDPOINT_", "SECRET_", "SECUREFILE_", "VSTS_", "SYSTEM_", "AGENT_")


def env_name(name: str) -> str:
    """``Release.ReleaseId`` → ``RELEASE_RELEASEID``; ``my var`` → ``MY_VAR``; ``a-b`` stays ``A-B``."""
    return name.replace(".", "_").replace(" ", "_").upper()


def expand(text: str, variables: Mapping[str, Variable]) -> str:
    """``$(name)`` replaced by the variable's value (one pass; names ignore case); unknown ones kept."""
    lookup = {name.lower(): var.value for name, var in variables.items()}

    def replace(match: re.Match[str]) -> str:
        return lookup.get(match.group(1).strip().lower(), match.group(0))

    return _MACRO.sub(replace, text)


def resolve_variables(variables: Mapping[str, Variable]) -> dict[str, Variable]:
    """Variables whose values name other variables, expanded (as the agent expands them when the job
    starts); a cycle stays unexpanded."""
    lookup = {name.lower(): name for name in variables}
    done: dict[str, Variable] = {}

    def value_of(name: str, seen: frozenset[str]) -> str:
        if name in done:
            return done[name].value
        raw = variables[name].value

        def replace(match: re.Match[str]) -> str:
            other = lookup.get(match.group(1).strip().lower())
            if other is None or other in seen:
                return match.group(0)
            return value_of(other, seen | {other})

        return _MACRO.sub(replace, raw)

    for name, var in variables.items():
        done[name] = Variable(value_of(name, frozenset({name})), var.secret)
    return done


def task_inputs(
    manifest: Mapping[str, Any], given: Mapping[str, str], variables: Mapping[str, Variable], root: str
) -> dict[str, str]:
    """The inputs as the handler gets them: defaults, the step's values over them, trimmed and expanded;
    a relative ``filePath`` input rooted in ``root`` (the agent roots it in the sources directory, which
    a release job's ``System.DefaultWorkingDirectory`` is)."""
    inputs: dict[str, str] = {}
    names: dict[str, str] = {}  # lower-case -> as written (the agent's dictionary ignores case)
    for spec in _input_specs(manifest):
        key = str(spec["name"]).strip()
        names[key.lower()] = key
        inputs[key] = str(spec.get("defaultValue") or "").strip()
    for key, value in given.items():
        key = key.strip()
        if key:
            inputs[names.setdefault(key.lower(), key)] = (value or "").strip()
    inputs = {key: expand(value, variables) for key, value in inputs.items()}
    for spec in _input_specs(manifest):
        key = str(spec["name"]).strip()
        if str(spec.get("type", "")).lower() == "filepath" and inputs[key] and not os.path.isabs(inputs[key]):
            inputs[key] = os.path.join(root, inputs[key])
    return inputs


def referenced_endpoints(
    manifest: Mapping[str, Any], inputs: Mapping[str, str], endpoints: Mapping[str, Endpoint]
) -> list[Endpoint]:
    """The endpoints a task sees: those its ``connectedService:*`` inputs name by id (several ids may be
    comma-separated), then ``SystemVssConnection`` when the job has it."""
    by_id = {endpoint.id.lower(): endpoint for endpoint in endpoints.values()}
    seen: list[Endpoint] = []
    for spec in _input_specs(manifest):
        if not str(spec.get("type", "")).lower().startswith("connectedservice:"):
            continue
        for raw in inputs.get(str(spec["name"]).strip(), "").split(","):
            found = by_id.get(raw.strip().lower())
            if found is not None and found not in seen:
                seen.append(found)
    system = [e for e in endpoints.values() if e.name.lower() == SYSTEM_VSS_CONNECTION.lower()]
    return seen + system[:1]


def endpoint_environment(endpoint: Endpoint) -> dict[str, str]:
    """``ENDPOINT_URL_<id>``, ``ENDPOINT_AUTH_<id>`` (JSON), ``ENDPOINT_AUTH_SCHEME_<id>``,
    ``ENDPOINT_AUTH_PARAMETER_<id>_<KEY>``, ``ENDPOINT_DATA_<id>`` (JSON), ``ENDPOINT_DATA_<id>_<KEY>``;
    the id as given (``SYSTEMVSSCONNECTION`` for the system connection), keys upper-cased."""
    system = endpoint.name.lower() == SYSTEM_VSS_CONNECTION.lower()
    key = SYSTEM_VSS_CONNECTION.upper() if system else endpoint.id
    env = {
        f"ENDPOINT_URL_{key}": endpoint.url,
        f"ENDPOINT_AUTH_{key}": json.dumps({"parameters": endpoint.parameters, "scheme": endpoint.scheme}),
        f"ENDPOINT_AUTH_SCHEME_{key}": endpoint.scheme,
    }
    env |= {f"ENDPOINT_AUTH_PARAMETER_{key}_{env_name(k)}": v for k, v in endpoint.parameters.items()}
    if not system:
        env[f"ENDPOINT_DATA_{key}"] = json.dumps(endpoint.data)
        env |= {f"ENDPOINT_DATA_{key}_{env_name(k)}": v for k, v in endpoint.data.items()}
    return env


def variable_environment(variables: Mapping[str, Variable]) -> dict[str, str]:
    """Public variables by their environment name, secret ones as ``SECRET_<NAME>``, and the two lists."""
    public = {name: var for name, var in variables.items() if not var.secret}
    secret = {name: var for name, var in variables.items() if var.secret}
    env = {env_name(name): var.value for name, var in public.items()}
    env |= {f"SECRET_{env_name(name)}": var.value for name, var in secret.items()}
    env["VSTS_PUBLIC_VARIABLES"] = json.dumps(list(public))
    env["VSTS_SECRET_VARIABLES"] = json.dumps(list(secret))
    return env


def process_environment(
    base: Mapping[str, str],
    inputs: Mapping[str, str],
    variables: Mapping[str, Variable],
    endpoints: list[Endpoint],
) -> dict[str, str]:
    """The whole environment of a task process: the agent's own (``base``, without anything that would
    pass for a job's value), the variables, the endpoints, then ``INPUT_<NAME>``."""
    env = {key: value for key, value in base.items() if not key.upper().startswith(_FOREIGN_PREFIXES)}
    env |= variable_environment(variables)
    for endpoint in endpoints:
        env |= endpoint_environment(endpoint)
    env |= {f"INPUT_{env_name(name)}": value for name, value in inputs.items()}
    return env


def _input_specs(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    specs = manifest.get("inputs") or []
    return [s for s in specs if isinstance(s, Mapping) and str(s.get("name", "")).strip()]

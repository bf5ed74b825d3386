"""Where the Azure DevOps organization is and how to sign in to it, chosen from an environment mapping.

The organization URL: ``--org``, else ``AZURE_DEVOPS_ORG_URL``, else ``SYSTEM_COLLECTIONURI`` (what
the agent sets in a pipeline). Checked here: an http(s) URL with a host, no query, no fragment, no
user name or password in it, and on ``dev.azure.com`` an organization in the path; a ``ConfigError``
(exit 2) names the option or variable otherwise, without repeating what could be a secret.

The credential, in turn: a personal access token from ``AZURE_DEVOPS_EXT_PAT`` (az devops) or
``AZDO_PERSONAL_ACCESS_TOKEN`` (Terraform's provider), sent as Basic auth; else the pipeline job's
``SYSTEM_ACCESSTOKEN``, sent as a bearer token; else an Entra ID token from azure-identity for
Azure DevOps' scope (the credential slotwise chooses for ARM: ``--auth``/``SLOTWISE_AUTH``). An
explicit ``--auth`` chooses Entra ID even when a token variable is set. ``Token`` and
``DevOpsSettings`` keep secrets out of ``repr``; a credential is named by its variable, never shown.

Must not: read ``os.environ`` (the factory hands the mapping in), build clients, or talk to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from slotwise.azure.cloud import Cloud
from slotwise.azure.credentials import CredentialSettings
from slotwise.errors import ConfigError
from slotwise.text import remote

ORG_OPTION = "--org"
ORG_VARIABLES = ("AZURE_DEVOPS_ORG_URL", "SYSTEM_COLLECTIONURI")
PAT_VARIABLES = ("AZURE_DEVOPS_EXT_PAT", "AZDO_PERSONAL_ACCESS_TOKEN")
JOB_TOKEN_VARIABLE = "SYSTEM_ACCESSTOKEN"  # noqa: S105 (a variable name)
DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"  # Azure DevOps' resource, for Entra ID
HOSTED = "dev.azure.com"


@dataclass(frozen=True)
class Token:
    """A personal access token (``basic``) or a pipeline job's access token (bearer), and the variable
    it came from (the only way a message names it)."""

    variable: str
    value: str = field(repr=False)
    basic: bool

    @property
    def described(self) -> str:
        kind = "personal access token" if self.basic else "pipeline job's access token"
        return f"the {kind} in {self.variable}"


@dataclass(frozen=True)
class EntraSignIn:
    """An Entra ID token through azure-identity: which credential (``chosen_by`` names how it was
    chosen: ``--auth``, ``SLOTWISE_AUTH`` or slotwise's default)."""

    credential: CredentialSettings
    cloud: Cloud
    chosen_by: str

    @property
    def described(self) -> str:
        return f"an Entra ID token from azure-identity ({self.credential.kind} credential, {self.chosen_by})"


@dataclass(frozen=True)
class DevOpsSettings:
    """Everything ``slotwise.devops`` needs to open an organization."""

    org_url: str  # normalised, ending in "/"
    org_given_by: str  # --org or the variable it came from
    sign_in: Token | EntraSignIn
    ca_bundle: str | None = None
    timeout: float | None = None  # seconds per answer; None: the client's 100 s
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)  # for ``fromEnv`` values


def org_url(given: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The organization URL (normalised, ending in ``/``) and what gave it: ``given`` (``--org``),
    else the first of ``ORG_VARIABLES`` set; a ``ConfigError`` naming them when none is, or naming the
    one whose value is not an organization URL."""
    if given is not None and given.strip():
        return checked_org_url(given, ORG_OPTION), ORG_OPTION
    for name in ORG_VARIABLES:
        if (env.get(name) or "").strip():
            return checked_org_url(env[name], name), name
    raise ConfigError(
        "No Azure DevOps organization given.",
        hint=f"Pass {ORG_OPTION} https://dev.azure.com/<organization>, or set {ORG_VARIABLES[0]} "
        f"(in a pipeline, {ORG_VARIABLES[1]} is set for you).",
    )


def checked_org_url(value: str, given_by: str) -> str:
    """``value`` as an organization (collection) URL ending in ``/``; ConfigError naming ``given_by``."""
    text = value.strip()
    hint = (
        f"Set {given_by} to the organization's URL: https://dev.azure.com/<organization> for Azure "
        "DevOps Services, https://<server>/<collection> (often https://<server>/tfs/DefaultCollection) "
        "for Azure DevOps Server."
    )
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        raise ConfigError(f"{given_by} is not a URL Python can read.", hint=hint) from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError(
            f"{given_by} has a user name or password in it; slotwise does not take credentials from a URL.",
            hint=f"Remove them from the URL and put a personal access token in {PAT_VARIABLES[0]}.",
        )
    safe = remote(text, 200)
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{given_by} is not an http(s) URL with a host name: {safe}.", hint=hint)
    if parts.query or parts.fragment:
        raise ConfigError(
            f"{given_by} has a query or fragment; an organization URL has none: {safe}.", hint=hint
        )
    path = parts.path.rstrip("/")
    if parts.hostname.lower() == HOSTED and not path.strip("/"):
        raise ConfigError(f"{given_by} names no organization: {safe}.", hint=hint)
    host = parts.hostname.lower() + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme.lower(), host, path + "/", "", ""))


def token_from_env(env: Mapping[str, str]) -> Token | None:
    """The token to sign in with: the first PAT variable set, else the job's access token; None:
    use Entra ID."""
    for name in PAT_VARIABLES:
        if (env.get(name) or "").strip():
            return Token(name, env[name].strip(), basic=True)
    if (env.get(JOB_TOKEN_VARIABLE) or "").strip():
        return Token(JOB_TOKEN_VARIABLE, env[JOB_TOKEN_VARIABLE].strip(), basic=False)
    return None

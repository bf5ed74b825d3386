"""Publishing credentials of emulated sites and slots: who publishes, where, and whether Kudu lets them.

Each slot has its own publishing user and password, made with the slot and kept by it: a swap does
not move them (they belong to the slot, like its host names). App Service's naming: the user is
``$<app>`` for production and ``$<app>__<slot>`` for a slot, the Web Deploy site name drops the
``$``, and a slot's profiles are named ``<app>-<slot>``. The password is a secret: ``secrets()``
lists it for leak checks. The same credentials answer ``POST .../publishxml`` (formats ``WebDeploy``,
the default, and ``Ftp``, both the same ``publishData`` document, and ``FileZilla3``) and
``POST .../config/publishingcredentials/list``. The slot's ``basicPublishingCredentialsPolicies/scm``
(allowed unless turned off, also kept by the slot) decides whether its Kudu takes them as Basic auth;
a bearer token for ARM works either way. No HTTP here: routes render the ``PublishingProfile``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.errors import ServiceError, bad_request

FORMATS = ("WebDeploy", "Ftp", "FileZilla3")
FTP_HOST = "127.0.0.1"  # no FTP server is emulated: the FTP profile names loopback, where none answers


@dataclass(frozen=True)
class PublishingProfile:
    """What a slot's publishing profiles say: names, endpoints and the slot's credentials."""

    profile_name: str  # "<app>" or "<app>-<slot>"; profiles are "<name> - Web Deploy" etc.
    site_name: str  # Web Deploy's msdeploySite: "<app>" or "<app>__<slot>"
    user_name: str  # "$<site_name>"
    password: str
    scm_host: str
    default_host: str
    ftp_url: str


def profile_format(options: Any) -> str:
    """The canonical format a ``CsmPublishingProfileOptions`` body asks for (default ``WebDeploy``),
    or ARM's 400 for a value that is not one of ``FORMATS`` (matched in any casing)."""
    if not isinstance(options, dict):
        raise bad_request("The request body must be a JSON object.", code="InvalidRequestContent")
    recovery = options.get("includeDisasterRecoveryEndpoints")
    if recovery is not None and not isinstance(recovery, bool):
        raise bad_request(
            "The includeDisasterRecoveryEndpoints property must be a boolean.", code="InvalidRequestContent"
        )
    wanted = options.get("format")
    if wanted is None:
        return "WebDeploy"
    for known in FORMATS:
        if isinstance(wanted, str) and wanted.lower() == known.lower():
            return known
    raise bad_request(
        f"The publishing profile format '{wanted}' is not supported; use one of {', '.join(FORMATS)}.",
        code="InvalidRequestContent",
    )


def policy_allow(body: Any) -> bool:
    """The ``properties.allow`` of a ``CsmPublishingCredentialsPoliciesEntity`` body, or ARM's 400."""
    properties = body.get("properties") if isinstance(body, dict) else None
    allow = properties.get("allow") if isinstance(properties, dict) else None
    if not isinstance(allow, bool):
        raise bad_request("The properties.allow property must be a boolean.", code="InvalidRequestContent")
    return allow


def _basic_refused(site_name: str) -> ServiceError:
    return ServiceError(
        401, "Unauthorized", "", shape="empty", headers={"WWW-Authenticate": f'Basic realm="{site_name}"'}
    )


class WebPublishingMixin(WebBase):
    """The publishing credentials of a site or slot, and its basic-auth policy for Kudu."""

    def publishing_profile(
        self, subscription: str, resource_group: str, name: str, slot: str
    ) -> PublishingProfile:
        """The publishing profile of a site or slot (ARM's 404 if either is missing)."""
        site, target = self._locate(subscription, resource_group, name, slot)
        if not target.publishing_password:  # a slot restored from a state saved before passwords existed
            target.publishing_password = self.new_password()
        site_name = site.name if target.is_production else f"{site.name}__{target.name}"
        return PublishingProfile(
            profile_name=site.name if target.is_production else f"{site.name}-{target.name}",
            site_name=site_name,
            user_name=f"${site_name}",
            password=target.publishing_password,
            scm_host=target.scm_host_name,
            default_host=target.host_name,
            ftp_url=f"ftps://{FTP_HOST}/site/wwwroot",
        )

    def scm_basic_auth(self, subscription: str, resource_group: str, name: str, slot: str) -> bool:
        """Whether the slot's Kudu takes its publishing credentials (ARM's 404 if either is missing)."""
        return self._locate(subscription, resource_group, name, slot)[1].scm_basic_auth

    def set_scm_basic_auth(
        self, subscription: str, resource_group: str, name: str, slot: str, allow: bool
    ) -> bool:
        """Allow or refuse Basic auth with the publishing credentials on the slot's Kudu (409 while a
        swap locks the slot)."""
        target = self._writable(subscription, resource_group, name, slot)[1]
        target.scm_basic_auth = allow
        return allow

    def check_basic_auth(
        self, subscription: str, resource_group: str, name: str, slot: str, credentials: str
    ) -> None:
        """Accept ``credentials`` (the base64 of ``user:password`` after ``Basic``) for the slot's Kudu,
        or raise its 401: wrong user or password, or Basic auth turned off by the slot's policy."""
        profile = self.publishing_profile(subscription, resource_group, name, slot)
        allowed = self.scm_basic_auth(subscription, resource_group, name, slot)
        try:
            user, _, password = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _basic_refused(name) from None
        right_user = user.lower() == profile.user_name.lower()
        right_password = hmac.compare_digest(password.encode(), profile.password.encode())
        if not (allowed and right_user and right_password):
            raise _basic_refused(name)

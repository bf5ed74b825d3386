"""Publishing profiles of emulated sites and slots (``POST .../publishxml``): who publishes, and where.

Each slot has its own publishing user and password, made with the slot and kept by it: a swap does
not move them (they belong to the slot, like its host names). App Service's naming: the user is
``$<app>`` for production and ``$<app>__<slot>`` for a slot, the Web Deploy site name drops the
``$``, and a slot's profiles are named ``<app>-<slot>``. The password is a secret: ``secrets()``
lists it for leak checks. Formats are ``WebDeploy`` (the default) and ``Ftp`` (both answer the same
``publishData`` document) and ``FileZilla3``. No HTTP here: routes render the ``PublishingProfile``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.errors import bad_request

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


class WebPublishingMixin(WebBase):
    """The publishing profile of a site or slot."""

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

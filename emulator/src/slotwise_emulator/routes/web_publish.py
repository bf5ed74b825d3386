"""Wire of publishing credentials: ``POST <site>[/slots/{slot}]/publishxml`` (WebApps_ListPublishingProfile
XmlWithSecrets), a ``CsmPublishingProfileOptions`` JSON body in, XML out; ``POST .../config/
publishingcredentials/list`` (WebApps_ListPublishingCredentials), the ``User`` resource; and
``GET``/``PUT .../basicPublishingCredentialsPolicies/scm`` (whether the slot's Kudu takes them).

``WebDeploy`` and ``Ftp`` answer the ``publishData`` document App Service sends, on one line without
an XML declaration: a ``Web Deploy`` (MSDeploy), an ``FTP`` and a ``Zip Deploy`` profile, with the
slot's publishing user and password. ``publishUrl`` of Web Deploy and Zip Deploy is the SCM host and
its HTTPS port: Azure writes ``<app>.scm.azurewebsites.net:443``; the emulator's SCM hosts carry
their own port already (``127.0.0.1:<port>``), so that is what it writes. ``FileZilla3`` answers a
FileZilla 3 site-manager document for the FTP endpoint. Who the user is and what the password is are
decided in ``backends/web_publishing.py``; no state here.

``publishingcredentials/list`` is a long-running operation in the spec; App Service answers it at once
with 200 and the ``User`` resource, as here. Its ``scmUri`` carries the credentials
(``https://$<app>:<password>@<scm host>``), as App Service writes it: Microsoft's pipeline tasks take
Kudu's address from it.
"""

from __future__ import annotations

import base64
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.web_publishing import (
    FTP_HOST,
    PublishingProfile,
    policy_allow,
    profile_format,
)
from slotwise_emulator.routes._common import arm_json, backends, read_json
from slotwise_emulator.routes.web_render import SITE_PATH, SLOT_PATH, region, resource_id, where
from slotwise_emulator.routes.web_versions import require_web_api_version

_TAIL = (
    ("SQLServerDBConnectionString", ""),
    ("mySQLDBConnectionString", ""),
    ("hostingProviderForumLink", ""),
    ("controlPanelLink", "https://portal.azure.com"),
    ("webSystem", "WebSites"),
)


def _profile(attributes: list[tuple[str, str]]) -> str:
    rendered = " ".join(f"{name}={quoteattr(value)}" for name, value in [*attributes, *_TAIL])
    return f"<publishProfile {rendered}><databases /></publishProfile>"


def publish_data(profile: PublishingProfile) -> str:
    """The ``publishData`` document: Web Deploy, FTP and Zip Deploy profiles, in the service's order."""
    app_url = f"https://{profile.default_host}"
    web_deploy = _profile(
        [
            ("profileName", f"{profile.profile_name} - Web Deploy"),
            ("publishMethod", "MSDeploy"),
            ("publishUrl", profile.scm_host),
            ("msdeploySite", profile.site_name),
            ("userName", profile.user_name),
            ("userPWD", profile.password),
            ("destinationAppUrl", app_url),
        ]
    )
    ftp = _profile(
        [
            ("profileName", f"{profile.profile_name} - FTP"),
            ("publishMethod", "FTP"),
            ("publishUrl", profile.ftp_url),
            ("ftpPassiveMode", "True"),
            ("userName", f"{profile.site_name}\\{profile.user_name}"),
            ("userPWD", profile.password),
            ("destinationAppUrl", app_url),
        ]
    )
    zip_deploy = _profile(
        [
            ("profileName", f"{profile.profile_name} - Zip Deploy"),
            ("publishMethod", "ZipDeploy"),
            ("publishUrl", profile.scm_host),
            ("userName", profile.user_name),
            ("userPWD", profile.password),
            ("destinationAppUrl", app_url),
        ]
    )
    return f"<publishData>{web_deploy}{ftp}{zip_deploy}</publishData>"


def filezilla(profile: PublishingProfile) -> str:
    """A FileZilla 3 site-manager document for the FTP endpoint (explicit FTPS on port 21)."""
    password = base64.b64encode(profile.password.encode()).decode()
    user = escape(f"{profile.site_name}\\{profile.user_name}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><FileZilla3><Servers><Server>'
        f"<Host>{FTP_HOST}</Host><Port>21</Port><Protocol>4</Protocol><Type>0</Type>"
        f'<User>{user}</User><Pass encoding="base64">{password}</Pass><Logontype>1</Logontype>'
        f"<PasvMode>MODE_PASSIVE</PasvMode><Name>{escape(profile.profile_name)}</Name>"
        "<RemoteDir>/site/wwwroot</RemoteDir></Server></Servers></FileZilla3>"
    )


async def publish_xml(request: Request) -> Response:
    require_web_api_version(request)
    wanted = profile_format(await read_json(request))
    profile = backends(request).web.publishing_profile(*where(request))
    body = filezilla(profile) if wanted == "FileZilla3" else publish_data(profile)
    headers = {"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"}
    return Response(body, media_type="application/xml", headers=headers)


async def publishing_credentials(request: Request) -> Response:
    """The ``User`` resource: the slot's publishing user, password and its SCM address with them."""
    require_web_api_version(request)
    sub, rg, name, slot = where(request)
    web = backends(request).web
    profile = web.publishing_profile(sub, rg, name, slot)
    site, target = web.site(sub, rg, name), web.slot(sub, rg, name, slot)
    user = profile.user_name
    return arm_json(
        {
            "id": f"{resource_id(site, target)}/publishingcredentials/{user}",
            "name": user.removeprefix("$"),
            "type": "Microsoft.Web/sites/publishingcredentials"
            if target.is_production
            else "Microsoft.Web/sites/slots/publishingcredentials",
            "location": region(site.location),
            "properties": {
                "name": None,
                "publishingUserName": user,
                "publishingPassword": profile.password,
                "publishingPasswordHash": None,
                "publishingPasswordHashSalt": None,
                "metadata": None,
                "isDeleted": False,
                "scmUri": f"https://{user}:{profile.password}@{profile.scm_host}",
            },
        }
    )


def _policy_body(request: Request, allow: bool) -> dict[str, Any]:
    sub, rg, name, slot = where(request)
    web = backends(request).web
    target = web.slot(sub, rg, name, slot)
    kind = "sites" if target.is_production else "sites/slots"
    return {
        "id": f"{resource_id(web.site(sub, rg, name), target)}/basicPublishingCredentialsPolicies/scm",
        "name": "scm",
        "type": f"Microsoft.Web/{kind}/basicPublishingCredentialsPolicies",
        "properties": {"allow": allow},
    }


async def get_scm_policy(request: Request) -> Response:
    require_web_api_version(request)
    return arm_json(_policy_body(request, backends(request).web.scm_basic_auth(*where(request))))


async def put_scm_policy(request: Request) -> Response:
    require_web_api_version(request)
    allow = policy_allow(await read_json(request))
    return arm_json(_policy_body(request, backends(request).web.set_scm_basic_auth(*where(request), allow)))


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for path in (SITE_PATH, SLOT_PATH):
        found += [
            Route(f"{path}/publishxml", publish_xml, methods=["POST"]),
            Route(f"{path}/config/publishingcredentials/list", publishing_credentials, methods=["POST"]),
            Route(f"{path}/basicPublishingCredentialsPolicies/scm", get_scm_policy, methods=["GET"]),
            Route(f"{path}/basicPublishingCredentialsPolicies/scm", put_scm_policy, methods=["PUT"]),
        ]
    return found

"""Emulated Microsoft Entra ID: tenants, app registrations, and the tokens they get.

Owns the client-credentials grant as ``/oauth2/v2.0/token`` runs it (client secret, certificate
assertion, federated assertion), the signing key behind every token the emulator issues, and the
check ARM and Kudu make on a bearer token. Errors carry the real AADSTS codes in the token
endpoint's shape, and ARM's 401 codes for bearer checks. No HTTP here: routes pass form fields in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from slotwise_emulator.clock import Clock
from slotwise_emulator.errors import ServiceError

TOKEN_LIFETIME = 3600
ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
KNOWN_RESOURCES = (*ARM_AUDIENCES, DEVOPS_RESOURCE, "https://app.vssps.visualstudio.com")
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class FederatedCredential:
    issuer: str
    subject: str
    audiences: list[str] = field(default_factory=lambda: [FEDERATION_AUDIENCE])


@dataclass
class Application:
    """An app registration with its service principal in one tenant."""

    client_id: str
    tenant_id: str
    display_name: str
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secrets: list[str] = field(default_factory=list)
    certificates: list[bytes] = field(default_factory=list)  # DER, public part only
    federated: list[FederatedCredential] = field(default_factory=list)


def _aad(status: int, error: str, code: int, message: str) -> ServiceError:
    return ServiceError(status, error, f"AADSTS{code}: {message}", shape="aad", aad_codes=[code])


def _arm_401(code: str, message: str, authority: str = "") -> ServiceError:
    challenge = (
        f'Bearer authorization_uri="{authority}", error="invalid_token", error_description="{message}"'
    )
    return ServiceError(401, code, message, headers={"WWW-Authenticate": challenge})


def _thumbprints(der: bytes) -> tuple[bytes, bytes]:
    """(SHA-1, SHA-256) digests of a certificate: what a JWT's x5t and x5t#S256 headers carry."""
    return hashlib.sha1(der).digest(), hashlib.sha256(der).digest()  # noqa: S324 (x5t is SHA-1 by definition)


def _header_digest(value: Any) -> bytes:
    """A thumbprint header decoded: base64url per RFC 7515, though MSAL sends standard base64."""
    if not isinstance(value, str) or not value:
        return b""
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return b""


@dataclass
class TokenClaims:
    """What a validated bearer token says."""

    tenant_id: str
    client_id: str
    object_id: str
    audience: str
    expires: float


class IdentityBackend:
    """Tenants, app registrations, the signing key and issued secrets."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.tenants: set[str] = set()
        self.apps: dict[str, Application] = {}
        key = ec.generate_private_key(ec.SECP256R1())
        self._key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.key_id = uuid.uuid4().hex
        self.trusted_issuers: dict[str, bytes] = {}  # OIDC issuer -> public key PEM (federation)
        self.issued_tokens: deque[str] = deque(maxlen=2000)
        self.authority = ""  # https://host of the login endpoint, set by the server once it listens

    # ---- directory ----------------------------------------------------------------------------
    def create_tenant(self, tenant_id: str) -> str:
        self.tenants.add(tenant_id.lower())
        return tenant_id.lower()

    def create_application(
        self,
        tenant_id: str,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        certificate_pem: bytes | None = None,
        display_name: str = "slotwise-emulated-principal",
    ) -> Application:
        """Register an app (and its service principal) in a tenant; a secret is generated if none given."""
        if tenant_id.lower() not in self.tenants:
            raise ValueError(f"unknown tenant {tenant_id}")
        app = Application(
            client_id=(client_id or str(uuid.uuid4())).lower(),
            tenant_id=tenant_id.lower(),
            display_name=display_name,
        )
        if certificate_pem is not None:
            app.certificates.append(
                x509.load_pem_x509_certificate(certificate_pem).public_bytes(serialization.Encoding.DER)
            )
        if secret is not None or certificate_pem is None:
            app.secrets.append(secret or self.new_secret())
        self.apps[app.client_id] = app
        return app

    @staticmethod
    def new_secret() -> str:
        """A client secret in the portal's style: 40 characters, a recognisable '~' in it."""
        raw = secrets.token_urlsafe(30)[:37]
        return f"{raw[:3]}8Q~{raw[3:]}"

    def add_federated_credential(
        self, client_id: str, issuer: str, subject: str, audiences: list[str] | None = None
    ) -> FederatedCredential:
        cred = FederatedCredential(issuer, subject, audiences or [FEDERATION_AUDIENCE])
        self.apps[client_id.lower()].federated.append(cred)
        return cred

    def trust_issuer(self, issuer: str, public_key_pem: bytes) -> None:
        self.trusted_issuers[issuer] = public_key_pem

    def client_secrets(self) -> list[str]:
        return [s for app in self.apps.values() for s in app.secrets]

    # ---- tokens ---------------------------------------------------------------------------------
    def public_key_pem(self) -> bytes:
        key = serialization.load_pem_private_key(self._key_pem, password=None)
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        public = serialization.load_pem_public_key(self.public_key_pem())
        assert isinstance(public, ec.EllipticCurvePublicKey)
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "ES256"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT signed with the emulator's key (access tokens, and OIDC tokens of the DevOps side)."""
        token = jwt.encode(claims, self._key_pem, algorithm="ES256", headers={"kid": self.key_id})
        self.issued_tokens.append(token)
        return token

    def mint_oidc_token(
        self, issuer: str, subject: str, audience: str = FEDERATION_AUDIENCE, lifetime: int = 600
    ) -> str:
        """An OIDC token from an issuer the emulator controls (for federated credentials)."""
        self.trust_issuer(issuer, self.public_key_pem())
        now = int(self._clock.now())
        return self.sign(
            {
                "iss": issuer,
                "sub": subject,
                "aud": audience,
                "iat": now,
                "nbf": now,
                "exp": now + lifetime,
                "jti": str(uuid.uuid4()),
            }
        )

    def issue_token(self, tenant_id: str, form: dict[str, str], token_endpoint: str) -> dict[str, Any]:
        """Run the client-credentials grant; returns the token response or raises the AADSTS error."""
        tenant = tenant_id.lower()
        if tenant not in self.tenants:
            raise _aad(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant_id}' not found. Check to make sure you have the correct tenant ID and "
                "are signing into the correct cloud.",
            )
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            raise _aad(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'. This emulator supports "
                "client_credentials only.",
            )
        client_id = form.get("client_id", "").lower()
        if not client_id:
            raise _aad(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        app = self.apps.get(client_id)
        if app is None or app.tenant_id != tenant:
            raise _aad(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. "
                "This can happen if the application has not been installed by the administrator of the "
                "tenant or consented to by any user in the tenant. You may have sent your authentication "
                "request to the wrong tenant.",
            )
        resource = self._resource(form.get("scope", ""), tenant_id)
        if "client_secret" in form:
            if form["client_secret"] not in app.secrets:
                raise _aad(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the "
                    "client secret value, not the client secret ID, for a secret added to app "
                    f"'{client_id}'.",
                )
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != _ASSERTION_TYPE:
                raise _aad(
                    400, "invalid_request", 7000219, f"'client_assertion_type' must be '{_ASSERTION_TYPE}'."
                )
            self._check_assertion(app, form["client_assertion"], token_endpoint)
        else:
            raise _aad(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        now = int(self._clock.now())
        access = self.sign(
            {
                "aud": resource,
                "iss": f"https://sts.windows.net/{tenant}/",
                "iat": now,
                "nbf": now,
                "exp": now + TOKEN_LIFETIME,
                "appid": app.client_id,
                "azp": app.client_id,
                "idtyp": "app",
                "oid": app.object_id,
                "sub": app.object_id,
                "tid": tenant,
                "ver": "1.0",
                "uti": uuid.uuid4().hex[:22],
            }
        )
        return {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": access,
        }

    def _resource(self, scope: str, tenant_id: str) -> str:
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise _aad(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = scopes[0][: -len("/.default")]
        if resource.rstrip("/") not in KNOWN_RESOURCES:
            raise _aad(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant named {tenant_id}. "
                "This can happen if the application has not been installed by the administrator of the "
                "tenant or consented to by any user in the tenant.",
            )
        return resource

    def _check_assertion(self, app: Application, assertion: str, token_endpoint: str) -> None:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _aad(400, "invalid_request", 50027, f"JWT token is invalid or malformed: {exc}.") from exc
        if "x5t" in header or "x5t#S256" in header:
            self._check_certificate_assertion(app, assertion, header, token_endpoint)
        else:
            self._check_federated_assertion(app, assertion, unverified)

    def _check_certificate_assertion(
        self, app: Application, assertion: str, header: dict[str, Any], token_endpoint: str
    ) -> None:
        for der in app.certificates:
            sha1, sha256 = _thumbprints(der)
            if _header_digest(header.get("x5t")) == sha1 or _header_digest(header.get("x5t#S256")) == sha256:
                key = x509.load_der_x509_certificate(der).public_key()
                break
        else:
            raise _aad(
                401,
                "invalid_client",
                700027,
                "The certificate with identifier used to sign the client assertion is not registered on "
                f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{header.get('x5t', header.get('x5t#S256', ''))}']",
            )
        try:
            claims = jwt.decode(
                assertion,
                key,  # type: ignore[arg-type]
                algorithms=["RS256", "PS256", "ES256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise _aad(
                401, "invalid_client", 700027, "Client assertion failed signature validation."
            ) from exc
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            raise _aad(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )
        if str(claims.get("aud", "")).rstrip("/") != token_endpoint.rstrip("/"):
            raise _aad(
                401,
                "invalid_client",
                700024,
                f"Client assertion audience claim does not match Realm issuer. Expected: {token_endpoint}.",
            )
        self._check_lifetime(claims)

    def _check_federated_assertion(
        self, app: Application, assertion: str, unverified: dict[str, Any]
    ) -> None:
        issuer, subject = str(unverified.get("iss", "")), str(unverified.get("sub", ""))
        audience = unverified.get("aud", "")
        audiences = audience if isinstance(audience, list) else [audience]
        match = next(
            (
                f
                for f in app.federated
                if f.issuer == issuer and f.subject == subject and set(audiences) & set(f.audiences)
            ),
            None,
        )
        if match is None:
            raise _aad(
                400,
                "invalid_request",
                700213,
                "No matching federated identity record found for presented assertion subject "
                f"'{subject}'. Assertion Issuer: '{issuer}'. Assertion Audience: '{','.join(audiences)}'. "
                "Check the federated identity credentials of the app registration.",
            )
        key = self.trusted_issuers.get(issuer)
        if key is None:
            raise _aad(
                400,
                "invalid_request",
                700211,
                f"No matching federated identity record found for presented assertion issuer '{issuer}'.",
            )
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["ES256", "RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise _aad(
                400, "invalid_request", 50013, f"Assertion failed signature validation: {exc}."
            ) from exc
        self._check_lifetime(claims)

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        now = self._clock.now()
        if "exp" not in claims or float(claims["exp"]) + 300 < now or float(claims.get("nbf", 0)) - 300 > now:
            raise _aad(400, "invalid_client", 700024, "Client assertion is not within its valid time range.")

    # ---- bearer checks (ARM, Kudu) -------------------------------------------------------------------
    def validate_bearer(
        self, authorization: str | None, audiences: tuple[str, ...] = ARM_AUDIENCES
    ) -> TokenClaims:
        """The claims of a valid ``Authorization: Bearer`` header, or ARM's 401 error."""
        authority = self.authority or "https://login.windows.net/"
        if not authorization:
            raise _arm_401(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                authority,
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _arm_401(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                authority,
            )
        try:
            claims = jwt.decode(
                token.strip(),
                self.public_key_pem(),
                algorithms=["ES256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise _arm_401("InvalidAuthenticationToken", "The access token is invalid.", authority) from exc
        if float(claims.get("exp", 0)) <= self._clock.now():
            raise _arm_401(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
                authority,
            )
        aud = str(claims.get("aud", "")).rstrip("/")
        if aud not in audiences:
            allowed = "','".join(f"{a}/','{a}" for a in audiences)
            raise _arm_401(
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{aud}'. It should "
                f"exactly match with one of the allowed audiences '{allowed}'.",
                authority,
            )
        return TokenClaims(
            str(claims.get("tid", "")),
            str(claims.get("appid", "")),
            str(claims.get("oid", "")),
            aud,
            float(claims["exp"]),
        )

    def check_tenant(self, claims: TokenClaims, subscription_tenant: str) -> None:
        """ARM's 401 when a token from one tenant is used on another tenant's subscription."""
        if claims.tenant_id != subscription_tenant:
            raise _arm_401(
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer 'https://sts.windows.net/{claims.tenant_id}/'. "
                f"It must match the tenant 'https://sts.windows.net/{subscription_tenant}/' associated "
                f"with this subscription. Please use the authority (URL) "
                f"'{self.authority}/{subscription_tenant}' to get the token.",
                self.authority,
            )

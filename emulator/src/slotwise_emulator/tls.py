"""The emulator's throwaway certificate authority and its server certificate.

A new CA per emulator (or the one kept in ``--state-dir``, so clients configured with its bundle keep
working across restarts). The server certificate names ``127.0.0.1`` and ``localhost``: every host
the emulator reports is one of those with a port, so one certificate serves them all.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path  # PEM of the CA: what clients trust (REQUESTS_CA_BUNDLE)
    cert_path: Path  # server certificate chain
    key_path: Path  # server private key


def ensure_tls(directory: Path) -> TlsFiles:
    """The CA and server certificate in ``directory``, created there if missing or about to expire."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    if all(p.exists() for p in (files.ca_path, files.cert_path, files.key_path)) and _still_valid(
        files.cert_path
    ):
        return files
    ca = trustme.CA(organization_name="slotwise emulator")
    leaf = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        common_name="slotwise emulator",
        not_after=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365),
    )
    ca.cert_pem.write_to_path(str(files.ca_path))
    leaf.private_key_pem.write_to_path(str(files.key_path))
    files.key_path.chmod(0o600)
    with files.cert_path.open("wb") as out:
        for blob in leaf.cert_chain_pems:
            out.write(blob.bytes())
    return files


def _still_valid(cert_path: Path) -> bool:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    return remaining > datetime.timedelta(days=1)

"""Certificates for the local control plane, made with the openssl command line.

One CA signs the API server's serving certificate and one client certificate per component, so the
audit log names who wrote what (Metacontroller's writes are told apart from the controller manager's).
Keys are ECDSA P-256: quick to make, accepted by every component.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "7"


@dataclass(frozen=True)
class ClientCert:
    """A client certificate and its key, for one identity."""

    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    """Run openssl, raising with its output when it fails (its messages name the bad argument)."""
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def _ec_key(path: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path), cwd=path.parent)


class Pki:
    """A throwaway CA in ``folder`` and the certificates the control plane needs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_cert = folder / "ca.crt"
        self.ca_key = folder / "ca.key"
        _ec_key(self.ca_key)
        _openssl(
            "req", "-x509", "-new", "-key", str(self.ca_key), "-out", str(self.ca_cert), "-days", DAYS,
            "-subj", "/CN=servicegroup-e2e-ca", cwd=folder,
        )  # fmt: skip

    def _signed(self, name: str, subject: str, extensions: str) -> ClientCert:
        """A key and a certificate for ``subject`` signed by the CA, with the given x509v3 extensions."""
        key, csr, cert, ext = (self.folder / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
        _ec_key(key)
        _openssl("req", "-new", "-key", str(key), "-out", str(csr), "-subj", subject, cwd=self.folder)
        ext.write_text(extensions)
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert), "-CAkey", str(self.ca_key),
            "-CAcreateserial", "-out", str(cert), "-days", DAYS, "-extfile", str(ext), cwd=self.folder,
        )  # fmt: skip
        return ClientCert(cert, key)

    def serving(self, name: str, ips: list[str], dns: list[str]) -> ClientCert:
        """A server certificate valid for the given IP addresses and DNS names."""
        san = ",".join([f"IP:{ip}" for ip in ips] + [f"DNS:{d}" for d in dns])
        ext = f"subjectAltName={san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
        return self._signed(name, f"/CN={name}", ext)

    def client(self, user: str, groups: list[str]) -> ClientCert:
        """A client certificate: the API server reads the user from CN and the groups from O."""
        subject = f"/CN={user}" + "".join(f"/O={g}" for g in groups)
        ext = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
        return self._signed(user.replace(":", "-"), subject, ext)

    def service_account_keys(self) -> tuple[Path, Path]:
        """An RSA key pair that signs and verifies service-account tokens (private, public)."""
        private, public = self.folder / "sa.key", self.folder / "sa.pub"
        _openssl(
            "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(private), cwd=self.folder
        )
        _openssl("pkey", "-in", str(private), "-pubout", "-out", str(public), cwd=self.folder)
        return private, public

"""The organisation's registry key: Ed25519, kept in a PEM file outside the web root."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from msgspec import Struct

from ..files import write_new_file


class RegistryKeyMissing(RuntimeError):
    """The key file does not exist and may not be created here."""


class RegistrySigner(Struct, frozen=True, dict=True):
    """Signs entry digests and checks signatures with the registry key."""

    private_key: Ed25519PrivateKey

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @cached_property
    def key_id(self) -> str:
        """Short, stable name of the key: the start of the SHA-256 of its raw public bytes."""
        return key_id_of(self.public_key)

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, digest: bytes) -> bytes:
        return self.private_key.sign(digest)

    def verify(self, digest: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, digest)
        except InvalidSignature:
            return False
        return True


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A registry key's short, stable name: the start of the SHA-256 of its raw public bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_signer(path: Path, *, autocreate: bool) -> RegistrySigner:
    """Load the key at `path`; create it first when allowed and absent.

    Creation is atomic (written to a temporary file, then hard-linked into place), so
    several worker processes starting at once all end up with the same key.
    """
    if not path.exists():
        if not autocreate:
            raise RegistryKeyMissing(
                f"registry key {path} does not exist; create it with 'python -m app.registry.signing PATH'"
            )
        create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RegistryKeyMissing(f"{path} does not hold an Ed25519 private key")
    return RegistrySigner(key)


def create_key_file(path: Path) -> bool:
    """Write a new private key to `path` unless one exists; True when this call created it."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return write_new_file(path, pem, mode=0o600)

if __name__ == "__main__":  # python -m app.registry.signing PATH: create a production key
    import sys

    target = Path(sys.argv[1])
    if create_key_file(target):
        print(f"Created registry key {target}. Back it up: every record is verified with it.")
    else:
        print(f"Registry key {target} already exists; left unchanged.")

"""The Temporal connection settings name (docs/temporal-security.md): a frontend behind mutual TLS
with a private CA is reached with the client certificate the settings name, and refuses a client
without one; an API key goes over TLS (Temporal Cloud); contradictory settings stop the process.

The dev server speaks no TLS, so the frontend here is a TLS-terminating proxy in front of it that
demands a client certificate of the same CA, as a self-hosted cluster's mTLS does."""

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from temporal_client import connect, connect_options

SERVER_NAME = "temporal.gridflow.test"


@dataclass
class Issued:
    cert: bytes
    key: bytes


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def issue(
    common: str, *, by: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, usage: str
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    issuer_cert, issuer_key = by if by else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )
    if usage == "ca":
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        eku = (
            ExtendedKeyUsageOID.SERVER_AUTH
            if usage == "server"
            else ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        ).add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        names: list[x509.GeneralName] = [x509.DNSName(common)]
        if usage == "server":
            names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    return Issued(
        cert=cert.public_bytes(serialization.Encoding.PEM),
        key=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclass
class Pki:
    ca: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # a client certificate of another CA
    stranger_key: Path
    server: ssl.SSLContext


def make_pki(tmp: Path) -> Pki:
    ca = issue("gridflow test CA", by=None, usage="ca")
    other_ca = issue("someone else's CA", by=None, usage="ca")
    server = pem(*issue(SERVER_NAME, by=ca, usage="server"))
    files = {
        "ca": ca[0].public_bytes(serialization.Encoding.PEM),
        "server.pem": server.cert,
        "server.key": server.key,
    }
    for name, issuer in (("client", ca), ("stranger", other_ca)):
        issued = pem(*issue(f"{name}.gridflow.test", by=issuer, usage="client"))
        files[f"{name}.pem"], files[f"{name}.key"] = issued.cert, issued.key
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    context.load_verify_locations(tmp / "ca")
    context.verify_mode = ssl.CERT_REQUIRED  # mTLS: no client certificate, no connection
    context.set_alpn_protocols(["h2"])
    return Pki(
        ca=tmp / "ca",
        client_cert=tmp / "client.pem",
        client_key=tmp / "client.key",
        stranger_cert=tmp / "stranger.pem",
        stranger_key=tmp / "stranger.key",
        server=context,
    )


@asynccontextmanager
async def mtls_frontend(target: str, context: ssl.SSLContext) -> AsyncIterator[str]:
    """A TLS frontend on a free port, passing the decrypted stream to `target`."""
    host, port = target.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, ssl.SSLError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    address = server.sockets[0].getsockname()
    try:
        yield f"127.0.0.1:{address[1]}"
    finally:
        server.close()


def settings_for(address: str, namespace: str, pki: Pki, *, cert: Path, key: Path) -> Settings:
    return Settings(
        temporal_address=address,
        temporal_namespace=namespace,
        temporal_tls_server_ca_file=pki.ca,
        temporal_tls_server_name=SERVER_NAME,
        temporal_tls_client_cert_file=cert,
        temporal_tls_client_key_file=key,
    )


async def test_a_frontend_behind_mutual_tls_is_reached_with_the_named_certificate(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path)
    target = dev_env.client.service_client.config.target_host
    async with mtls_frontend(target, pki.server) as address:
        ours = settings_for(
            address, dev_env.client.namespace, pki, cert=pki.client_cert, key=pki.client_key
        )
        client = await asyncio.wait_for(connect(ours), 20)
        assert await client.service_client.check_health()
        assert client.data_converter.payload_codec is not None  # and still encrypting

        stranger = settings_for(
            address, dev_env.client.namespace, pki, cert=pki.stranger_cert, key=pki.stranger_key
        )
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(connect(stranger), 20)
        no_cert = ours.model_copy(
            update={"temporal_tls_client_cert_file": None, "temporal_tls_client_key_file": None}
        )
        with pytest.raises(RuntimeError, match="transport error"):
            await asyncio.wait_for(connect(no_cert), 20)
        wrong_name = ours.model_copy(update={"temporal_tls_server_name": "other.test"})
        with pytest.raises(RuntimeError, match="other.test"):  # the server's name is checked
            await asyncio.wait_for(connect(wrong_name), 20)
        plain = Settings(temporal_address=address, temporal_namespace=dev_env.client.namespace)
        with pytest.raises(RuntimeError):  # no TLS at all: the frontend does not answer
            await asyncio.wait_for(connect(plain), 20)


def test_an_api_key_goes_over_tls_with_the_systems_roots() -> None:
    cloud = connect_options(
        Settings(
            temporal_address="gridflow.a1b2c.tmprl.cloud:7233",
            temporal_namespace="gridflow.a1b2c",
            temporal_api_key=SecretStr("tc-key"),
        )
    )
    assert (cloud["tls"], cloud["api_key"], cloud["namespace"]) == (
        True,
        "tc-key",
        "gridflow.a1b2c",
    )
    assert connect_options(Settings())["tls"] is False  # the embedded stack: plaintext loopback


def test_files_are_read_at_connect_and_contradictions_stop_the_process(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("from-a-file\n")
    (tmp_path / "ca").write_bytes(b"CA PEM")
    options = connect_options(
        Settings(
            temporal_api_key_file=tmp_path / "key",
            temporal_tls_server_ca_file=tmp_path / "ca",
        )
    )
    assert options["api_key"] == "from-a-file"
    assert options["tls"] == TLSConfig(server_root_ca_cert=b"CA PEM")
    with pytest.raises(ValueError, match="go together"):
        connect_options(Settings(temporal_tls_client_cert_file=tmp_path / "ca"))
    with pytest.raises(ValueError, match="GRIDFLOW_TEMPORAL_TLS=false"):
        connect_options(Settings(temporal_tls=False, temporal_tls_server_ca_file=tmp_path / "ca"))
    with pytest.raises(ValueError, match="cannot be read"):
        connect_options(Settings(temporal_tls_server_ca_file=tmp_path / "missing"))

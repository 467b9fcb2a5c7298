"""Interop with scramp, an independent RFC 5802/7677 implementation, in both
directions. scramp implements generic SCRAM, so for SCRAM-SHA-1 it is given
MongoDB's prepared password, hex(MD5("user:mongo:password")); for
SCRAM-SHA-256 the password itself."""

import hashlib

import pytest
import scramp

import mongoauth

USER, PASSWORD = "user", "pencil"
MECHS = ["SCRAM-SHA-1", "SCRAM-SHA-256"]


def scramp_password(mech):
    if mech == "SCRAM-SHA-1":
        return hashlib.md5(f"{USER}:mongo:{PASSWORD}".encode()).hexdigest()
    return PASSWORD


@pytest.mark.parametrize("mech", MECHS)
def test_mongoauth_client_scramp_server(mech):
    m = scramp.ScramMechanism(mech)
    auth_info = m.make_auth_info(scramp_password(mech), iteration_count=4096)
    server = m.make_server(lambda username: auth_info)
    client = mongoauth.ScramClient(mech, USER, PASSWORD)
    server.set_client_first(client.message().decode())
    final = client.step(server.get_server_first().encode())
    server.set_client_final(final.decode())
    assert client.step(server.get_server_final().encode()) is None
    assert client.authenticated


@pytest.mark.parametrize("mech", MECHS)
def test_scramp_client_mongoauth_server(mech):
    creds = mongoauth.StoredCredentials.generate(mech, USER, PASSWORD, iterations=4096)
    client = scramp.ScramClient([mech], USER, scramp_password(mech))
    server = mongoauth.ScramServer(mech)
    assert server.handle_client_first(client.get_client_first().encode()) == USER
    client.set_server_first(server.respond(creds).decode())
    final = server.handle_client_final(client.get_client_final().encode())
    client.set_server_final(final.decode())  # raises if the signature is wrong
    assert server.authenticated


@pytest.mark.parametrize("mech", MECHS)
def test_scramp_client_wrong_password_rejected(mech):
    creds = mongoauth.StoredCredentials.generate(mech, USER, PASSWORD, iterations=4096)
    wrong = hashlib.md5(f"{USER}:mongo:nope".encode()).hexdigest() if mech == "SCRAM-SHA-1" else "nope"
    client = scramp.ScramClient([mech], USER, wrong)
    server = mongoauth.ScramServer(mech)
    server.handle_client_first(client.get_client_first().encode())
    client.set_server_first(server.respond(creds).decode())
    with pytest.raises(mongoauth.AuthenticationFailed):
        server.handle_client_final(client.get_client_final().encode())


@pytest.mark.parametrize("mech", MECHS)
def test_same_stored_credentials_as_scramp(mech):
    salt = bytes(range(16 if mech == "SCRAM-SHA-1" else 28))
    ours = mongoauth.StoredCredentials.generate(mech, USER, PASSWORD, salt=salt, iterations=4096)
    s, stored, server_key, i = scramp.ScramMechanism(mech).make_auth_info(
        scramp_password(mech), iteration_count=4096, salt=salt
    )
    assert (ours.salt, ours.stored_key, ours.server_key, ours.iterations) == (s, stored, server_key, i)

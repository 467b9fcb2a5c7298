"""High-level ScramClient / ScramServer round trips."""

import pytest

import mongoauth
from mongoauth import exceptions as ex

MECHS = ["SCRAM-SHA-1", "SCRAM-SHA-256"]


def login(mech, user, password, creds, **client_kw):
    client = mongoauth.ScramClient(mech, user, password, **client_kw)
    server = mongoauth.ScramServer(mech)
    assert server.handle_client_first(client.message()) == user
    final = client.step(server.respond(creds))
    assert final is not None
    assert client.step(server.handle_client_final(final)) is None
    assert client.authenticated and server.authenticated
    return client


@pytest.mark.parametrize("mech", MECHS)
@pytest.mark.parametrize("user", ["user", "a=b,c", "\u00e9t\u00e9"])
def test_round_trip(mech, user):
    creds = mongoauth.StoredCredentials.generate(mech, user, "pencil", iterations=4096)
    c = login(mech, user, "pencil", creds)
    assert c.mechanism == mech


@pytest.mark.parametrize("mech", MECHS)
def test_wrong_password(mech):
    creds = mongoauth.StoredCredentials.generate(mech, "user", "pencil", iterations=4096)
    client = mongoauth.ScramClient(mech, "user", "pencil!")
    server = mongoauth.ScramServer(mech)
    server.handle_client_first(client.message())
    final = client.step(server.respond(creds))
    with pytest.raises(mongoauth.AuthenticationFailed) as info:
        server.handle_client_final(final)
    assert info.value.code == ex.Status.AUTHENTICATION_FAILED
    assert info.value.server_message == b"e=invalid-proof"
    with pytest.raises(ex.ServerError):
        client.step(info.value.server_message)
    assert not server.authenticated


@pytest.mark.parametrize("mech", MECHS)
def test_unknown_user_decoy(mech):
    client = mongoauth.ScramClient(mech, "ghost", "pencil")
    server = mongoauth.ScramServer(mech)
    name = server.handle_client_first(client.message())
    final = client.step(server.respond(mongoauth.StoredCredentials.decoy(mech, b"server-secret", name)))
    with pytest.raises(mongoauth.AuthenticationFailed):
        server.handle_client_final(final)


@pytest.mark.parametrize("mech", MECHS)
def test_keys_and_cache(mech):
    creds = mongoauth.StoredCredentials.generate(mech, "user", "pencil", iterations=4096)
    cache = mongoauth.KeyCache()
    c = login(mech, "user", "pencil", creds, cache=cache)
    assert len(cache) == 1
    login(mech, "user", "pencil", creds, cache=cache)
    assert len(cache) == 1
    keys = c.keys()
    assert keys.mechanism == mech and keys.salt == creds.salt
    login(mech, "user", None, creds, keys=keys)
    cache.purge()
    assert len(cache) == 0
    cache.close()


def test_iteration_cap():
    creds = mongoauth.StoredCredentials.generate("SCRAM-SHA-256", "user", "pencil", iterations=5000)
    client = mongoauth.ScramClient("SCRAM-SHA-256", "user", "pencil", max_iterations=4096)
    server = mongoauth.ScramServer("SCRAM-SHA-256")
    server.handle_client_first(client.message())
    with pytest.raises(ex.IterationCountTooHigh):
        client.step(server.respond(creds))


def test_out_of_order():
    server = mongoauth.ScramServer("SCRAM-SHA-256")
    with pytest.raises(ex.UnexpectedStep):
        server.handle_client_final(b"c=biws,r=x,p=y")
    with pytest.raises(ex.MalformedMessage):
        server.handle_client_first(b"garbage")

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware-style use: every object in static caller memory, no malloc
 * anywhere, linked against the no_std library
 *   cargo build -p mongoauth-ffi --release --no-default-features --features panic-handler
 * and compiled with -DMONGOAUTH_FREESTANDING (the heap and OS-random
 * functions are then not even declared).
 *
 * The device is provisioned once: a login with the password exports the
 * derived keys, the password is wiped, and later logins use the keys only.
 * A key cache in static memory lets a repeated password login skip PBKDF2.
 * The "server" here stands in for mongod so the example is self-contained.
 *
 * Then the whole driver-side login: a connection string parsed in static
 * memory, the authenticator started from its credential, and
 * mongoauth_authenticator_handshake run over read/write callbacks. The callbacks here are
 * an in-memory transport to a mongoauth_server_session (again standing in
 * for mongod); on a device they wrap the TCP or TLS stack.
 */
#include <stdio.h>
#include <string.h>

#include "mongoauth.h"

/* Objects declared directly: the header gives them their size and alignment. */
static mongoauth_scram_client client_mem;
static mongoauth_scram_server server_mem;
static mongoauth_key_cache cache_mem;
/* Or carved from an arena with the _SIZE/_ALIGN constants. */
static union {
    uint64_t align; /* MONGOAUTH_SCRAM_CLIENT_ALIGN is 8 */
    uint8_t bytes[MONGOAUTH_SCRAM_CLIENT_SIZE];
} arena;

static mongoauth_uri uri_mem;
static mongoauth_authenticator auth_mem;
static mongoauth_server_session session_mem;
static uint8_t handshake_buf[MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES];

static mongoauth_error err;
static uint8_t msg[MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES];
static mongoauth_scram_credentials creds;
static mongoauth_scram_keys keys;

/* Stand-in for a hardware TRNG. NOT random: real firmware reads its TRNG. */
static void trng_fill(uint8_t *out, size_t len) {
    static uint32_t x = 0x9e3779b9u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

#define CHECK(call)                                                                  \
    do {                                                                             \
        mongoauth_status st_ = (call);                                               \
        if (st_ != MONGOAUTH_STATUS_OK) {                                            \
            printf("%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,                \
                   mongoauth_status_name(st_), err.message);                         \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static const uint8_t user[] = "device-42";
static const size_t user_len = sizeof user - 1;

/* One login against the in-process server. `password` NULL: use `keys`. */
static int login(mongoauth_scram_client *c, mongoauth_scram_server *s, const char *password,
                 mongoauth_key_cache *cache) {
    uint8_t entropy[MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES];
    size_t len;
    bool done = false;

    trng_fill(entropy, sizeof entropy);
    if (password) {
        CHECK(mongoauth_scram_client_start(c, MONGOAUTH_MECHANISM_SCRAM_SHA_256, user, user_len,
                                           (const uint8_t *)password, strlen(password), entropy,
                                           sizeof entropy, &err));
    } else {
        CHECK(mongoauth_scram_client_start_with_keys(c, user, user_len, &keys, entropy,
                                                     sizeof entropy, &err));
    }
    CHECK(mongoauth_scram_server_start(s, MONGOAUTH_MECHANISM_SCRAM_SHA_256, &err));
    CHECK(mongoauth_scram_client_message(c, msg, sizeof msg, &len, &err));
    CHECK(mongoauth_scram_server_handle_client_first(s, msg, len, &err));
    trng_fill(entropy, sizeof entropy);
    CHECK(mongoauth_scram_server_respond(s, &creds, entropy, sizeof entropy, &err));
    CHECK(mongoauth_scram_server_message(s, msg, sizeof msg, &len, &err));
    CHECK(mongoauth_scram_client_step(c, msg, len, cache, &done, &err));
    CHECK(mongoauth_scram_client_message(c, msg, sizeof msg, &len, &err));
    CHECK(mongoauth_scram_server_handle_client_final(s, msg, len, &err));
    CHECK(mongoauth_scram_server_message(s, msg, sizeof msg, &len, &err));
    CHECK(mongoauth_scram_client_step(c, msg, len, cache, &done, &err));
    return done ? 0 : 1;
}

/* The in-memory "network": requests go to the server session as whole
 * frames; replies come back in chunks, like a socket's. */
static struct {
    mongoauth_server_session *server;
    uint8_t req[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    size_t req_len;
    uint8_t rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    size_t rep_len, rep_off;
    int32_t reply_id;
} net;

static ptrdiff_t net_write(void *ctx, const uint8_t *buf, size_t len) {
    uint32_t frame_len;
    (void)ctx;
    if (len > sizeof net.req - net.req_len) return -1;
    memcpy(net.req + net.req_len, buf, len);
    net.req_len += len;
    if (net.req_len < 4) return (ptrdiff_t)len;
    frame_len = (uint32_t)net.req[0] | (uint32_t)net.req[1] << 8 | (uint32_t)net.req[2] << 16 |
                (uint32_t)net.req[3] << 24;
    if (net.req_len >= frame_len) {
        uint8_t entropy[MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES];
        trng_fill(entropy, sizeof entropy);
        if (mongoauth_server_session_handle_frame(net.server, net.req, frame_len, entropy,
                                                  sizeof entropy, ++net.reply_id, net.rep,
                                                  sizeof net.rep, &net.rep_len, NULL))
            return -1;
        net.rep_off = 0;
        net.req_len = 0;
    }
    return (ptrdiff_t)len;
}

static ptrdiff_t net_read(void *ctx, uint8_t *buf, size_t len) {
    size_t avail = net.rep_len - net.rep_off;
    (void)ctx;
    if (len > avail) len = avail;
    if (len > 64) len = 64;
    memcpy(buf, net.rep + net.rep_off, len);
    net.rep_off += len;
    return (ptrdiff_t)len; /* 0: the peer closed */
}

static int driver_login(void) {
    static const char uri_text[] = "mongodb://device-42:s3cr%3At@10.0.0.5:27017/?authSource=admin";
    static const uint8_t pw[] = "s3cr:t";
    mongoauth_uri *uri;
    mongoauth_authenticator *auth;
    mongoauth_server_session *server;
    uint8_t salt[MONGOAUTH_SERVER_SESSION_SALT_BYTES], secret[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];
    uint8_t entropy[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
    uint8_t host[64];
    size_t host_len;
    uint16_t port;
    bool ok = false;
    uint32_t mech = 0;

    /* The server stand-in, with the device's user. */
    CHECK(mongoauth_server_session_init_static(&session_mem, sizeof session_mem, &server, &err));
    trng_fill(salt, sizeof salt);
    CHECK(mongoauth_server_session_add_user(server, (const uint8_t *)"admin", 5, user, user_len, pw,
                                            sizeof pw - 1, salt, sizeof salt, &err));
    trng_fill(secret, sizeof secret);
    CHECK(mongoauth_server_session_start(server, secret, sizeof secret, 1, &err));
    net.server = server;

    /* The device: parse its connection string, log in. */
    CHECK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &uri, &err));
    CHECK(mongoauth_uri_parse(uri, (const uint8_t *)uri_text, sizeof uri_text - 1, &err));
    CHECK(mongoauth_uri_host(uri, 0, host, sizeof host, &host_len, &port, NULL, &err));
    printf("connection string: host %.*s port %u\n", (int)host_len, (const char *)host, port);
    CHECK(mongoauth_authenticator_init_static(&auth_mem, sizeof auth_mem, &auth, &err));
    trng_fill(entropy, sizeof entropy);
    CHECK(mongoauth_authenticator_start_uri(auth, uri, entropy, sizeof entropy, &err));
    CHECK(mongoauth_uri_clear(uri, &err)); /* the credential was copied */
    CHECK(mongoauth_authenticator_handshake(auth, net_read, net_write, NULL, handshake_buf, sizeof handshake_buf, &err));
    ok = mongoauth_authenticator_is_authenticated(auth);
    CHECK(mongoauth_authenticator_mechanism(auth, &mech, &err));
    printf("handshake login: %s with %s\n", ok ? "ok" : "FAILED", mongoauth_mechanism_name(mech));
    CHECK(mongoauth_authenticator_clear(auth, &err));
    CHECK(mongoauth_server_session_clear(server, &err));
    return ok ? 0 : 1;
}

int main(void) {
    mongoauth_scram_client *client, *client2;
    mongoauth_scram_server *server;
    mongoauth_key_cache *cache;
    uint8_t salt[28];
    size_t cached = 0;
    char password[] = "correct horse battery staple";

    CHECK(mongoauth_scram_client_init_static(&client_mem, sizeof client_mem, &client, &err));
    CHECK(mongoauth_scram_server_init_static(&server_mem, sizeof server_mem, &server, &err));
    CHECK(mongoauth_key_cache_init_static(&cache_mem, sizeof cache_mem, &cache, &err));
    CHECK(mongoauth_scram_client_init_static(arena.bytes, sizeof arena.bytes, &client2, &err));

    trng_fill(salt, sizeof salt);
    CHECK(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, user, user_len,
                                               (const uint8_t *)password, strlen(password), salt,
                                               sizeof salt, 15000, &creds, &err));

    /* 1. Password login (PBKDF2 runs; the cache is filled). */
    if (login(client, server, password, cache) != 0) return 1;
    CHECK(mongoauth_key_cache_len(cache, &cached, &err));
    printf("password login: ok (cache holds %u)\n", (unsigned)cached);

    /* 2. Same password again: a cache hit, no PBKDF2. */
    if (login(client, server, password, cache) != 0) return 1;
    printf("cached login:   ok\n");

    /* 3. Provision: export the keys, forget the password. */
    CHECK(mongoauth_scram_client_keys(client, &keys, &err));
    CHECK(mongoauth_memory_zero(password, sizeof password));
    CHECK(mongoauth_key_cache_purge(cache, &err));

    /* 4. Keys-only login from the arena client. */
    if (login(client2, server, NULL, NULL) != 0) return 1;
    printf("keys login:     ok\n");

    CHECK(mongoauth_scram_client_clear(client, &err));
    CHECK(mongoauth_scram_client_clear(client2, &err));
    CHECK(mongoauth_scram_server_clear(server, &err));
    CHECK(mongoauth_key_cache_clear(cache, &err));
    CHECK(mongoauth_memory_zero(&keys, sizeof keys));

    /* 5. The driver's view: connection string, authenticator, handshake. */
    if (driver_login() != 0) return 1;
    printf("ok\n");
    return 0;
}

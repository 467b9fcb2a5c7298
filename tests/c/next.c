/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one next-step loop of mongoauth_authenticator: `_next` says send,
 * need an input (time, AWS keys, OIDC token) or done. Drives MONGODB-AWS
 * and a one-step MONGODB-OIDC login against scripted server replies (the
 * spec's payload shapes, as in core/tests/handshake_no_alloc.rs), a SCRAM
 * login against the C server session through the same loop, and checks
 * that `_provide_*` out of order is UNEXPECTED_STEP.
 */
#include "mongoauth.h"
#include "check.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static mongoauth_error err;
static uint8_t entropy48[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
static uint8_t entropy24[MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES];
static uint8_t secret32[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];
static uint8_t salt28[MONGOAUTH_SERVER_SESSION_SALT_BYTES];

/* ---- a tiny BSON writer for the scripted replies ---------------------- */
typedef struct {
    uint8_t b[1024];
    size_t n;
} doc;

static void put(doc *d, const void *p, size_t n) {
    if (n && d->n + n <= sizeof d->b) memcpy(d->b + d->n, p, n);
    d->n += n;
}
static void put_i32(doc *d, int32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(d, x, 4);
}
static void begin(doc *d) {
    d->n = 0;
    put_i32(d, 0);
}
static void end(doc *d) {
    uint8_t z = 0;
    put(d, &z, 1);
    d->b[0] = (uint8_t)d->n;
    d->b[1] = (uint8_t)(d->n >> 8);
    d->b[2] = 0;
    d->b[3] = 0;
}
static void key(doc *d, uint8_t type, const char *k) {
    put(d, &type, 1);
    put(d, k, strlen(k) + 1);
}
static void add_i32(doc *d, const char *k, int32_t v) {
    key(d, 0x10, k);
    put_i32(d, v);
}
static void add_bool(doc *d, const char *k, int v) {
    uint8_t b = (uint8_t)(v != 0);
    key(d, 0x08, k);
    put(d, &b, 1);
}
static void add_double_one(doc *d, const char *k) {
    static const uint8_t one[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
    key(d, 0x01, k);
    put(d, one, 8);
}
static void add_bin(doc *d, const char *k, const uint8_t *p, size_t n) {
    uint8_t sub = 0;
    key(d, 0x05, k);
    put_i32(d, (int32_t)n);
    put(d, &sub, 1);
    put(d, p, n);
}
static void add_str(doc *d, const char *k, const char *s) {
    key(d, 0x02, k);
    put_i32(d, (int32_t)strlen(s) + 1);
    put(d, s, strlen(s) + 1);
}
/* {conversationId: 1, done, payload, ok: 1.0} */
static void sasl_reply(doc *d, int done, const uint8_t *payload, size_t len) {
    begin(d);
    add_i32(d, "conversationId", 1);
    add_bool(d, "done", done);
    add_bin(d, "payload", payload, len);
    add_double_one(d, "ok");
    end(d);
}
static int contains(const uint8_t *hay, size_t n, const void *needle, size_t l) {
    size_t i;
    for (i = 0; l <= n && i <= n - l; i++)
        if (memcmp(hay + i, needle, l) == 0) return 1;
    return 0;
}
static int first_key_is(const uint8_t *cmd, size_t n, const char *k) {
    size_t l = strlen(k);
    return n > 5 + l && memcmp(cmd + 5, k, l + 1) == 0;
}

static mongoauth_authenticator *fresh(uint32_t mech, const char *user, const char *pw, const char *source) {
    static mongoauth_authenticator obj;
    mongoauth_authenticator *a = NULL;
    mongoauth_credential cred;
    size_t i;
    memset(&cred, 0, sizeof cred);
    cred.mechanism = mech;
    if (user) {
        cred.username = (const uint8_t *)user;
        cred.username_len = strlen(user);
    }
    if (pw) {
        cred.password = (const uint8_t *)pw;
        cred.password_len = strlen(pw);
    }
    cred.source = (const uint8_t *)source;
    cred.source_len = strlen(source);
    for (i = 0; i < sizeof entropy48; i++) entropy48[i] = (uint8_t)(i * 7 + 3);
    EXPECT_OK(mongoauth_authenticator_init_static(&obj, sizeof obj, &a, &err));
    EXPECT_OK(mongoauth_authenticator_set_speculative(a, false, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &cred, entropy48, sizeof entropy48, &err));
    return a;
}

static mongoauth_next next_of(mongoauth_authenticator *a) {
    mongoauth_next n = MONGOAUTH_NEXT_DONE;
    EXPECT_OK(mongoauth_authenticator_next(a, &n, &err));
    return n;
}

/* The hello reply of a C server session (no users needed for it). */
static size_t hello_reply(const uint8_t *cmd, size_t n, uint8_t *rep, size_t cap) {
    static mongoauth_server_session obj;
    mongoauth_server_session *s = NULL;
    size_t r = 0;
    EXPECT_OK(mongoauth_server_session_init_static(&obj, sizeof obj, &s, &err));
    EXPECT_OK(mongoauth_server_session_start(s, secret32, sizeof secret32, 7, &err));
    EXPECT_OK(mongoauth_server_session_handle(s, cmd, n, entropy24, sizeof entropy24, rep, cap, &r, &err));
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
    return r;
}

static void aws(const char *session_token) {
    static uint8_t cmd[MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES * 3], rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    mongoauth_authenticator *a = fresh(MONGOAUTH_MECHANISM_MONGODB_AWS, NULL, NULL, "$external");
    bool done = false, ok = false;
    uint8_t s[64];
    doc first, reply;
    size_t n = 0, r;
    int sasl = 0, rounds = 0, times = 0, keys = 0;
    uint32_t mech = 0;

    /* Out of order: nothing asked for yet. */
    EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1573592482, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_provide_token(a, S("x.y.z"), &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    /* The server's {s: our nonce + 32 bytes, h: host}. */
    memcpy(s, entropy48, 32);
    memset(s + 32, 9, 32);
    begin(&first);
    add_bin(&first, "s", s, sizeof s);
    add_str(&first, "h", "sts.amazonaws.com");
    end(&first);

    while (rounds++ < 10) {
        mongoauth_next nx = next_of(a);
        if (nx == MONGOAUTH_NEXT_DONE) break;
        if (nx == MONGOAUTH_NEXT_NEED_TIME) {
            times++;
            EXPECT_STATUS(mongoauth_authenticator_provide_aws_credentials(a, S("AKIDEXAMPLE"), S("k"), NULL, 0, &err),
                          MONGOAUTH_STATUS_UNEXPECTED_STEP);
            EXPECT_OK(mongoauth_authenticator_provide_time(a, 1573592482, &err)); /* 20191112T210122Z */
            continue;
        }
        if (nx == MONGOAUTH_NEXT_NEED_AWS_CREDENTIALS) {
            keys++;
            EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1573592482, &err),
                          MONGOAUTH_STATUS_UNEXPECTED_STEP);
            EXPECT_OK(mongoauth_authenticator_provide_aws_credentials(
                a, S("AKIDEXAMPLE"), S("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), (const uint8_t *)session_token,
                session_token ? strlen(session_token) : 0, &err));
            continue;
        }
        EXPECT(nx == MONGOAUTH_NEXT_SEND);
        if (nx != MONGOAUTH_NEXT_SEND) break;
        EXPECT_OK(mongoauth_authenticator_command(a, cmd, sizeof cmd, &n, &err));
        if (first_key_is(cmd, n, "saslStart") || first_key_is(cmd, n, "saslContinue")) {
            if (sasl++ == 0) {
                EXPECT(first_key_is(cmd, n, "saslStart"));
                sasl_reply(&reply, 0, first.b, first.n);
            } else {
                EXPECT(first_key_is(cmd, n, "saslContinue"));
                if (session_token) EXPECT(contains(cmd, n, session_token, strlen(session_token)));
                sasl_reply(&reply, 1, NULL, 0);
            }
            EXPECT_OK(mongoauth_authenticator_handle_reply(a, reply.b, reply.n, &done, &err));
        } else {
            r = hello_reply(cmd, n, rep, sizeof rep);
            EXPECT_OK(mongoauth_authenticator_handle_reply(a, rep, r, &done, &err));
        }
        memset(cmd, 0, sizeof cmd); /* it held the signed request */
    }
    EXPECT(times == 1 && keys == 1 && sasl == 2);
    EXPECT(done);
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(ok);
    EXPECT_OK(mongoauth_authenticator_mechanism(a, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_MONGODB_AWS);
    /* Done: nothing more to provide. */
    EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1573592482, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_command(a, cmd, sizeof cmd, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
}

static void oidc(void) {
    static uint8_t cmd[MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES * 2], rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    static char jwt[MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES + 1];
    mongoauth_authenticator *a = fresh(MONGOAUTH_MECHANISM_MONGODB_OIDC, "alice@example.com", NULL, "$external");
    bool done = false, ok = false;
    doc reply;
    size_t n = 0, r;
    int rounds = 0, tokens = 0, sasl = 0;

    /* A JWT-sized token (5 KiB) fits the documented payload capacity. */
    memset(jwt, 'e', 5000);
    jwt[1000] = '.';
    jwt[4000] = '.';
    while (rounds++ < 10) {
        mongoauth_next nx = next_of(a);
        if (nx == MONGOAUTH_NEXT_DONE) break;
        if (nx == MONGOAUTH_NEXT_NEED_OIDC_TOKEN) {
            tokens++;
            EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
            /* Over the limit: refused before reading (the pointer is never read). */
            EXPECT_STATUS(mongoauth_authenticator_provide_token(a, (const uint8_t *)jwt,
                                                                MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES + 1, &err),
                          MONGOAUTH_STATUS_CAPACITY);
            EXPECT_OK(mongoauth_authenticator_provide_token(a, (const uint8_t *)jwt, 5000, &err));
            continue;
        }
        EXPECT(nx == MONGOAUTH_NEXT_SEND);
        if (nx != MONGOAUTH_NEXT_SEND) break;
        EXPECT_OK(mongoauth_authenticator_command(a, cmd, sizeof cmd, &n, &err));
        if (first_key_is(cmd, n, "saslStart")) {
            sasl++;
            EXPECT(contains(cmd, n, jwt, 5000));
            sasl_reply(&reply, 1, NULL, 0);
            EXPECT_OK(mongoauth_authenticator_handle_reply(a, reply.b, reply.n, &done, &err));
        } else {
            r = hello_reply(cmd, n, rep, sizeof rep);
            EXPECT_OK(mongoauth_authenticator_handle_reply(a, rep, r, &done, &err));
        }
        memset(cmd, 0, sizeof cmd);
    }
    EXPECT(tokens == 1 && sasl == 1);
    EXPECT(done);
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(ok);
    EXPECT_STATUS(mongoauth_authenticator_provide_token(a, S("x.y.z"), &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
}

static void scram(void) {
    static mongoauth_server_session obj;
    static uint8_t cmd[MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES], rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    mongoauth_server_session *s = NULL;
    mongoauth_authenticator *a = fresh(MONGOAUTH_MECHANISM_DEFAULT, "alice", "pencil", "admin");
    bool done = false, ok = false;
    size_t n = 0, r = 0;
    int rounds = 0, sends = 0;

    EXPECT_OK(mongoauth_server_session_init_static(&obj, sizeof obj, &s, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("alice"), S("pencil"), salt28, sizeof salt28, &err));
    EXPECT_OK(mongoauth_server_session_start(s, secret32, sizeof secret32, 42, &err));
    while (rounds++ < 10) {
        mongoauth_next nx = next_of(a);
        if (nx == MONGOAUTH_NEXT_DONE) break;
        EXPECT(nx == MONGOAUTH_NEXT_SEND);
        if (nx != MONGOAUTH_NEXT_SEND) break;
        /* SCRAM never asks for an input. */
        EXPECT_STATUS(mongoauth_authenticator_provide_token(a, S("x.y.z"), &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
        EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
        sends++;
        EXPECT_OK(mongoauth_authenticator_command(a, cmd, sizeof cmd, &n, &err));
        EXPECT_OK(mongoauth_server_session_handle(s, cmd, n, entropy24, sizeof entropy24, rep, sizeof rep, &r, &err));
        EXPECT_OK(mongoauth_authenticator_handle_reply(a, rep, r, &done, &err));
    }
    EXPECT(sends >= 3);
    EXPECT(done);
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(ok);
    ok = false;
    ok = mongoauth_server_session_is_authenticated(s);
    EXPECT(ok);
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
}

int main(void) {
    mongoauth_authenticator obj;
    mongoauth_authenticator *a = NULL;
    mongoauth_next nx;
    memset(entropy24, 0x5a, sizeof entropy24);
    memset(secret32, 0x33, sizeof secret32);
    memset(salt28, 0x44, sizeof salt28);
    /* Not started: UNEXPECTED_STEP; NULL out-pointer: NULL_POINTER. */
    EXPECT_OK(mongoauth_authenticator_init_static(&obj, sizeof obj, &a, &err));
    EXPECT_STATUS(mongoauth_authenticator_next(a, &nx, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_provide_time(a, 1, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_provide_token(NULL, S("x"), &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    aws(NULL);
    /* Temporary keys: a 2000-byte session token (over the default 770-byte
     * core payload, inside MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES). */
    {
        static char token[2001];
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t i;
        for (i = 0; i < 2000; i++) token[i] = b64[(i * 13) % 64];
        aws(token);
    }
    oidc();
    scram();
    return check_report();
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connection string, authenticator, handshake and server session
 * objects: what they return for good input, and that misuse is a status,
 * never a crash: NULL, short buffers (size needed in *written), calls out
 * of order, invalid UTF-8, bad BSON and bad frames, failing callbacks, wrong
 * objects. Static memory only, so it also runs against the no_std library;
 * heap objects are tested when MONGOAUTH_FEATURE_ALLOC is defined.
 */
#include <stdint.h>
#include <string.h>

#include "mongoauth.h"
#include "check.h"
#include "pipe.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static mongoauth_error err;
static mongoauth_uri uri_mem;
static mongoauth_authenticator auth_mem;
static mongoauth_server_session session_mem;
static uint8_t buf[4096];
static uint8_t rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
static uint8_t ENTROPY48[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
static uint8_t ENTROPY24[MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES];
static uint8_t SALT[MONGOAUTH_SERVER_SESSION_SALT_BYTES];
static uint8_t SECRET[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];

static void fill(uint8_t *out, size_t len) {
    static uint32_t x = 0x12345678u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

static int text_is(const uint8_t *b, size_t n, const char *want) {
    return n == strlen(want) && memcmp(b, want, n) == 0;
}

static const char GOOD[] =
    "mongodb://alice:p%40ss@db1.example.com:27017,db2.example.com/shop"
    "?authMechanism=SCRAM-SHA-256&tls=true&connectTimeoutMS=500&appname=demo&unknownOpt=1";

static void test_uri_good(void) {
    mongoauth_uri *u = NULL;
    size_t n = 0, count = 0, off = 0;
    uint16_t port = 1;
    uint32_t kind = 0, mech = 9;
    bool found = false, b = false;
    int64_t i = 0;

    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));
    EXPECT_OK(mongoauth_uri_parse(u, S(GOOD), &err));
    EXPECT_OK(mongoauth_uri_host_count(u, &count, &err));
    EXPECT(count == 2);
    /* size query, then a short buffer, then the host */
    EXPECT_STATUS(mongoauth_uri_host(u, 0, NULL, 0, &n, &port, &kind, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n == 15 && port == 1);
    EXPECT_STATUS(mongoauth_uri_host(u, 0, buf, 3, &n, NULL, NULL, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n == 15);
    EXPECT_OK(mongoauth_uri_host(u, 0, buf, sizeof buf, &n, &port, &kind, &err));
    EXPECT(text_is(buf, n, "db1.example.com") && port == 27017 && kind == MONGOAUTH_HOST_HOSTNAME);
    EXPECT_OK(mongoauth_uri_host(u, 1, buf, sizeof buf, &n, &port, NULL, &err));
    EXPECT(text_is(buf, n, "db2.example.com") && port == 0);
    EXPECT_STATUS(mongoauth_uri_host(u, 2, buf, sizeof buf, &n, NULL, NULL, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_OK(mongoauth_uri_database(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "shop"));
    /* options */
    EXPECT_OK(mongoauth_uri_option_count(u, &count, &err));
    EXPECT(count == 4);
    EXPECT_OK(mongoauth_uri_option_name(u, 0, buf, sizeof buf, &n, &err));
    EXPECT(n > 0);
    EXPECT_STATUS(mongoauth_uri_option_name(u, 4, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_OK(mongoauth_uri_option(u, S("TLS"), buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "true"));
    EXPECT_OK(mongoauth_uri_option(u, S("connectTimeoutMS"), buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "500"));
    EXPECT_OK(mongoauth_uri_option(u, S("appName"), buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "demo"));
    EXPECT_OK(mongoauth_uri_option(u, S("replicaSet"), buf, sizeof buf, &n, &found, &err));
    EXPECT(!found && n == 0);
    EXPECT_STATUS(mongoauth_uri_option(u, S("nosuchoption"), buf, sizeof buf, &n, &found, &err),
                  MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(mongoauth_uri_option(u, S("authMechanism"), buf, 2, &n, &found, &err),
                  MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n == 13);
    EXPECT_OK(mongoauth_uri_option_bool(u, S("tls"), &b, &found, &err));
    EXPECT(found && b);
    EXPECT_OK(mongoauth_uri_option_bool(u, S("tlsInsecure"), &b, &found, &err));
    EXPECT(!found);
    EXPECT_STATUS(mongoauth_uri_option_bool(u, S("connectTimeoutMS"), &b, &found, &err),
                  MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_OK(mongoauth_uri_option_int(u, S("connecttimeoutms"), &i, &found, &err));
    EXPECT(found && i == 500);
    EXPECT_STATUS(mongoauth_uri_option_int(u, S("tls"), &i, &found, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    b = mongoauth_uri_uses_tls(u);
    EXPECT(b);
    b = mongoauth_uri_is_srv(u);
    EXPECT(!b);
    EXPECT_OK(mongoauth_uri_auth_mechanism(u, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    EXPECT_STATUS(mongoauth_uri_srv_query_name(u, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    /* warnings: the unknown option */
    EXPECT_OK(mongoauth_uri_warning_count(u, &count, &err));
    EXPECT(count == 1);
    EXPECT_STATUS(mongoauth_uri_warning(u, 0, NULL, 0, &n, &kind, &off, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n > 10);
    EXPECT_OK(mongoauth_uri_warning(u, 0, buf, sizeof buf, &n, &kind, &off, &err));
    EXPECT(kind == MONGOAUTH_URI_WARNING_UNKNOWN_OPTION && off > 100 && off < sizeof GOOD);
    buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
    EXPECT(strstr((const char *)buf, "unknownOpt") != NULL);
    EXPECT_STATUS(mongoauth_uri_warning(u, 1, buf, sizeof buf, &n, NULL, NULL, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    /* credential */
    EXPECT_OK(mongoauth_uri_has_credential(u, &b, &err));
    EXPECT(b);
    EXPECT_OK(mongoauth_uri_credential_mechanism(u, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    EXPECT_OK(mongoauth_uri_credential_username(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "alice"));
    EXPECT_STATUS(mongoauth_uri_credential_password(u, buf, 2, &n, &found, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n == 4);
    EXPECT_OK(mongoauth_uri_credential_password(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "p@ss"));
    EXPECT_OK(mongoauth_memory_zero(buf, n));
    EXPECT_OK(mongoauth_uri_credential_source(u, buf, sizeof buf, &n, &err));
    EXPECT(text_is(buf, n, "shop"));
    EXPECT_OK(mongoauth_uri_credential_property(u, S("SERVICE_NAME"), buf, sizeof buf, &n, &found, &err));
    EXPECT(!found);
    EXPECT_OK(mongoauth_uri_clear(u, &err));
    EXPECT_STATUS(mongoauth_uri_host_count(u, &count, &err), MONGOAUTH_STATUS_OBJECT_FREED);
}

static void test_uri_other(void) {
    mongoauth_uri *u = NULL;
    size_t n = 0;
    bool b = true, found = true;
    uint32_t mech = 9;
    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));
    /* SRV: TLS by default, the SRV name */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb+srv://cluster0.example.com/?authSource=admin"), &err));
    b = mongoauth_uri_is_srv(u);
    EXPECT(b);
    b = mongoauth_uri_uses_tls(u);
    EXPECT(b);
    EXPECT_OK(mongoauth_uri_srv_query_name(u, buf, sizeof buf, &n, &err));
    EXPECT(text_is(buf, n, "_mongodb._tcp.cluster0.example.com"));
    EXPECT_OK(mongoauth_uri_auth_mechanism(u, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_DEFAULT);
    /* no credential */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://[::1]:27018"), &err));
    EXPECT_OK(mongoauth_uri_host(u, 0, buf, sizeof buf, &n, NULL, &mech, &err));
    EXPECT(text_is(buf, n, "::1") && mech == MONGOAUTH_HOST_IP_LITERAL);
    EXPECT_OK(mongoauth_uri_has_credential(u, &b, &err));
    EXPECT(!b);
    EXPECT_STATUS(mongoauth_uri_credential_username(u, buf, sizeof buf, &n, &found, &err),
                  MONGOAUTH_STATUS_INVALID_CREDENTIAL);
    EXPECT_OK(mongoauth_uri_database(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(!found && n == 0);
    /* credential rules: SCRAM without a password */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://alice@host"), &err));
    EXPECT_STATUS(mongoauth_uri_has_credential(u, &b, &err), MONGOAUTH_STATUS_URI_CREDENTIAL);
    /* GSSAPI properties with defaults */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://user%40REALM@host/?authMechanism=GSSAPI"), &err));
    EXPECT_OK(mongoauth_uri_credential_mechanism(u, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_GSSAPI);
    EXPECT_OK(mongoauth_uri_credential_property(u, S("SERVICE_NAME"), buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "mongodb"));
    EXPECT_OK(mongoauth_uri_credential_source(u, buf, sizeof buf, &n, &err));
    EXPECT(text_is(buf, n, "$external"));
    EXPECT_OK(mongoauth_uri_credential_username(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && text_is(buf, n, "user@REALM"));

    /* errors carry the byte offset */
    memset(&err, 0, sizeof err);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb://alice:p@ss@host"), &err), MONGOAUTH_STATUS_URI_SYNTAX);
    EXPECT(err.status == MONGOAUTH_STATUS_URI_SYNTAX && err.offset == 17 && err.server_code == 0);
    EXPECT(strstr(err.message, "%40") != NULL);
    /* a failed parse leaves the object empty */
    EXPECT_STATUS(mongoauth_uri_host_count(u, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT(err.offset == MONGOAUTH_NO_OFFSET);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("http://host"), &err), MONGOAUTH_STATUS_URI_SYNTAX);
    EXPECT(err.offset == 0);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb://host/?authMechanism=FOO"), &err), MONGOAUTH_STATUS_URI_OPTION);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb+srv://a.example.com,b.example.com"), &err), MONGOAUTH_STATUS_URI_SRV);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb://h\xff"), &err), MONGOAUTH_STATUS_INVALID_UTF8);
    EXPECT(err.offset == 11);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb://host:99999"), &err), MONGOAUTH_STATUS_URI_SYNTAX);
    {
        static uint8_t longuri[MONGOAUTH_URI_MAX_BYTES + 10];
        memset(longuri, 'a', sizeof longuri);
        memcpy(longuri, "mongodb://", 10);
        EXPECT_STATUS(mongoauth_uri_parse(u, longuri, sizeof longuri, &err), MONGOAUTH_STATUS_CAPACITY);
    }
    EXPECT_OK(mongoauth_uri_clear(u, &err));
}

static void test_uri_misuse(void) {
    mongoauth_uri *u = NULL;
    size_t n;
    bool b;
    EXPECT_STATUS(mongoauth_uri_init_static(NULL, sizeof uri_mem, &u, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem - 1, &u, &err), MONGOAUTH_STATUS_MEMORY_TOO_SMALL);
    EXPECT_STATUS(mongoauth_uri_init_static((uint8_t *)&uri_mem + 1, sizeof uri_mem, &u, &err),
                  MONGOAUTH_STATUS_MEMORY_MISALIGNED);
    /* uninitialised memory, another object type */
    memset(&uri_mem, 0, sizeof uri_mem);
    EXPECT_STATUS(mongoauth_uri_parse(&uri_mem, S("mongodb://h"), &err), MONGOAUTH_STATUS_INVALID_OBJECT);
    EXPECT_STATUS(mongoauth_uri_parse(NULL, S("mongodb://h"), &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));
    EXPECT(!mongoauth_uri_is_srv(u)); /* not parsed yet: false, and a status call says why */
    EXPECT_STATUS(mongoauth_uri_host_count(u, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_uri_parse(u, NULL, 5, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_parse(u, NULL, 0, &err), MONGOAUTH_STATUS_URI_SYNTAX);
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://h"), NULL));
    EXPECT_STATUS(mongoauth_uri_host_count(u, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_host(u, 0, buf, sizeof buf, NULL, NULL, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_host(u, 0, NULL, 5, &n, NULL, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_database(u, buf, sizeof buf, &n, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_option(u, S("\xff"), buf, sizeof buf, &n, &b, &err), MONGOAUTH_STATUS_INVALID_UTF8);
    EXPECT(!mongoauth_uri_is_srv((const mongoauth_uri *)&auth_mem));
    EXPECT(!mongoauth_uri_is_srv(NULL));
    EXPECT_STATUS(mongoauth_uri_host_count((const mongoauth_uri *)&auth_mem, &n, &err), MONGOAUTH_STATUS_INVALID_OBJECT);
#if defined(MONGOAUTH_FEATURE_ALLOC)
    EXPECT_STATUS(mongoauth_uri_free(NULL), MONGOAUTH_STATUS_OK);
    EXPECT_STATUS(mongoauth_uri_free(u), MONGOAUTH_STATUS_WRONG_ALLOCATION);
    {
        mongoauth_uri *h = NULL;
        EXPECT_OK(mongoauth_uri_new(&h, &err));
        EXPECT_OK(mongoauth_uri_parse(h, S(GOOD), &err));
        EXPECT_STATUS(mongoauth_uri_clear(h, &err), MONGOAUTH_STATUS_WRONG_ALLOCATION);
        EXPECT_OK(mongoauth_uri_free(h));
    }
#endif
    EXPECT_OK(mongoauth_uri_clear(u, &err));
    EXPECT_STATUS(mongoauth_uri_clear(u, &err), MONGOAUTH_STATUS_OBJECT_FREED);
}

static void test_uri_encode(void) {
    mongoauth_uri_host_spec hosts[2];
    mongoauth_uri_option_pair opts[1];
    mongoauth_uri_parts parts;
    mongoauth_uri *u = NULL;
    size_t n = 0, need = 0;
    bool found;
    static mongoauth_uri_host_spec many[MONGOAUTH_URI_ENCODE_MAX_PARTS + 1];

    memset(&parts, 0, sizeof parts);
    hosts[0].host = (const uint8_t *)"db1.example.com";
    hosts[0].host_len = 15;
    hosts[0].port = 27017;
    hosts[1].host = (const uint8_t *)"::1";
    hosts[1].host_len = 3;
    hosts[1].port = 0;
    opts[0].key = (const uint8_t *)"authSource";
    opts[0].key_len = 10;
    opts[0].value = (const uint8_t *)"admin";
    opts[0].value_len = 5;
    parts.hosts = hosts;
    parts.host_count = 2;
    parts.username = (const uint8_t *)"al@ice";
    parts.username_len = 6;
    parts.password = (const uint8_t *)"p:ss/w%rd";
    parts.password_len = 9;
    parts.database = (const uint8_t *)"shop";
    parts.database_len = 4;
    parts.options = opts;
    parts.option_count = 1;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, NULL, 0, &need, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(need > 40);
    EXPECT_OK(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err));
    EXPECT(n == need);
    /* it parses back to the same parts */
    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));
    EXPECT_OK(mongoauth_uri_parse(u, buf, n, &err));
    EXPECT_OK(mongoauth_uri_credential_username(u, rep, sizeof rep, &n, &found, &err));
    EXPECT(found && text_is(rep, n, "al@ice"));
    EXPECT_OK(mongoauth_uri_credential_password(u, rep, sizeof rep, &n, &found, &err));
    EXPECT(found && text_is(rep, n, "p:ss/w%rd"));
    EXPECT_OK(mongoauth_uri_credential_source(u, rep, sizeof rep, &n, &err));
    EXPECT(text_is(rep, n, "admin"));
    EXPECT_OK(mongoauth_uri_host(u, 1, rep, sizeof rep, &n, NULL, NULL, &err));
    EXPECT(text_is(rep, n, "::1"));
    EXPECT_OK(mongoauth_uri_clear(u, &err));
    /* misuse */
    EXPECT_STATUS(mongoauth_uri_encode(NULL, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    parts.srv = true; /* SRV: one host, no port */
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_URI_ENCODE);
    parts.srv = false;
    parts.host_count = 0;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_URI_ENCODE);
    parts.hosts = NULL;
    parts.host_count = 1;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_NULL_POINTER);
    parts.hosts = many;
    parts.host_count = MONGOAUTH_URI_ENCODE_MAX_PARTS + 1;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_CAPACITY);
    parts.hosts = hosts;
    parts.host_count = 1;
    parts.username = NULL;
    parts.username_len = 0;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    parts.password = (const uint8_t *)"\xff";
    parts.password_len = 1;
    parts.username = (const uint8_t *)"u";
    parts.username_len = 1;
    EXPECT_STATUS(mongoauth_uri_encode(&parts, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_INVALID_UTF8);
}

static mongoauth_server_session *new_session(void) {
    mongoauth_server_session *s = NULL;
    EXPECT_OK(mongoauth_server_session_init_static(&session_mem, sizeof session_mem, &s, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("alice"), S("pencil"), SALT, sizeof SALT, &err));
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 7, &err));
    return s;
}

static mongoauth_credential cred(uint32_t mech, const char *user, const char *pass, const char *source) {
    mongoauth_credential c;
    c.mechanism = mech;
    c.username = (const uint8_t *)user;
    c.username_len = user ? strlen(user) : 0;
    c.password = (const uint8_t *)pass;
    c.password_len = pass ? strlen(pass) : 0;
    c.source = (const uint8_t *)source;
    c.source_len = source ? strlen(source) : 0;
    return c;
}

/* Run a login with BSON bodies against the session; the last status. */
static mongoauth_status run_bodies(mongoauth_authenticator *a, mongoauth_server_session *s) {
    bool done = false;
    int rounds = 0;
    mongoauth_status st = MONGOAUTH_STATUS_OK;
    while (!done && rounds++ < 6) {
        size_t n = 0, m = 0;
        st = mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err);
        if (st) return st;
        st = mongoauth_server_session_handle(s, buf, n, ENTROPY24, sizeof ENTROPY24, rep, sizeof rep, &m, &err);
        if (st) return st;
        st = mongoauth_authenticator_handle_reply(a, rep, m, &done, &err);
        if (st) return st;
    }
    return done ? MONGOAUTH_STATUS_OK : MONGOAUTH_STATUS_INTERNAL;
}

static void test_authenticator(void) {
    mongoauth_server_session *s = new_session();
    mongoauth_authenticator *a = NULL;
    mongoauth_credential c = cred(0, "alice", "pencil", "admin");
    size_t n = 0, n2 = 0;
    bool b = false;
    uint32_t mech = 9;

    EXPECT_OK(mongoauth_authenticator_init_static(&auth_mem, sizeof auth_mem, &a, &err));
    /* out of order: nothing started */
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, rep, 5, &b, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_mechanism(a, &mech, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    b = mongoauth_authenticator_is_authenticated(a);
    EXPECT(!b);
    /* bad starts */
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 24, &err), MONGOAUTH_STATUS_INVALID_NONCE);
    EXPECT_STATUS(mongoauth_authenticator_start(a, NULL, ENTROPY48, 48, &err), MONGOAUTH_STATUS_NULL_POINTER);
    c.mechanism = 99;
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    c.mechanism = MONGOAUTH_MECHANISM_GSSAPI; /* without mongoauth_authenticator_set_gss_host */
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_CREDENTIAL);
    c = cred(MONGOAUTH_MECHANISM_PLAIN, "alice", NULL, "$external");
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_CREDENTIAL);
    c = cred(0, "alice", "pen\xff", "admin");
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_UTF8);
    c = cred(0, "alice", "pencil", NULL);
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_CREDENTIAL);
    c = cred(0, (const char *)buf, "pencil", "admin");
    memset(buf, 'u', 600);
    c.username_len = 600;
    EXPECT_STATUS(mongoauth_authenticator_start(a, &c, ENTROPY48, 48, &err), MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);

    /* a login with BSON documents: size query, repeatable command */
    c = cred(0, "alice", "pencil", "admin");
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_STATUS(mongoauth_authenticator_command(a, NULL, 0, &n, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n > 50);
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, 10, &n2, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(n2 == n);
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, NULL, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_OK(run_bodies(a, s));
    b = mongoauth_authenticator_is_authenticated(a);
    EXPECT(b);
    EXPECT_OK(mongoauth_authenticator_mechanism(a, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    b = mongoauth_authenticator_used_speculative(a);
    EXPECT(b);
    b = mongoauth_server_session_is_authenticated(s);
    EXPECT(b);
    {
        uint8_t u[16], d[16];
        size_t un = 0, dn = 0;
        EXPECT_STATUS(mongoauth_server_session_user(s, u, 2, &un, d, sizeof d, &dn, &err), MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
        EXPECT(un == 5 && dn == 5);
        EXPECT_OK(mongoauth_server_session_user(s, u, sizeof u, &un, d, sizeof d, &dn, &err));
        EXPECT(text_is(u, un, "alice") && text_is(d, dn, "admin"));
    }
    /* after the login: nothing more */
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, rep, 5, &b, &err), MONGOAUTH_STATUS_BSON_MALFORMED);

    /* SCRAM-SHA-1, no speculation, hello instead of isMaster */
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 8, &err));
    EXPECT_OK(mongoauth_authenticator_set_speculative(a, false, &err));
    EXPECT_OK(mongoauth_authenticator_set_legacy_hello(a, false, &err));
    c.mechanism = MONGOAUTH_MECHANISM_SCRAM_SHA_1;
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_OK(run_bodies(a, s));
    EXPECT_OK(mongoauth_authenticator_mechanism(a, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_SCRAM_SHA_1);
    b = mongoauth_authenticator_used_speculative(a);
    EXPECT(!b);
    EXPECT_OK(mongoauth_authenticator_set_speculative(a, true, &err));
    EXPECT_OK(mongoauth_authenticator_set_legacy_hello(a, true, &err));

    /* wrong password: the server's code 18 */
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 9, &err));
    c = cred(0, "alice", "wrong", "admin");
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    memset(&err, 0, sizeof err);
    EXPECT_STATUS(run_bodies(a, s), MONGOAUTH_STATUS_AUTHENTICATION_FAILED);
    EXPECT(err.status == MONGOAUTH_STATUS_AUTHENTICATION_FAILED && err.server_code == 18);
    EXPECT(strstr(err.message, "18") != NULL);
    /* the message names the mechanism, user and database, never the password */
    EXPECT(strstr(err.message, "SCRAM-SHA-256") && strstr(err.message, "alice") && strstr(err.message, "admin"));
    EXPECT(strstr(err.message, "wrong") == NULL);
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    b = mongoauth_server_session_is_authenticated(s);
    EXPECT(!b);

    /* bad replies end the login */
    c = cred(0, "alice", "pencil", "admin");
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, (const uint8_t *)"\x05\0\0\0", 4, &b, &err),
                  MONGOAUTH_STATUS_BSON_MALFORMED);
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, NULL, 4, &b, &err), MONGOAUTH_STATUS_NULL_POINTER);
    /* {ok: 0, code: 13, errmsg: "x"} to the hello */
    {
        static const uint8_t failed[] = {0x22, 0, 0, 0, 0x01, 'o', 'k', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0x10, 'c', 'o', 'd', 'e', 0, 13, 0, 0, 0,
                                         0x02, 'e', 'r', 'r', 'm', 's', 'g', 0};
        static uint8_t doc[64];
        size_t len = 0;
        memcpy(doc, failed, sizeof failed);
        len = sizeof failed;
        doc[len++] = 2; doc[len++] = 0; doc[len++] = 0; doc[len++] = 0; doc[len++] = 'x'; doc[len++] = 0;
        doc[len++] = 0;
        doc[0] = (uint8_t)len;
        EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, doc, len, &b, &err), MONGOAUTH_STATUS_COMMAND_FAILED);
        EXPECT(err.server_code == 13);
    }
    /* an arbiter's hello {ismaster: true, arbiterOnly: true, ok: 1.0}: the
       handshake ends, never as a login */
    {
        static const uint8_t arbiter[] = {0x2a, 0, 0, 0,
                                          0x08, 'i', 's', 'm', 'a', 's', 't', 'e', 'r', 0, 1,
                                          0x08, 'a', 'r', 'b', 'i', 't', 'e', 'r', 'O', 'n', 'l', 'y', 0, 1,
                                          0x01, 'o', 'k', 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
                                          0};
        c = cred(0, "alice", "pencil", "admin");
        EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
        b = false;
        EXPECT_STATUS(mongoauth_authenticator_handle_reply(a, arbiter, sizeof arbiter, &b, &err),
                      MONGOAUTH_STATUS_NOT_AUTHENTICATED);
        EXPECT(b);
        b = mongoauth_authenticator_is_authenticated(a);
        EXPECT(!b);
    }
    EXPECT_STATUS(mongoauth_authenticator_command((const mongoauth_authenticator *)&uri_mem, buf, sizeof buf, &n, &err),
                  MONGOAUTH_STATUS_INVALID_OBJECT);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT(!mongoauth_authenticator_is_authenticated(a));
    EXPECT(!mongoauth_authenticator_used_speculative(a));
    EXPECT_STATUS(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err), MONGOAUTH_STATUS_OBJECT_FREED);
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
}

static void test_frames_and_uri_credential(void) {
    mongoauth_server_session *s = new_session();
    mongoauth_authenticator *a = NULL;
    mongoauth_uri *u = NULL;
    int32_t id = 100;
    bool done = false, b = false;
    int rounds = 0;
    size_t n = 0, m = 0;

    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));
    EXPECT_OK(mongoauth_authenticator_init_static(&auth_mem, sizeof auth_mem, &a, &err));
    EXPECT_STATUS(mongoauth_authenticator_start_uri(a, u, ENTROPY48, 48, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://localhost/"), &err));
    EXPECT_STATUS(mongoauth_authenticator_start_uri(a, u, ENTROPY48, 48, &err), MONGOAUTH_STATUS_INVALID_CREDENTIAL);
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://alice:pencil@localhost/?authSource=admin"), &err));
    EXPECT_STATUS(mongoauth_authenticator_start_uri(a, NULL, ENTROPY48, 48, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_OK(mongoauth_authenticator_start_uri(a, u, ENTROPY48, 48, &err));
    EXPECT_OK(mongoauth_uri_clear(u, &err)); /* the credential was copied */

    /* whole frames */
    while (!done && rounds++ < 6) {
        EXPECT_OK(mongoauth_authenticator_command_frame(a, id, buf, sizeof buf, &n, &err));
        EXPECT_OK(mongoauth_server_session_handle_frame(s, buf, n, ENTROPY24, sizeof ENTROPY24, 5, rep, sizeof rep, &m, &err));
        if (rounds == 1) {
            /* wrong responseTo, then a bad frame: the login keeps waiting */
            EXPECT_STATUS(mongoauth_authenticator_handle_reply_frame(a, rep, m, id + 1, &done, &err), MONGOAUTH_STATUS_PROTOCOL);
            EXPECT_STATUS(mongoauth_authenticator_handle_reply_frame(a, rep, m - 1, id, &done, &err), MONGOAUTH_STATUS_FRAME_MALFORMED);
            EXPECT_STATUS(mongoauth_authenticator_handle_reply_frame(a, rep, 3, id, &done, &err), MONGOAUTH_STATUS_FRAME_MALFORMED);
            rep[12] = 1; /* opCode */
            EXPECT_STATUS(mongoauth_authenticator_handle_reply_frame(a, rep, m, id, &done, &err), MONGOAUTH_STATUS_UNSUPPORTED_OPCODE);
            rep[12] = 0xdd;
        }
        EXPECT_OK(mongoauth_authenticator_handle_reply_frame(a, rep, m, id, &done, &err));
        id++;
    }
    EXPECT(done);
    b = mongoauth_authenticator_is_authenticated(a);
    EXPECT(b);

    /* session misuse */
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("bob"), S("x"), SALT, sizeof SALT, &err),
                  MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_server_session_handle(s, buf, n, ENTROPY24, 23, rep, sizeof rep, &m, &err),
                  MONGOAUTH_STATUS_INVALID_NONCE);
    EXPECT_STATUS(mongoauth_server_session_handle(s, (const uint8_t *)"\x05\0\0\0\0", 5, ENTROPY24, 24, rep, sizeof rep, &m, &err),
                  MONGOAUTH_STATUS_BSON_MALFORMED);
    EXPECT_STATUS(mongoauth_server_session_handle(s, (const uint8_t *)"\x09\0\0\0", 4, ENTROPY24, 24, rep, sizeof rep, &m, &err),
                  MONGOAUTH_STATUS_BSON_MALFORMED);
    EXPECT_STATUS(mongoauth_server_session_handle_frame(s, buf, 10, ENTROPY24, 24, 1, rep, sizeof rep, &m, &err),
                  MONGOAUTH_STATUS_FRAME_MALFORMED);
    EXPECT_OK(mongoauth_authenticator_command_frame(a, 1, buf, sizeof buf, &n, &err) == MONGOAUTH_STATUS_UNEXPECTED_STEP
                  ? MONGOAUTH_STATUS_OK : MONGOAUTH_STATUS_INTERNAL);
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 2, &err));
    {
        mongoauth_credential c = cred(0, "alice", "pencil", "admin");
        EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
        EXPECT_OK(mongoauth_authenticator_command_frame(a, 1, buf, sizeof buf, &n, &err));
        EXPECT_STATUS(mongoauth_server_session_handle_frame(s, buf, n, ENTROPY24, 24, 1, rep, 20, &m, &err),
                      MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
        EXPECT(m > 20);
    }
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
    EXPECT_STATUS(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 2, &err), MONGOAUTH_STATUS_OBJECT_FREED);
    /* a session needs start, 32 secret bytes, 28 salt bytes, at most MAX_USERS users */
    EXPECT_OK(mongoauth_server_session_init_static(&session_mem, sizeof session_mem, &s, &err));
    EXPECT_STATUS(mongoauth_server_session_handle(s, buf, n, ENTROPY24, 24, rep, sizeof rep, &m, &err),
                  MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_STATUS(mongoauth_server_session_start(s, SECRET, 31, 2, &err), MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("bob"), S("x"), SALT, 16, &err),
                  MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("bob"), S("\xff"), SALT, 28, &err),
                  MONGOAUTH_STATUS_INVALID_UTF8);
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("bob"), S("a\x7f"), SALT, 28, &err),
                  MONGOAUTH_STATUS_SASLPREP);
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S(""), S("bob"), S("x"), SALT, 28, &err),
                  MONGOAUTH_STATUS_INVALID_ARGUMENT);
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
#if defined(MONGOAUTH_FEATURE_ALLOC)
    {
        mongoauth_server_session *hs = NULL;
        mongoauth_authenticator *ha = NULL;
        EXPECT_OK(mongoauth_server_session_new(&hs, &err));
        EXPECT_STATUS(mongoauth_server_session_clear(hs, &err), MONGOAUTH_STATUS_WRONG_ALLOCATION);
        EXPECT_OK(mongoauth_server_session_free(hs));
        EXPECT_OK(mongoauth_authenticator_new(&ha, &err));
        EXPECT_OK(mongoauth_authenticator_free(ha));
        EXPECT_STATUS(mongoauth_authenticator_free(a), MONGOAUTH_STATUS_OBJECT_FREED);
    }
#endif
}

/* A server that drips one byte per read (a valid header announcing 1000
   bytes, then zeros) and a clock that ticks once per look. */
typedef struct {
    size_t pos;
    uint64_t now_ms;
} drip;

static ptrdiff_t drip_read(void *ctx, uint8_t *out, size_t len) {
    static const uint8_t header[16] = {0xe8, 0x03, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xdd, 0x07, 0, 0};
    drip *d = ctx;
    (void)len;
    out[0] = d->pos < sizeof header ? header[d->pos] : 0;
    d->pos++;
    return 1;
}

static ptrdiff_t drip_write(void *ctx, const uint8_t *in, size_t len) {
    (void)ctx;
    (void)in;
    return (ptrdiff_t)len;
}

static uint64_t drip_clock(void *ctx) {
    return ((drip *)ctx)->now_ms++;
}

static void test_handshake(void) {
    static mem_pipe pipe;
    mongoauth_server_session *s = new_session();
    mongoauth_authenticator *a = NULL;
    mongoauth_credential c = cred(0, "alice", "pencil", "admin");
    static mongoauth_key_cache cache_mem;
    mongoauth_key_cache *cache = NULL;
    bool b = false;

    memset(&pipe, 0, sizeof pipe);
    pipe.server = s;
    pipe.entropy = fill;
    EXPECT_OK(mongoauth_key_cache_init_static(&cache_mem, sizeof cache_mem, &cache, &err));
    EXPECT_OK(mongoauth_authenticator_init_static(&auth_mem, sizeof auth_mem, &a, &err));
    EXPECT_OK(mongoauth_authenticator_set_key_cache(a, cache, &err));
    EXPECT_STATUS(mongoauth_authenticator_set_key_cache(a, (mongoauth_key_cache *)&uri_mem, &err), MONGOAUTH_STATUS_INVALID_OBJECT);
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err),
                  MONGOAUTH_STATUS_UNEXPECTED_STEP);
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, NULL, mem_pipe_write, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, NULL, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, NULL, 0, &err), MONGOAUTH_STATUS_NULL_POINTER);
    EXPECT_OK(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err));
    b = mongoauth_authenticator_is_authenticated(a);
    EXPECT(b);
    /* again: the cache skips PBKDF2; same result */
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 3, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_OK(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err));
    /* failing callbacks and a closing peer */
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 4, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    pipe.fail_read = -5;
    memset(&err, 0, sizeof err);
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_IO);
    EXPECT(strstr(err.message, "-5") != NULL);
    pipe.fail_read = 0;
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 4, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    pipe.write_zero = 1;
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_IO);
    pipe.write_zero = 0;
    pipe.fail_write = -1;
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_IO);
    pipe.fail_write = 0;
    pipe.eof_after_request = 1;
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err), MONGOAUTH_STATUS_UNEXPECTED_EOF);
    pipe.eof_after_request = 0;
    /* a buffer too small for the reply */
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 5, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    {
        mongoauth_status st = mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, 200, &err);
        EXPECT(st == MONGOAUTH_STATUS_BUFFER_TOO_SMALL || st == MONGOAUTH_STATUS_MESSAGE_TOO_LARGE);
    }
    /* wrong password over the handshake */
    pipe.rep_len = pipe.rep_off = pipe.req_len = 0;
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 6, &err));
    c = cred(0, "alice", "wrong", "admin");
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    memset(&err, 0, sizeof err);
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &pipe, buf, sizeof buf, &err),
                  MONGOAUTH_STATUS_AUTHENTICATION_FAILED);
    EXPECT(err.server_code == 18);
    /* a server dripping bytes: the overall deadline ends the handshake */
    {
        drip d = {0, 0};
        c = cred(0, "alice", "pencil", "admin");
        EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
        EXPECT_STATUS(mongoauth_authenticator_handshake_until(a, drip_read, drip_write, NULL, &d, 500, buf, sizeof buf, &err),
                      MONGOAUTH_STATUS_NULL_POINTER);
        EXPECT_STATUS(mongoauth_authenticator_handshake_until(a, drip_read, drip_write, drip_clock, &d, 500, buf, sizeof buf, &err),
                      MONGOAUTH_STATUS_TIMEOUT);
        EXPECT(d.pos > 16 && d.pos < 1000);
        b = mongoauth_authenticator_is_authenticated(a);
        EXPECT(!b);
    }
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT_OK(mongoauth_key_cache_clear(cache, &err));
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
}

static void test_capacity(void) {
    mongoauth_server_session *s = NULL;
    EXPECT_OK(mongoauth_server_session_init_static(&session_mem, sizeof session_mem, &s, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("u1"), S("p"), SALT, 28, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("u2"), S("p"), SALT, 28, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("u3"), S("p"), SALT, 28, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("u4"), S("p"), SALT, 28, &err));
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("u5"), S("p"), SALT, 28, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
}

/* The session holds no pointer into itself (issue #11): move it to the
 * other buffer with memcpy after every request and scribble over the old
 * bytes, and the login still completes, for both SCRAM mechanisms and for a
 * refused password. */
static mongoauth_server_session move_mem[2];

static void test_session_moves(void) {
    mongoauth_server_session *s = NULL;
    mongoauth_authenticator *a = NULL;
    mongoauth_credential c;
    uint32_t mechs[2] = {MONGOAUTH_MECHANISM_SCRAM_SHA_1, MONGOAUTH_MECHANISM_SCRAM_SHA_256};
    int i, at = 0;
    bool b = false;

    EXPECT_OK(mongoauth_server_session_init_static(&move_mem[0], sizeof move_mem[0], &s, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("alice"), S("pencil"), SALT, sizeof SALT, &err));
    EXPECT_OK(mongoauth_authenticator_init_static(&auth_mem, sizeof auth_mem, &a, &err));
    for (i = 0; i < 3; i++) {
        bool done = false;
        int rounds = 0;
        mongoauth_status st = MONGOAUTH_STATUS_OK;
        c = cred(i < 2 ? mechs[i] : 0, "alice", i < 2 ? "pencil" : "wrong", "admin");
        EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, 20 + i, &err));
        EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
        while (!done && rounds++ < 6 && st == MONGOAUTH_STATUS_OK) {
            size_t n = 0, m = 0;
            EXPECT_OK(mongoauth_authenticator_command(a, buf, sizeof buf, &n, &err));
            EXPECT_OK(mongoauth_server_session_handle(s, buf, n, ENTROPY24, sizeof ENTROPY24, rep, sizeof rep, &m, &err));
            /* move: copy to the other buffer, scribble over the old one */
            memcpy(&move_mem[1 - at], &move_mem[at], sizeof move_mem[0]);
            memset(&move_mem[at], 0xa5, sizeof move_mem[0]);
            at = 1 - at;
            s = &move_mem[at];
            st = mongoauth_authenticator_handle_reply(a, rep, m, &done, &err);
        }
        if (i < 2) {
            EXPECT(st == MONGOAUTH_STATUS_OK && done);
            b = mongoauth_server_session_is_authenticated(s);
            EXPECT(b);
        } else {
            EXPECT(st == MONGOAUTH_STATUS_AUTHENTICATION_FAILED && err.server_code == 18);
            b = mongoauth_server_session_is_authenticated(s);
            EXPECT(!b);
        }
    }
    /* the scribbled old copy is not a session any more */
    EXPECT(!mongoauth_server_session_is_authenticated(&move_mem[1 - at]));
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
}

int main(void) {
    fill(ENTROPY48, sizeof ENTROPY48);
    fill(ENTROPY24, sizeof ENTROPY24);
    fill(SALT, sizeof SALT);
    fill(SECRET, sizeof SECRET);
    EXPECT(MONGOAUTH_ERROR_SIZE == sizeof(mongoauth_error));
    test_uri_good();
    test_uri_other();
    test_uri_misuse();
    test_uri_encode();
    test_authenticator();
    test_frames_and_uri_credential();
    test_handshake();
    test_capacity();
    test_session_moves();
    return check_report();
}

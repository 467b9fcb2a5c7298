/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a careless caller can do to an object, and what it gets back:
 *
 *   busy          a call on the authenticator (every function that takes it) or
 *                 on its key cache from inside mongoauth_authenticator_handshake's own
 *                 read/write callbacks is MONGOAUTH_STATUS_BUSY; the handshake
 *                 still completes, and the objects are usable again once it
 *                 returns (also after a failure).
 *   freed         every object type in caller memory, used after _clear or
 *                 cleared twice, is MONGOAUTH_STATUS_OBJECT_FREED (distinct from
 *                 INVALID_OBJECT for memory that never held one); _init_static
 *                 brings it back. (Heap objects: use after _free is undefined,
 *                 as after free(), and not exercised.)
 *   lengths       a huge length over a short heap buffer is refused with
 *                 MONGOAUTH_STATUS_CAPACITY before any byte is read (ASan
 *                 would report the over-read otherwise).
 *   shared_cache  two authenticators, one key cache, logins interleaved step
 *                 by step on one thread.
 *   lengths_all   the same length rule for the functions of client.rs, auth.rs,
 *                 session.rs, server.rs, mechanism.rs and uri.rs.
 *
 *   objects              the default cases
 *   objects CASE...      the named cases
 */
#include <stdint.h>
#include <stdlib.h>

#include "mongoauth.h"
#include "check.h"
#include "pipe.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)
#define DEFAULT_CASES "busy freed lengths shared_cache lengths_all"
#define HUGE ((size_t)1 << 20)

static mongoauth_error err;
static uint8_t ENTROPY24[MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES];
static uint8_t ENTROPY48[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
static uint8_t SALT[MONGOAUTH_SERVER_SESSION_SALT_BYTES];
static uint8_t SECRET[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];
static uint8_t buf[4096];

static void fill(uint8_t *out, size_t len) {
    static uint32_t x = 0x2545F491u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

static mongoauth_credential cred(const char *user, const char *pass) {
    mongoauth_credential c;
    memset(&c, 0, sizeof c);
    c.username = (const uint8_t *)user;
    c.username_len = strlen(user);
    c.password = (const uint8_t *)pass;
    c.password_len = strlen(pass);
    c.source = (const uint8_t *)"admin";
    c.source_len = 5;
    return c;
}

static mongoauth_server_session *new_session(mongoauth_server_session *mem, int64_t id) {
    mongoauth_server_session *s = NULL;
    EXPECT_OK(mongoauth_server_session_init_static(mem, sizeof *mem, &s, &err));
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("alice"), S("pencil"), SALT, sizeof SALT, &err));
    EXPECT_OK(mongoauth_server_session_start(s, SECRET, sizeof SECRET, id, &err));
    return s;
}

/* ---- busy ----------------------------------------------------------------- */

typedef struct {
    mem_pipe pipe;
    mongoauth_authenticator *auth;
    mongoauth_uri *uri;
    mongoauth_key_cache *cache;
    int heap;          /* the authenticator is a heap object: probe _free too */
    int probes;        /* callbacks that ran the probes */
    int busy_seen;     /* calls that returned BUSY */
    int wrong;         /* calls that returned anything else */
} busy_ctx;

/* Every function that takes the authenticator, called from inside its own
   handshake: each must be refused with BUSY and change nothing. */
static void probe(busy_ctx *b) {
    mongoauth_authenticator *a = b->auth;
    mongoauth_error e;
    mongoauth_credential c = cred("alice", "pencil");
    uint8_t local[64];
    size_t n = 0;
    bool flag = false;
    uint32_t mech = 0;
    mongoauth_status got[20];
    int k = 0, i;

    memset(&e, 0, sizeof e);
    memset(local, 0, sizeof local);
    got[k++] = mongoauth_authenticator_command(a, local, sizeof local, &n, &e);
    got[k++] = mongoauth_authenticator_command_frame(a, 7, local, sizeof local, &n, NULL);
    got[k++] = mongoauth_authenticator_handle_reply(a, local, 5, &flag, NULL);
    got[k++] = mongoauth_authenticator_handle_reply_frame(a, local, 16, 7, &flag, NULL);
    /* the predicates answer false for a busy object */
    got[k++] = mongoauth_authenticator_is_authenticated(a) ? MONGOAUTH_STATUS_OK : MONGOAUTH_STATUS_BUSY;
    got[k++] = mongoauth_authenticator_mechanism(a, &mech, NULL);
    got[k++] = mongoauth_authenticator_used_speculative(a) ? MONGOAUTH_STATUS_OK : MONGOAUTH_STATUS_BUSY;
    got[k++] = mongoauth_authenticator_set_max_iterations(a, 5000, NULL);
    got[k++] = mongoauth_authenticator_set_speculative(a, false, NULL);
    got[k++] = mongoauth_authenticator_set_legacy_hello(a, false, NULL);
    got[k++] = mongoauth_authenticator_set_key_cache(a, b->cache, NULL);
    got[k++] = mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, NULL);
    got[k++] = mongoauth_authenticator_start_uri(a, b->uri, ENTROPY48, sizeof ENTROPY48, NULL);
    got[k++] = mongoauth_authenticator_handshake(a, mem_pipe_read, mem_pipe_write, &b->pipe, local, sizeof local, NULL);
    /* the key cache the login uses is lent out with it */
    got[k++] = mongoauth_key_cache_purge(b->cache, NULL);
    got[k++] = mongoauth_key_cache_len(b->cache, &n, NULL);
    if (b->heap) {
#if defined(MONGOAUTH_FEATURE_ALLOC)
        got[k++] = mongoauth_authenticator_free(a);
        got[k++] = mongoauth_authenticator_clear(a, NULL); /* busy beats WRONG_ALLOCATION */
#endif
    } else {
        got[k++] = mongoauth_authenticator_clear(a, NULL);
#if defined(MONGOAUTH_FEATURE_ALLOC)
        got[k++] = mongoauth_authenticator_free(a); /* busy beats WRONG_ALLOCATION */
#endif
    }
    for (i = 0; i < k; i++) {
        if (got[i] == MONGOAUTH_STATUS_BUSY) {
            b->busy_seen++;
        } else {
            b->wrong++;
            fprintf(stderr, "probe %d inside the callback returned %s, expected BUSY\n", i,
                    mongoauth_status_name(got[i]));
        }
    }
    EXPECT(e.status == MONGOAUTH_STATUS_BUSY && strstr(e.message, "authenticator") != NULL);
    b->probes++;
}

static ptrdiff_t busy_read(void *ctx, uint8_t *out, size_t len) {
    busy_ctx *b = (busy_ctx *)ctx;
    probe(b);
    return mem_pipe_read(&b->pipe, out, len);
}

static ptrdiff_t busy_write(void *ctx, const uint8_t *in, size_t len) {
    busy_ctx *b = (busy_ctx *)ctx;
    probe(b);
    return mem_pipe_write(&b->pipe, in, len);
}

static void busy_login(mongoauth_authenticator *a, int heap) {
    static busy_ctx b;
    static mongoauth_server_session smem;
    static mongoauth_uri umem;
    static mongoauth_key_cache kmem;
    mongoauth_credential c = cred("alice", "pencil");
    bool ok = false;
    uint32_t mech = 0;

    memset(&b, 0, sizeof b);
    b.pipe.server = new_session(&smem, 11);
    b.pipe.entropy = fill;
    b.auth = a;
    b.heap = heap;
    EXPECT_OK(mongoauth_uri_init_static(&umem, sizeof umem, &b.uri, &err));
    EXPECT_OK(mongoauth_uri_parse(b.uri, S("mongodb://alice:pencil@h/?authSource=admin"), &err));
    EXPECT_OK(mongoauth_key_cache_init_static(&kmem, sizeof kmem, &b.cache, &err));

    EXPECT_OK(mongoauth_authenticator_set_key_cache(a, b.cache, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    EXPECT_OK(mongoauth_authenticator_handshake(a, busy_read, busy_write, &b, buf, sizeof buf, &err));
    EXPECT(b.probes >= 4 && b.wrong == 0 && b.busy_seen >= 4 * 17);
    {
        /* the cache was used (PBKDF2 result stored) and is free again */
        size_t cached = 0;
        EXPECT_OK(mongoauth_key_cache_len(b.cache, &cached, &err));
        EXPECT(cached == 1);
    }
    /* the probes changed nothing, and the object is free again */
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(ok);
    EXPECT_OK(mongoauth_authenticator_mechanism(a, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    ok = mongoauth_authenticator_used_speculative(a);
    EXPECT(ok); /* set_speculative(false) inside was refused */

    /* a failing handshake gives the object back too */
    EXPECT_OK(mongoauth_server_session_start(b.pipe.server, SECRET, sizeof SECRET, 12, &err));
    EXPECT_OK(mongoauth_authenticator_start(a, &c, ENTROPY48, sizeof ENTROPY48, &err));
    b.pipe.fail_read = -9;
    EXPECT_STATUS(mongoauth_authenticator_handshake(a, busy_read, busy_write, &b, buf, sizeof buf, &err), MONGOAUTH_STATUS_IO);
    b.pipe.fail_read = 0;
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(!ok);
    EXPECT_OK(mongoauth_authenticator_set_key_cache(a, NULL, &err));
    EXPECT_OK(mongoauth_key_cache_purge(b.cache, &err));

    EXPECT_OK(mongoauth_server_session_clear(b.pipe.server, &err));
    EXPECT_OK(mongoauth_uri_clear(b.uri, &err));
    EXPECT_OK(mongoauth_key_cache_clear(b.cache, &err));
}

static void case_busy(void) {
    static mongoauth_authenticator amem;
    mongoauth_authenticator *a = NULL;
    EXPECT_OK(mongoauth_authenticator_init_static(&amem, sizeof amem, &a, &err));
    busy_login(a, 0);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
#if defined(MONGOAUTH_FEATURE_ALLOC)
    EXPECT_OK(mongoauth_authenticator_new(&a, &err));
    busy_login(a, 1);
    EXPECT_OK(mongoauth_authenticator_free(a));
#endif
}

/* ---- freed ---------------------------------------------------------------- */

/* After _clear only the 8-byte tombstone is left; every other byte is zero. */
static int wiped(const void *obj, size_t size) {
    const uint8_t *p = (const uint8_t *)obj;
    size_t i;
    for (i = 8; i < size; i++)
        if (p[i] != 0) return 0;
    return 1;
}

#if defined(MONGOAUTH_FEATURE_ALLOC)
#define FREE_IS(call, want) EXPECT_STATUS(call, want)
#else
#define FREE_IS(call, want) ((void)0)
#endif

/* One object type: X is the name infix, PROBE(obj) a call that takes it. */
#define FREED_CASE(T, X, PROBE)                                                                   \
    do {                                                                                          \
        static T mem_;                                                                            \
        T *o = NULL;                                                                              \
        memset(&mem_, 0, sizeof mem_);                                                            \
        EXPECT_STATUS(PROBE(&mem_), MONGOAUTH_STATUS_INVALID_OBJECT); /* never initialised */    \
        EXPECT_OK(mongoauth_##X##_init_static(&mem_, sizeof mem_, &o, &err));                     \
        EXPECT_OK(PROBE(o));                                                                      \
        EXPECT_OK(mongoauth_##X##_clear(o, &err));                                                \
        EXPECT(wiped(&mem_, sizeof mem_));                                                        \
        memset(&err, 0, sizeof err);                                                              \
        EXPECT_STATUS(PROBE(o), MONGOAUTH_STATUS_OBJECT_FREED);                                   \
        EXPECT(err.status == MONGOAUTH_STATUS_OBJECT_FREED && strstr(err.message, "cleared"));   \
        EXPECT_STATUS(mongoauth_##X##_clear(o, &err), MONGOAUTH_STATUS_OBJECT_FREED);             \
        FREE_IS(mongoauth_##X##_free(o), MONGOAUTH_STATUS_OBJECT_FREED);                          \
        EXPECT_OK(mongoauth_##X##_init_static(&mem_, sizeof mem_, &o, &err));                     \
        EXPECT_OK(PROBE(o));                                                                      \
        EXPECT_OK(mongoauth_##X##_clear(o, &err));                                                \
    } while (0)

static bool flag_;
static size_t size_;
/* Each probe is a status-returning call that succeeds on a fresh object (the
   predicates answer bool, without the reason). */
static mongoauth_status probe_client(mongoauth_scram_client *c) {
    return mongoauth_scram_client_set_max_iterations(c, MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS, &err);
}
static mongoauth_status probe_server(mongoauth_scram_server *s) {
    return mongoauth_scram_server_start(s, MONGOAUTH_MECHANISM_SCRAM_SHA_256, &err);
}
static mongoauth_status probe_cache(const mongoauth_key_cache *k) {
    return mongoauth_key_cache_len(k, &size_, &err);
}
static mongoauth_status probe_uri(mongoauth_uri *u) {
    return mongoauth_uri_parse(u, S("mongodb://h"), &err);
}
static mongoauth_status probe_auth(mongoauth_authenticator *a) {
    return mongoauth_authenticator_set_max_iterations(a, MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS, &err);
}
static mongoauth_status probe_session(mongoauth_server_session *s) {
    return mongoauth_server_session_start(s, S("0123456789abcdef0123456789abcdef"), 1, &err);
}

static void case_freed(void) {
    FREED_CASE(mongoauth_scram_client, scram_client, probe_client);
    FREED_CASE(mongoauth_scram_server, scram_server, probe_server);
    FREED_CASE(mongoauth_key_cache, key_cache, probe_cache);
    FREED_CASE(mongoauth_uri, uri, probe_uri);
    FREED_CASE(mongoauth_authenticator, authenticator, probe_auth);
    FREED_CASE(mongoauth_server_session, server_session, probe_session);
    /* one type's tombstone is not another type's object */
    {
        static mongoauth_scram_client cm;
        mongoauth_scram_client *c = NULL;
        EXPECT_OK(mongoauth_scram_client_init_static(&cm, sizeof cm, &c, &err));
        EXPECT_OK(mongoauth_scram_client_clear(c, &err));
        EXPECT_STATUS(probe_server((mongoauth_scram_server *)(void *)&cm), MONGOAUTH_STATUS_INVALID_OBJECT);
    }
#if defined(MONGOAUTH_FEATURE_ALLOC)
    {
        /* heap objects: _new, use, _free; _clear on them stays refused */
        mongoauth_scram_client *h = NULL;
        EXPECT_OK(mongoauth_scram_client_new(&h, &err));
        EXPECT_OK(probe_client(h));
        EXPECT_STATUS(mongoauth_scram_client_clear(h, &err), MONGOAUTH_STATUS_WRONG_ALLOCATION);
        EXPECT_OK(mongoauth_scram_client_free(h));
    }
#endif
}

/* ---- lengths -------------------------------------------------------------- */

static void case_lengths(void) {
    /* an 8-byte heap buffer: ASan reports any read past it */
    uint8_t *shortbuf = (uint8_t *)malloc(8);
    mongoauth_scram_credentials creds;
    EXPECT(shortbuf != NULL);
    if (!shortbuf) return;
    memcpy(shortbuf, "pencil!!", 8);
    memset(&err, 0, sizeof err);
    EXPECT_STATUS(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("user"), shortbuf, HUGE,
                                                       S("0123456789abcdef"), 4096, &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT(strstr(err.message, "password") != NULL);
    EXPECT_STATUS(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, shortbuf, HUGE, S("pencil"),
                                                       S("0123456789abcdef"), 4096, &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT(strstr(err.message, "username") != NULL);
    EXPECT_STATUS(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("user"), S("pencil"),
                                                       shortbuf, HUGE, 4096, &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_scram_credentials_decoy(MONGOAUTH_MECHANISM_SCRAM_SHA_256, shortbuf, HUGE, S("user"),
                                                    &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_scram_credentials_decoy(MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("secret"), shortbuf, HUGE,
                                                    &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    /* one past the limit is refused, the limit itself is not a length error */
    EXPECT_STATUS(mongoauth_scram_credentials_decoy(MONGOAUTH_MECHANISM_SCRAM_SHA_256, buf,
                                                    MONGOAUTH_SCRAM_MAX_SECRET_BYTES + 1, S("user"), &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_scram_credentials_decoy(MONGOAUTH_MECHANISM_SCRAM_SHA_256, buf, MONGOAUTH_SCRAM_MAX_SECRET_BYTES,
                                                S("user"), &creds, &err));
    memset(buf, 'p', MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES + 1);
    EXPECT_STATUS(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("user"), buf,
                                                       MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES + 1, S("0123456789abcdef"),
                                                       4096, &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    /* the limit is checked first: a NULL pointer with a huge length is a
       length error too */
    EXPECT_STATUS(mongoauth_scram_credentials_generate(MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("user"), NULL, HUGE,
                                                       S("0123456789abcdef"), 4096, &creds, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_memory_zero(&creds, sizeof creds));
    free(shortbuf);
}

/* The same rule for the functions other files own: enabled after the merge. */
static void case_lengths_all(void) {
    static mongoauth_scram_client cm;
    static mongoauth_authenticator am;
    static mongoauth_server_session sm;
    static mongoauth_uri um;
    mongoauth_scram_client *c = NULL;
    mongoauth_authenticator *a = NULL;
    mongoauth_server_session *s = NULL;
    mongoauth_uri *u = NULL;
    mongoauth_credential k;
    uint8_t *shortbuf = (uint8_t *)malloc(8);
    EXPECT(shortbuf != NULL);
    if (!shortbuf) return;
    memcpy(shortbuf, "pencil!!", 8);
    EXPECT_OK(mongoauth_scram_client_init_static(&cm, sizeof cm, &c, &err));
    EXPECT_STATUS(mongoauth_scram_client_start(c, MONGOAUTH_MECHANISM_SCRAM_SHA_256, S("user"), shortbuf, HUGE,
                                               ENTROPY24, sizeof ENTROPY24, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_scram_client_start(c, MONGOAUTH_MECHANISM_SCRAM_SHA_256, shortbuf, HUGE, S("pencil"),
                                               ENTROPY24, sizeof ENTROPY24, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_scram_client_clear(c, &err));
    EXPECT_OK(mongoauth_authenticator_init_static(&am, sizeof am, &a, &err));
    k = cred("alice", "x");
    k.password = shortbuf;
    k.password_len = HUGE;
    EXPECT_STATUS(mongoauth_authenticator_start(a, &k, ENTROPY48, sizeof ENTROPY48, &err), MONGOAUTH_STATUS_CAPACITY);
    k = cred("alice", "pencil");
    k.username = shortbuf;
    k.username_len = HUGE;
    EXPECT_STATUS(mongoauth_authenticator_start(a, &k, ENTROPY48, sizeof ENTROPY48, &err), MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT_OK(mongoauth_server_session_init_static(&sm, sizeof sm, &s, &err));
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), S("bob"), shortbuf, HUGE, SALT, sizeof SALT, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_server_session_add_user(s, S("admin"), shortbuf, HUGE, S("pw"), SALT, sizeof SALT, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
    EXPECT_OK(mongoauth_uri_init_static(&um, sizeof um, &u, &err));
    EXPECT_STATUS(mongoauth_uri_parse(u, shortbuf, (size_t)1 << 30, &err), MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://h"), &err));
    EXPECT_STATUS(mongoauth_uri_option(u, shortbuf, HUGE, buf, sizeof buf, &size_, &flag_, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_OK(mongoauth_uri_clear(u, &err));
    free(shortbuf);
}

/* ---- shared_cache --------------------------------------------------------- */

/*
 * Two authenticators share one key cache; their logins are interleaved step
 * by step on one thread (the documented rule: one call at a time on the
 * cache and on every authenticator that uses it).
 */
static void case_shared_cache(void) {
    static mongoauth_authenticator am[2];
    static mongoauth_server_session sm[2];
    static mongoauth_key_cache km;
    static uint8_t rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    mongoauth_authenticator *a[2];
    mongoauth_server_session *s[2];
    mongoauth_key_cache *k = NULL;
    mongoauth_credential c = cred("alice", "pencil");
    bool done[2], ok;
    size_t cached = 0;
    int round, i, login;

    EXPECT_OK(mongoauth_key_cache_init_static(&km, sizeof km, &k, &err));
    for (i = 0; i < 2; i++) {
        EXPECT_OK(mongoauth_authenticator_init_static(&am[i], sizeof am[i], &a[i], &err));
        EXPECT_OK(mongoauth_authenticator_set_key_cache(a[i], k, &err));
    }
    for (login = 0; login < 2; login++) {
        for (i = 0; i < 2; i++) {
            s[i] = new_session(&sm[i], 20 + i);
            fill(ENTROPY48, sizeof ENTROPY48);
            EXPECT_OK(mongoauth_authenticator_start(a[i], &c, ENTROPY48, sizeof ENTROPY48, &err));
            done[i] = false;
        }
        for (round = 0; round < 6 && !(done[0] && done[1]); round++) {
            for (i = 0; i < 2; i++) {
                size_t n = 0, m = 0;
                if (done[i]) continue;
                EXPECT_OK(mongoauth_authenticator_command(a[i], buf, sizeof buf, &n, &err));
                fill(ENTROPY24, sizeof ENTROPY24);
                EXPECT_OK(mongoauth_server_session_handle(s[i], buf, n, ENTROPY24, sizeof ENTROPY24, rep, sizeof rep,
                                                          &m, &err));
                EXPECT_OK(mongoauth_authenticator_handle_reply(a[i], rep, m, &done[i], &err));
            }
        }
        for (i = 0; i < 2; i++) {
            ok = false;
            EXPECT(done[i]);
            ok = mongoauth_authenticator_is_authenticated(a[i]);
            EXPECT(ok);
            EXPECT_OK(mongoauth_server_session_clear(s[i], &err));
        }
        /* one user, one salt, one iteration count: one entry, shared */
        EXPECT_OK(mongoauth_key_cache_len(k, &cached, &err));
        EXPECT(cached == 1);
    }
    for (i = 0; i < 2; i++) EXPECT_OK(mongoauth_authenticator_clear(a[i], &err));
    EXPECT_OK(mongoauth_key_cache_clear(k, &err));
}

static const struct {
    const char *name;
    void (*run)(void);
} CASES[] = {
    {"busy", case_busy},
    {"freed", case_freed},
    {"lengths", case_lengths},
    {"shared_cache", case_shared_cache},
    {"lengths_all", case_lengths_all},
};

static void run_case(const char *name) {
    size_t i;
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        if (strcmp(CASES[i].name, name) == 0) {
            int before = check_failed;
            CASES[i].run();
            printf("%s %s\n", check_failed == before ? "ok  " : "FAIL", name);
            return;
        }
    }
    fprintf(stderr, "unknown case %s\n", name);
    check_failed++;
}

int main(int argc, char **argv) {
    fill(ENTROPY24, sizeof ENTROPY24);
    fill(ENTROPY48, sizeof ENTROPY48);
    fill(SALT, sizeof SALT);
    fill(SECRET, sizeof SECRET);
    if (argc > 1) {
        int i;
        for (i = 1; i < argc; i++) run_case(argv[i]);
    } else {
        char list[] = DEFAULT_CASES;
        char *name = strtok(list, " ");
        while (name) {
            run_case(name);
            name = strtok(NULL, " ");
        }
    }
    return check_report();
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every C object type is movable between calls: after EVERY step of a
 * conversation the object is memcpy'd to a new address and its old bytes
 * are scribbled with 0xA5, and the login still completes (under ASan+UBSan
 * and valgrind too: c-tests.sh runs this plain and under both). The old
 * address is then garbage: a call on it must be refused as INVALID_OBJECT.
 *
 *   move                 every case (DEFAULT_CASES)
 *   move CASE...         the named cases: scram_client scram_server
 *                        key_cache uri authenticator session
 *
 * The authenticator and the server session own their state (no pointer
 * into themselves), so they move like the others.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mongoauth.h"
#include "check.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)
#define DEFAULT_CASES "scram_client scram_server key_cache uri authenticator session"

/* Two aligned homes per object; each move goes to the other one. */
#define HOME_BYTES (80 * 1024) /* the largest object: a 64 KiB connection string */
typedef union {
    uint64_t align;
    uint8_t bytes[HOME_BYTES];
} home;

typedef struct {
    home at[2];
    int which;
    size_t size;
    int moves;
} mover;

static mongoauth_error err;

/* Move the object to the other home and scribble its old bytes. */
static void *move(mover *m, void *obj) {
    void *to = m->at[1 - m->which].bytes;
    EXPECT(obj == m->at[m->which].bytes);
    memcpy(to, obj, m->size);
    memset(obj, 0xA5, m->size);
    m->which = 1 - m->which;
    m->moves++;
    return to;
}

static void *place(mover *m, size_t size) {
    EXPECT(size <= HOME_BYTES);
    m->which = 0;
    m->size = size;
    m->moves = 0;
    return m->at[0].bytes;
}

static uint8_t entropy24[MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES];
static uint8_t entropy48[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
static uint8_t salt28[MONGOAUTH_SERVER_SESSION_SALT_BYTES];
static uint8_t secret32[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];

static void fill(uint8_t *out, size_t len) {
    static uint32_t x = 0x9E3779B9u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
}

/* ---- SCRAM client, SCRAM server, key cache: one conversation ------------- */

/* Which of the three objects to move after each step. */
enum { MOVE_CLIENT = 1, MOVE_SERVER = 2, MOVE_CACHE = 4 };

static mover client_home, server_home, cache_home;

static void scram_conversation(int what, uint32_t mech) {
    mongoauth_scram_client *c = NULL;
    mongoauth_scram_server *s = NULL;
    mongoauth_key_cache *k = NULL;
    mongoauth_scram_credentials creds;
    uint8_t msg[MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES], name[MONGOAUTH_SCRAM_MAX_USERNAME_BYTES];
    size_t n = 0, nn = 0, cached = 0;
    bool done = true, ok = false;
    int login;
    void *old;

#define STEP()                                                          \
    do {                                                                \
        if (what & MOVE_CLIENT) c = move(&client_home, c);              \
        if (what & MOVE_SERVER) s = move(&server_home, s);              \
        if (what & MOVE_CACHE) k = move(&cache_home, k);                \
    } while (0)

    EXPECT_OK(mongoauth_scram_credentials_generate(mech, S("user"), S("pencil"), S("0123456789abcdef"), 4096,
                                                   &creds, &err));
    EXPECT_OK(mongoauth_scram_client_init_static(place(&client_home, MONGOAUTH_SCRAM_CLIENT_SIZE),
                                                 MONGOAUTH_SCRAM_CLIENT_SIZE, &c, &err));
    EXPECT_OK(mongoauth_scram_server_init_static(place(&server_home, MONGOAUTH_SCRAM_SERVER_SIZE),
                                                 MONGOAUTH_SCRAM_SERVER_SIZE, &s, &err));
    EXPECT_OK(mongoauth_key_cache_init_static(place(&cache_home, MONGOAUTH_KEY_CACHE_SIZE),
                                              MONGOAUTH_KEY_CACHE_SIZE, &k, &err));
    STEP();
    /* twice: the second login is a cache hit */
    for (login = 0; login < 2; login++) {
        fill(entropy24, sizeof entropy24);
        EXPECT_OK(mongoauth_scram_client_start(c, mech, S("user"), S("pencil"), entropy24, sizeof entropy24, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_start(s, mech, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_client_message(c, msg, sizeof msg, &n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_handle_client_first(s, msg, n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_username(s, name, sizeof name, &nn, &err));
        EXPECT(nn == 4 && memcmp(name, "user", 4) == 0);
        STEP();
        fill(entropy24, sizeof entropy24);
        EXPECT_OK(mongoauth_scram_server_respond(s, &creds, entropy24, sizeof entropy24, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_message(s, msg, sizeof msg, &n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_client_step(c, msg, n, k, &done, &err));
        EXPECT(!done);
        STEP();
        EXPECT_OK(mongoauth_scram_client_message(c, msg, sizeof msg, &n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_handle_client_final(s, msg, n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_server_message(s, msg, sizeof msg, &n, &err));
        STEP();
        EXPECT_OK(mongoauth_scram_client_step(c, msg, n, k, &done, &err));
        EXPECT(done);
        STEP();
        ok = mongoauth_scram_client_is_authenticated(c);
        EXPECT(ok);
        ok = false;
        ok = mongoauth_scram_server_is_authenticated(s);
        EXPECT(ok);
        EXPECT_OK(mongoauth_key_cache_len(k, &cached, &err));
        EXPECT(cached == 1);
        STEP();
    }
    /* the scribbled old home is not an object any more */
    if (what & MOVE_CLIENT) {
        old = client_home.at[1 - client_home.which].bytes;
        EXPECT(!mongoauth_scram_client_is_authenticated((const mongoauth_scram_client *)old));
        EXPECT(client_home.moves >= 24);
    }
    if (what & MOVE_SERVER) {
        old = server_home.at[1 - server_home.which].bytes;
        EXPECT(!mongoauth_scram_server_is_authenticated((const mongoauth_scram_server *)old));
    }
    if (what & MOVE_CACHE) {
        old = cache_home.at[1 - cache_home.which].bytes;
        EXPECT_STATUS(mongoauth_key_cache_len((const mongoauth_key_cache *)old, &cached, &err),
                      MONGOAUTH_STATUS_INVALID_OBJECT);
    }
    EXPECT_OK(mongoauth_scram_client_clear(c, &err));
    EXPECT_OK(mongoauth_scram_server_clear(s, &err));
    EXPECT_OK(mongoauth_key_cache_clear(k, &err));
#undef STEP
}

static void case_scram_client(void) {
    scram_conversation(MOVE_CLIENT, MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    scram_conversation(MOVE_CLIENT, MONGOAUTH_MECHANISM_SCRAM_SHA_1);
}

static void case_scram_server(void) {
    scram_conversation(MOVE_SERVER, MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    scram_conversation(MOVE_SERVER, MONGOAUTH_MECHANISM_SCRAM_SHA_1);
}

static void case_key_cache(void) {
    scram_conversation(MOVE_CACHE, MONGOAUTH_MECHANISM_SCRAM_SHA_256);
    /* all three at once */
    scram_conversation(MOVE_CLIENT | MOVE_SERVER | MOVE_CACHE, MONGOAUTH_MECHANISM_SCRAM_SHA_1);
}

/* ---- connection string, authenticator, server session ------------------- */

static mover uri_home, auth_home, session_home;

static void case_uri(void) {
    static const char URI[] = "mongodb://alice:p%40ss@db1.example.com:27017,db2/shop?authSource=admin&tls=true";
    mongoauth_uri *u = NULL;
    uint8_t buf[256];
    size_t n = 0;
    bool b = false, found = false;
    uint32_t mech = 9;

    EXPECT_OK(mongoauth_uri_init_static(place(&uri_home, MONGOAUTH_URI_SIZE), MONGOAUTH_URI_SIZE, &u, &err));
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_parse(u, S(URI), &err));
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_host_count(u, &n, &err));
    EXPECT(n == 2);
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_host(u, 0, buf, sizeof buf, &n, NULL, NULL, &err));
    EXPECT(n == 15 && memcmp(buf, "db1.example.com", 15) == 0);
    u = move(&uri_home, u);
    b = mongoauth_uri_uses_tls(u);
    EXPECT(b);
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_credential_mechanism(u, &mech, &err));
    EXPECT(mech == MONGOAUTH_MECHANISM_DEFAULT);
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_credential_password(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && n == 4 && memcmp(buf, "p@ss", 4) == 0);
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_credential_source(u, buf, sizeof buf, &n, &err));
    EXPECT(n == 5 && memcmp(buf, "admin", 5) == 0);
    u = move(&uri_home, u);
    /* re-parse at the new address */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://bob:pw@h/"), &err));
    u = move(&uri_home, u);
    EXPECT_OK(mongoauth_uri_credential_username(u, buf, sizeof buf, &n, &found, &err));
    EXPECT(found && n == 3 && memcmp(buf, "bob", 3) == 0);
    EXPECT(!mongoauth_uri_uses_tls((const mongoauth_uri *)uri_home.at[1 - uri_home.which].bytes));
    EXPECT_OK(mongoauth_uri_clear(u, &err));
}

static mongoauth_server_session *session_start(mongoauth_server_session *s, int64_t id) {
    EXPECT_OK(mongoauth_server_session_start(s, secret32, sizeof secret32, id, &err));
    return s;
}

/*
 * A login with BSON bodies or OP_MSG frames between an authenticator and a
 * server session, moving one of them (the authenticator if `move_auth`)
 * after every call.
 */
static void login(int move_auth, int frames, uint32_t mech) {
    mongoauth_authenticator *a = NULL;
    mongoauth_server_session *s = NULL;
    mongoauth_credential cred;
    static uint8_t cmd[4096], rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    bool done = false, ok = false;
    int rounds = 0;
    int32_t id = 1;
    mover *m = move_auth ? &auth_home : &session_home;

#define MOVE_IT()                                               \
    do {                                                        \
        if (move_auth) a = move(m, a); else s = move(m, s);     \
    } while (0)

    memset(&cred, 0, sizeof cred);
    cred.mechanism = mech;
    cred.username = (const uint8_t *)"alice";
    cred.username_len = 5;
    cred.password = (const uint8_t *)"pencil";
    cred.password_len = 6;
    cred.source = (const uint8_t *)"admin";
    cred.source_len = 5;
    EXPECT_OK(mongoauth_authenticator_init_static(place(&auth_home, MONGOAUTH_AUTHENTICATOR_SIZE),
                                                  MONGOAUTH_AUTHENTICATOR_SIZE, &a, &err));
    EXPECT_OK(mongoauth_server_session_init_static(place(&session_home, MONGOAUTH_SERVER_SESSION_SIZE),
                                                   MONGOAUTH_SERVER_SESSION_SIZE, &s, &err));
    MOVE_IT();
    EXPECT_OK(mongoauth_server_session_add_user(s, S("admin"), S("alice"), S("pencil"), salt28, sizeof salt28, &err));
    MOVE_IT();
    session_start(s, 42);
    MOVE_IT();
    fill(entropy48, sizeof entropy48);
    EXPECT_OK(mongoauth_authenticator_start(a, &cred, entropy48, sizeof entropy48, &err));
    MOVE_IT();
    while (!done && rounds++ < 6) {
        size_t n = 0, r = 0;
        mongoauth_status st;
        fill(entropy24, sizeof entropy24);
        if (frames) {
            EXPECT_OK(st = mongoauth_authenticator_command_frame(a, id, cmd, sizeof cmd, &n, &err));
            if (st) break;
            MOVE_IT();
            EXPECT_OK(st = mongoauth_server_session_handle_frame(s, cmd, n, entropy24, sizeof entropy24, 1000 + id,
                                                                 rep, sizeof rep, &r, &err));
            if (st) break;
            MOVE_IT();
            EXPECT_OK(st = mongoauth_authenticator_handle_reply_frame(a, rep, r, id, &done, &err));
            if (st) break;
            id++;
        } else {
            EXPECT_OK(st = mongoauth_authenticator_command(a, cmd, sizeof cmd, &n, &err));
            if (st) break;
            MOVE_IT();
            EXPECT_OK(st = mongoauth_server_session_handle(s, cmd, n, entropy24, sizeof entropy24, rep, sizeof rep,
                                                           &r, &err));
            if (st) break;
            MOVE_IT();
            EXPECT_OK(st = mongoauth_authenticator_handle_reply(a, rep, r, &done, &err));
            if (st) break;
        }
        MOVE_IT();
    }
    EXPECT(done);
    ok = mongoauth_authenticator_is_authenticated(a);
    EXPECT(ok);
    ok = false;
    ok = mongoauth_server_session_is_authenticated(s);
    EXPECT(ok);
    EXPECT(m->moves >= 6);
    if (move_auth)
        EXPECT(!mongoauth_authenticator_is_authenticated((const mongoauth_authenticator *)m->at[1 - m->which].bytes));
    else
        EXPECT(!mongoauth_server_session_is_authenticated((const mongoauth_server_session *)m->at[1 - m->which].bytes));
    EXPECT_OK(mongoauth_authenticator_clear(a, &err));
    EXPECT_OK(mongoauth_server_session_clear(s, &err));
#undef MOVE_IT
}

static void case_authenticator(void) {
    login(1, 0, MONGOAUTH_MECHANISM_DEFAULT);
    login(1, 1, MONGOAUTH_MECHANISM_SCRAM_SHA_1);
}

static void case_session(void) {
    login(0, 0, MONGOAUTH_MECHANISM_DEFAULT);
    login(0, 1, MONGOAUTH_MECHANISM_SCRAM_SHA_1);
}

static const struct {
    const char *name;
    void (*run)(void);
} CASES[] = {
    {"scram_client", case_scram_client}, {"scram_server", case_scram_server},
    {"key_cache", case_key_cache},       {"uri", case_uri},
    {"authenticator", case_authenticator}, {"session", case_session},
};

static int run_case(const char *name) {
    size_t i;
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        if (strcmp(CASES[i].name, name) == 0) {
            int before = check_failed;
            CASES[i].run();
            printf("%s %s\n", check_failed == before ? "ok  " : "FAIL", name);
            return 1;
        }
    }
    fprintf(stderr, "unknown case %s\n", name);
    check_failed++;
    return 0;
}

int main(int argc, char **argv) {
    fill(salt28, sizeof salt28);
    fill(secret32, sizeof secret32);
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

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client/server round trips through the C API for both mechanisms: escaped
 * usernames, the key cache, exported keys, KEYS_DO_NOT_MATCH_SERVER after a
 * password reset, and the client's iteration cap.
 */
#include "mongoauth.h"
#include "check.h"

static mongoauth_error err;
static uint8_t entropy[MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES];

static void next_entropy(void) {
    static uint8_t ctr;
    memset(entropy, ++ctr, sizeof entropy);
    entropy[0] ^= 0x5A;
}

/* Returns the status of the first failing step (OK if the login completed). */
static mongoauth_status run(mongoauth_scram_client *c, mongoauth_scram_server *s, uint32_t mech,
                            const char *user, const char *pw, const mongoauth_scram_keys *keys,
                            const mongoauth_scram_credentials *creds, mongoauth_key_cache *cache) {
    uint8_t msg[MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES], name[MONGOAUTH_SCRAM_MAX_USERNAME_BYTES];
    size_t n, nn;
    bool done = false;
    mongoauth_status st;
    next_entropy();
    if (keys)
        st = mongoauth_scram_client_start_with_keys(c, (const uint8_t *)user, strlen(user), keys, entropy,
                                                    sizeof entropy, &err);
    else
        st = mongoauth_scram_client_start(c, mech, (const uint8_t *)user, strlen(user), (const uint8_t *)pw,
                                          strlen(pw), entropy, sizeof entropy, &err);
    if (st) return st;
    if ((st = mongoauth_scram_server_start(s, mech, &err))) return st;
    if ((st = mongoauth_scram_client_message(c, msg, sizeof msg, &n, &err))) return st;
    if ((st = mongoauth_scram_server_handle_client_first(s, msg, n, &err))) return st;
    if ((st = mongoauth_scram_server_username(s, name, sizeof name, &nn, &err))) return st;
    if (nn != strlen(user) || memcmp(name, user, nn) != 0) return MONGOAUTH_STATUS_INTERNAL;
    next_entropy();
    if ((st = mongoauth_scram_server_respond(s, creds, entropy, sizeof entropy, &err))) return st;
    if ((st = mongoauth_scram_server_message(s, msg, sizeof msg, &n, &err))) return st;
    if ((st = mongoauth_scram_client_step(c, msg, n, cache, &done, &err))) return st;
    if (done) return MONGOAUTH_STATUS_INTERNAL;
    if ((st = mongoauth_scram_client_message(c, msg, sizeof msg, &n, &err))) return st;
    if ((st = mongoauth_scram_server_handle_client_final(s, msg, n, &err))) return st;
    if ((st = mongoauth_scram_server_message(s, msg, sizeof msg, &n, &err))) return st;
    if ((st = mongoauth_scram_client_step(c, msg, n, cache, &done, &err))) return st;
    return done ? MONGOAUTH_STATUS_OK : MONGOAUTH_STATUS_INTERNAL;
}

int main(void) {
    static mongoauth_scram_client cm;
    static mongoauth_scram_server sm;
    static mongoauth_key_cache km;
    mongoauth_scram_client *c;
    mongoauth_scram_server *s;
    mongoauth_key_cache *k;
    mongoauth_scram_credentials creds;
    mongoauth_scram_keys keys;
    uint32_t mechs[2] = {MONGOAUTH_MECHANISM_SCRAM_SHA_1, MONGOAUTH_MECHANISM_SCRAM_SHA_256};
    const char *users[3] = {"user", "a=b,c", "\xc3\xa9t\xc3\xa9"};
    size_t cached;
    int i, u;

    EXPECT_OK(mongoauth_scram_client_init_static(&cm, sizeof cm, &c, &err));
    EXPECT_OK(mongoauth_scram_server_init_static(&sm, sizeof sm, &s, &err));
    EXPECT_OK(mongoauth_key_cache_init_static(&km, sizeof km, &k, &err));

    for (i = 0; i < 2; i++) {
        uint32_t m = mechs[i];
        uint32_t key_len = m == MONGOAUTH_MECHANISM_SCRAM_SHA_1 ? 20 : 32;
        for (u = 0; u < 3; u++) {
            EXPECT_OK(mongoauth_scram_credentials_generate(m, (const uint8_t *)users[u], strlen(users[u]),
                                                           (const uint8_t *)"pencil", 6,
                                                           (const uint8_t *)"0123456789abcdef", 16, 4096,
                                                           &creds, &err));
            EXPECT(creds.key_len == key_len && creds.mechanism == m && creds.iterations == 4096);
            EXPECT_OK(run(c, s, m, users[u], "pencil", NULL, &creds, NULL));
            EXPECT_STATUS(run(c, s, m, users[u], "Pencil", NULL, &creds, NULL),
                          MONGOAUTH_STATUS_AUTHENTICATION_FAILED);
        }
        EXPECT_OK(mongoauth_scram_credentials_generate(m, (const uint8_t *)"user", 4, (const uint8_t *)"pencil", 6,
                                                       (const uint8_t *)"0123456789abcdef", 16, 4096, &creds, &err));
        /* key cache: the second login is a hit (same entry count) */
        EXPECT_OK(mongoauth_key_cache_purge(k, &err));
        EXPECT_OK(run(c, s, m, "user", "pencil", NULL, &creds, k));
        EXPECT_OK(mongoauth_key_cache_len(k, &cached, &err));
        EXPECT(cached == 1);
        EXPECT_OK(run(c, s, m, "user", "pencil", NULL, &creds, k));
        EXPECT_OK(mongoauth_key_cache_len(k, &cached, &err));
        EXPECT(cached == 1);
        /* exported keys log in without the password */
        EXPECT_OK(mongoauth_scram_client_keys(c, &keys, &err));
        EXPECT(keys.mechanism == m && keys.key_len == key_len && keys.salt_len == 16 && keys.iterations == 4096);
        EXPECT_OK(run(c, s, m, "user", NULL, &keys, &creds, NULL));
        /* a password reset (new salt) makes the keys stale */
        EXPECT_OK(mongoauth_scram_credentials_generate(m, (const uint8_t *)"user", 4, (const uint8_t *)"pencil", 6,
                                                       (const uint8_t *)"fedcba9876543210", 16, 4096, &creds, &err));
        EXPECT_STATUS(run(c, s, m, "user", NULL, &keys, &creds, NULL), MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER);
        /* tampered key length */
        keys.key_len = 7;
        EXPECT_STATUS(run(c, s, m, "user", NULL, &keys, &creds, NULL), MONGOAUTH_STATUS_INVALID_CREDENTIAL);
        /* the client's iteration cap */
        EXPECT_OK(mongoauth_scram_credentials_generate(m, (const uint8_t *)"user", 4, (const uint8_t *)"pencil", 6,
                                                       (const uint8_t *)"0123456789abcdef", 16, 5000, &creds, &err));
        EXPECT_OK(mongoauth_scram_client_set_max_iterations(c, 4999, &err));
        EXPECT_STATUS(run(c, s, m, "user", "pencil", NULL, &creds, NULL), MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH);
        EXPECT_OK(mongoauth_scram_client_set_max_iterations(c, MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS, &err));
        EXPECT_OK(run(c, s, m, "user", "pencil", NULL, &creds, NULL));
    }
    EXPECT_OK(mongoauth_memory_zero(&keys, sizeof keys));
    EXPECT_OK(mongoauth_scram_client_clear(c, &err));
    EXPECT_OK(mongoauth_scram_server_clear(s, &err));
    EXPECT_OK(mongoauth_key_cache_clear(k, &err));
    return check_report();
}

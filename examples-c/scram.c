/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A SCRAM conversation between a mongoauth client and a mongoauth server in
 * one process, for SCRAM-SHA-1 and SCRAM-SHA-256, then a wrong password that
 * the server rejects. Heap objects and OS randomness (hosted build).
 *
 *   make -C examples-c run
 */
#include <stdio.h>
#include <string.h>

#include "mongoauth.h"

#define CHECK(call)                                                              \
    do {                                                                         \
        mongoauth_status st_ = (call);                                           \
        if (st_ != MONGOAUTH_STATUS_OK) {                                        \
            fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__,   \
                    #call, mongoauth_status_name(st_), err.message);             \
            return 1;                                                            \
        }                                                                        \
    } while (0)

static void print_msg(const char *who, const uint8_t *msg, size_t len) {
    printf("  %-6s %.*s\n", who, (int)len, (const char *)msg);
}

/* Run one login; returns 0 on the expected outcome, 1 otherwise. */
static int login(uint32_t mechanism, const char *user, const char *stored_pw,
                 const char *client_pw, int expect_success) {
    mongoauth_error err;
    mongoauth_scram_client *client = NULL;
    mongoauth_scram_server *server = NULL;
    mongoauth_scram_credentials creds;
    uint8_t salt[28], entropy[MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES];
    uint8_t msg[MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES];
    char name[MONGOAUTH_SCRAM_MAX_USERNAME_BYTES];
    size_t len = 0, name_len = 0;
    bool done = false, authenticated = false;
    mongoauth_status st;
    int rc = 1;

    memset(&err, 0, sizeof err);
    printf("%s, %s password:\n", mongoauth_mechanism_name(mechanism),
           expect_success ? "right" : "wrong");

    /* The server side: what createUser stores. */
    CHECK(mongoauth_random_bytes(salt, sizeof salt, &err));
    CHECK(mongoauth_scram_credentials_generate(
        mechanism, (const uint8_t *)user, strlen(user), (const uint8_t *)stored_pw,
        strlen(stored_pw), salt, mechanism == MONGOAUTH_MECHANISM_SCRAM_SHA_1 ? 16 : 28,
        mechanism == MONGOAUTH_MECHANISM_SCRAM_SHA_1 ? 10000 : 15000, &creds, &err));

    CHECK(mongoauth_scram_client_new(&client, &err));
    CHECK(mongoauth_scram_server_new(&server, &err));

    CHECK(mongoauth_random_bytes(entropy, sizeof entropy, &err));
    CHECK(mongoauth_scram_client_start(client, mechanism, (const uint8_t *)user, strlen(user),
                                       (const uint8_t *)client_pw, strlen(client_pw), entropy,
                                       sizeof entropy, &err));
    CHECK(mongoauth_scram_server_start(server, mechanism, &err));

    /* client-first */
    CHECK(mongoauth_scram_client_message(client, msg, sizeof msg, &len, &err));
    print_msg("C:", msg, len);
    CHECK(mongoauth_scram_server_handle_client_first(server, msg, len, &err));
    CHECK(mongoauth_scram_server_username(server, (uint8_t *)name, sizeof name, &name_len, &err));
    if (name_len != strlen(user) || memcmp(name, user, name_len) != 0) {
        fprintf(stderr, "server saw username %.*s\n", (int)name_len, name);
        goto out;
    }

    /* server-first */
    CHECK(mongoauth_random_bytes(entropy, sizeof entropy, &err));
    CHECK(mongoauth_scram_server_respond(server, &creds, entropy, sizeof entropy, &err));
    CHECK(mongoauth_scram_server_message(server, msg, sizeof msg, &len, &err));
    print_msg("S:", msg, len);
    CHECK(mongoauth_scram_client_step(client, msg, len, NULL, &done, &err));

    /* client-final */
    CHECK(mongoauth_scram_client_message(client, msg, sizeof msg, &len, &err));
    print_msg("C:", msg, len);
    st = mongoauth_scram_server_handle_client_final(server, msg, len, &err);
    if (!expect_success) {
        if (st != MONGOAUTH_STATUS_AUTHENTICATION_FAILED) {
            fprintf(stderr, "expected AUTHENTICATION_FAILED, got %s\n", mongoauth_status_name(st));
            goto out;
        }
        CHECK(mongoauth_scram_server_message(server, msg, sizeof msg, &len, &err));
        print_msg("S:", msg, len);
        /* The client sees the server's e= answer as SERVER_ERROR. */
        st = mongoauth_scram_client_step(client, msg, len, NULL, &done, &err);
        printf("  client: %s: %s\n", mongoauth_status_name(st), err.message);
        rc = st == MONGOAUTH_STATUS_SERVER_ERROR ? 0 : 1;
        goto out;
    }
    if (st != MONGOAUTH_STATUS_OK) {
        fprintf(stderr, "server rejected the login: %s (%s)\n", mongoauth_status_name(st), err.message);
        goto out;
    }

    /* server-final */
    CHECK(mongoauth_scram_server_message(server, msg, sizeof msg, &len, &err));
    print_msg("S:", msg, len);
    CHECK(mongoauth_scram_client_step(client, msg, len, NULL, &done, &err));
    authenticated = mongoauth_scram_client_is_authenticated(client);
    if (!done || !authenticated) {
        fprintf(stderr, "client not authenticated\n");
        goto out;
    }
    printf("  both sides authenticated\n");
    rc = 0;
out:
    /* these fail only on misuse (a wrong pointer) */
    if (mongoauth_memory_zero(&creds, sizeof creds) != MONGOAUTH_STATUS_OK) rc = 1;
    if (mongoauth_scram_client_free(client) != MONGOAUTH_STATUS_OK) rc = 1;
    if (mongoauth_scram_server_free(server) != MONGOAUTH_STATUS_OK) rc = 1;
    return rc;
}

int main(void) {
    int failures = 0;
    printf("mongoauth %s\n", mongoauth_version_string());
    if (mongoauth_version_number() != MONGOAUTH_VERSION_NUMBER) {
        fprintf(stderr, "header/library version mismatch\n");
        return 1;
    }
    failures += login(MONGOAUTH_MECHANISM_SCRAM_SHA_1, "user", "pencil", "pencil", 1);
    failures += login(MONGOAUTH_MECHANISM_SCRAM_SHA_256, "user", "pencil", "pencil", 1);
    failures += login(MONGOAUTH_MECHANISM_SCRAM_SHA_1, "user", "pencil", "pencil!", 0);
    failures += login(MONGOAUTH_MECHANISM_SCRAM_SHA_256, "user", "pencil", "pen", 0);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse a MongoDB connection string and print its hosts, options and
 * credential; then show the error (with its byte offset) for a bad one.
 *   uri [CONNECTION_STRING]
 */
#include <stdio.h>
#include <string.h>

#include "mongoauth.h"

static mongoauth_error err;

static int show(mongoauth_uri *u, const char *text) {
    uint8_t buf[512];
    size_t n = 0, count = 0, i;
    bool found = false, has = false, tls = false;
    uint32_t mech = 0;

    printf("%s\n", text);
    if (mongoauth_uri_parse(u, (const uint8_t *)text, strlen(text), &err) != MONGOAUTH_STATUS_OK) {
        printf("  error %s at byte %lld: %s\n", mongoauth_status_name(err.status), (long long)err.offset,
               err.message);
        if (err.offset >= 0) printf("  %s\n  %*s^\n", text, (int)err.offset, "");
        return 1;
    }
    if (mongoauth_uri_host_count(u, &count, &err) != MONGOAUTH_STATUS_OK) return 1;
    for (i = 0; i < count; i++) {
        uint16_t port = 0;
        if (mongoauth_uri_host(u, i, buf, sizeof buf, &n, &port, NULL, &err) == MONGOAUTH_STATUS_OK)
            printf("  host %zu: %.*s port %u\n", i, (int)n, (const char *)buf, port ? port : 27017u);
    }
    if (mongoauth_uri_database(u, buf, sizeof buf, &n, &found, &err) == MONGOAUTH_STATUS_OK && found)
        printf("  database: %.*s\n", (int)n, (const char *)buf);
    if (mongoauth_uri_option_count(u, &count, &err) != MONGOAUTH_STATUS_OK) return 1;
    for (i = 0; i < count; i++) {
        uint8_t name[64];
        size_t nn = 0;
        if (mongoauth_uri_option_name(u, i, name, sizeof name, &nn, &err) != MONGOAUTH_STATUS_OK) continue;
        if (mongoauth_uri_option(u, name, nn, buf, sizeof buf, &n, &found, &err) == MONGOAUTH_STATUS_OK && found) {
            /* never print secrets */
            int secret = nn >= 8 && memcmp(name + nn - 8, "Password", 8) == 0;
            printf("  option %.*s = %.*s\n", (int)nn, (const char *)name, secret ? 5 : (int)n,
                   secret ? "*****" : (const char *)buf);
        }
    }
    tls = mongoauth_uri_uses_tls(u);
    printf("  TLS: %s\n", tls ? "on" : "off");
    if (mongoauth_uri_warning_count(u, &count, &err) != MONGOAUTH_STATUS_OK) return 1;
    for (i = 0; i < count && i < MONGOAUTH_URI_MAX_WARNINGS; i++) {
        if (mongoauth_uri_warning(u, i, buf, sizeof buf, &n, NULL, NULL, &err) == MONGOAUTH_STATUS_OK)
            printf("  warning: %.*s\n", (int)n, (const char *)buf);
    }
    if (mongoauth_uri_has_credential(u, &has, &err) != MONGOAUTH_STATUS_OK) {
        printf("  credential error %s: %s\n", mongoauth_status_name(err.status), err.message);
        return 1;
    }
    if (!has) {
        printf("  no credential\n");
        return 0;
    }
    if (mongoauth_uri_credential_mechanism(u, &mech, &err) != MONGOAUTH_STATUS_OK) return 1;
    printf("  mechanism: %s\n", mech ? mongoauth_mechanism_name(mech) : "(negotiated: SCRAM-SHA-256 or SCRAM-SHA-1)");
    if (mongoauth_uri_credential_username(u, buf, sizeof buf, &n, &found, &err) == MONGOAUTH_STATUS_OK && found)
        printf("  username: %.*s\n", (int)n, (const char *)buf);
    if (mongoauth_uri_credential_password(u, buf, sizeof buf, &n, &found, &err) == MONGOAUTH_STATUS_OK && found) {
        printf("  password: %zu bytes (decoded; not printed)\n", n);
        if (mongoauth_memory_zero(buf, n) != MONGOAUTH_STATUS_OK) return 1;
    }
    if (mongoauth_uri_credential_source(u, buf, sizeof buf, &n, &err) == MONGOAUTH_STATUS_OK)
        printf("  auth source: %.*s\n", (int)n, (const char *)buf);
    return 0;
}

int main(int argc, char **argv) {
    static mongoauth_uri mem;
    mongoauth_uri *u = NULL;
    uint8_t out[256];
    size_t n = 0;
    mongoauth_uri_host_spec host;
    mongoauth_uri_parts parts;
    int bad;

    if (mongoauth_uri_init_static(&mem, sizeof mem, &u, &err) != MONGOAUTH_STATUS_OK) return 1;
    if (argc > 1) {
        int rc = show(u, argv[1]);
        if (mongoauth_uri_clear(u, NULL) != MONGOAUTH_STATUS_OK) rc = 1;
        return rc;
    }
    if (show(u, "mongodb://alice:p%40ss@db1.example.com:27017,db2.example.com/shop"
                "?authSource=admin&tls=true&appName=inventory&retryWrites=false&foo=bar") != 0)
        return 1;
    if (show(u, "mongodb+srv://cluster0.example.com/?authMechanism=MONGODB-X509") != 0) return 1;
    /* An unescaped `@` in the password: an error pointing at the byte. */
    bad = show(u, "mongodb://alice:p@ss@db1.example.com/");
    if (!bad || err.status != MONGOAUTH_STATUS_URI_SYNTAX || err.offset != 17) return 1;

    /* The encoder escapes it. */
    host.host = (const uint8_t *)"db1.example.com";
    host.host_len = strlen("db1.example.com");
    host.port = 27017;
    memset(&parts, 0, sizeof parts);
    parts.hosts = &host;
    parts.host_count = 1;
    parts.username = (const uint8_t *)"alice";
    parts.username_len = 5;
    parts.password = (const uint8_t *)"p@ss";
    parts.password_len = 4;
    if (mongoauth_uri_encode(&parts, out, sizeof out, &n, &err) != MONGOAUTH_STATUS_OK) return 1;
    printf("encoded: %.*s\n", (int)n, (const char *)out);
    return mongoauth_uri_clear(u, NULL) == MONGOAUTH_STATUS_OK ? 0 : 1;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log in to a MongoDB server over a POSIX socket: parse the connection
 * string, connect to its first host, and run the whole handshake with
 * mongoauth_authenticator_handshake over read/write callbacks (swap them for a TLS
 * library's or a firmware TCP stack's).
 *   connect [CONNECTION_STRING]     (default: $MONGOAUTH_TEST_URI)
 * With neither, prints usage and exits 0. Exit status: 0 logged in,
 * 2 the server refused the credential (code 18), 1 any other error.
 */
#define _POSIX_C_SOURCE 200112L
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "mongoauth.h"

typedef struct {
    int fd;
    int last_errno;
} conn;

static ptrdiff_t sock_read(void *ctx, uint8_t *buf, size_t len) {
    conn *c = (conn *)ctx;
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n >= 0) return (ptrdiff_t)n; /* 0: the server closed */
        if (errno != EINTR) {
            c->last_errno = errno;
            return -1;
        }
    }
}

static ptrdiff_t sock_write(void *ctx, const uint8_t *buf, size_t len) {
    conn *c = (conn *)ctx;
    for (;;) {
        ssize_t n = send(c->fd, buf, len, 0);
        if (n > 0) return (ptrdiff_t)n;
        if (n < 0 && errno == EINTR) continue;
        c->last_errno = n < 0 ? errno : EPIPE;
        return -1;
    }
}

static int dial(const char *host, unsigned port) {
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    int fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof service, "%u", port);
    if (getaddrinfo(host, service, &hints, &res) != 0) return -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : getenv("MONGOAUTH_TEST_URI");
    mongoauth_error err;
    mongoauth_uri *uri = NULL;
    mongoauth_authenticator *auth = NULL;
    uint8_t entropy[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES];
    uint8_t *buf = NULL;
    char host[256];
    size_t n = 0;
    uint16_t port = 0;
    bool tls = false, ok = false, spec = false;
    uint32_t mech = 0;
    conn c = {-1, 0};
    int rc = 1;
    mongoauth_status st;

    if (!text || !*text) {
        printf("usage: connect mongodb://user:password@host:port/?authSource=admin\n"
               "       (or set MONGOAUTH_TEST_URI)\n");
        return 0;
    }
    memset(&err, 0, sizeof err);
    if (mongoauth_uri_new(&uri, &err) || mongoauth_authenticator_new(&auth, &err)) goto fail;
    if (mongoauth_uri_parse(uri, (const uint8_t *)text, strlen(text), &err)) goto fail;
    tls = mongoauth_uri_uses_tls(uri);
    if (tls) {
        fprintf(stderr, "this example speaks plain TCP; plug a TLS library into the callbacks\n");
        goto out;
    }
    if (mongoauth_uri_host(uri, 0, (uint8_t *)host, sizeof host - 1, &n, &port, NULL, &err)) goto fail;
    host[n] = '\0';
    if (mongoauth_random_bytes(entropy, sizeof entropy, &err)) goto fail;
    if (mongoauth_authenticator_start_uri(auth, uri, entropy, sizeof entropy, &err)) goto fail;
    if (mongoauth_memory_zero(entropy, sizeof entropy)) goto fail;
    if (mongoauth_uri_free(uri)) goto fail; /* the authenticator copied the credential */
    uri = NULL;

    c.fd = dial(host, port ? port : 27017u);
    if (c.fd < 0) {
        fprintf(stderr, "cannot connect to %s:%u\n", host, port ? port : 27017u);
        goto out;
    }
    buf = malloc(MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES);
    if (!buf) goto out;
    st = mongoauth_authenticator_handshake(auth, sock_read, sock_write, &c, buf, MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES, &err);
    if (st == MONGOAUTH_STATUS_IO) fprintf(stderr, "socket error: %s\n", strerror(c.last_errno));
    if (st) goto fail;
    ok = mongoauth_authenticator_is_authenticated(auth);
    if (mongoauth_authenticator_mechanism(auth, &mech, &err)) goto fail;
    spec = mongoauth_authenticator_used_speculative(auth);
    printf("connected to %s:%u: %s with %s%s\n", host, port ? port : 27017u,
           ok ? "authenticated" : "no login needed", mech ? mongoauth_mechanism_name(mech) : "-",
           spec ? " (speculative: one round trip saved)" : "");
    rc = ok ? 0 : 1;
    goto out;
fail:
    fprintf(stderr, "error %s", mongoauth_status_name(err.status));
    if (err.server_code) fprintf(stderr, " (server code %d)", err.server_code);
    fprintf(stderr, ": %s\n", err.message);
    /* a wrong username or password (the server's code 18) has its own status */
    rc = err.status == MONGOAUTH_STATUS_AUTHENTICATION_FAILED ? 2 : 1;
out:
    if (c.fd >= 0) close(c.fd);
    free(buf);
    /* _free fails only on misuse (a pointer that is not a heap object) */
    if (mongoauth_uri_free(uri) != MONGOAUTH_STATUS_OK) rc = 1;
    if (mongoauth_authenticator_free(auth) != MONGOAUTH_STATUS_OK) rc = 1;
    return rc;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-memory transport for mongoauth_authenticator_handshake: the write callback
 * collects a request frame and hands it to a mongoauth_server_session
 * (mongoauth_server_session_handle_frame); the read callback returns the
 * reply frame in small chunks. Static memory only (firmware-friendly).
 */
#ifndef MONGOAUTH_TEST_PIPE_H
#define MONGOAUTH_TEST_PIPE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mongoauth.h"

typedef struct {
    mongoauth_server_session *server;
    uint8_t req[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    size_t req_len;
    uint8_t rep[MONGOAUTH_SERVER_SESSION_REPLY_BYTES];
    size_t rep_len, rep_off;
    int32_t reply_id;
    ptrdiff_t fail_read;  /* nonzero: the read callback returns it */
    ptrdiff_t fail_write; /* nonzero (or 0 with write_zero): the write callback returns it */
    int write_zero;
    int eof_after_request; /* drop the reply: the peer "closes" */
    mongoauth_status server_status;
    void (*entropy)(uint8_t *out, size_t len);
} mem_pipe;

static uint32_t mem_pipe_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ptrdiff_t mem_pipe_write(void *ctx, const uint8_t *buf, size_t len) {
    mem_pipe *p = (mem_pipe *)ctx;
    size_t room = sizeof p->req - p->req_len;
    if (p->write_zero) return 0;
    if (p->fail_write) return p->fail_write;
    if (len > room) len = room;
    if (len == 0) return -1;
    memcpy(p->req + p->req_len, buf, len);
    p->req_len += len;
    if (p->req_len >= 4) {
        uint32_t n = mem_pipe_le32(p->req);
        if (p->req_len >= n) {
            uint8_t e[MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES];
            size_t w = 0;
            p->entropy(e, sizeof e);
            p->server_status = mongoauth_server_session_handle_frame(
                p->server, p->req, n, e, sizeof e, ++p->reply_id, p->rep, sizeof p->rep, &w, NULL);
            p->rep_len = p->server_status == MONGOAUTH_STATUS_OK && !p->eof_after_request ? w : 0;
            p->rep_off = 0;
            p->req_len = 0;
        }
    }
    return (ptrdiff_t)len;
}

static ptrdiff_t mem_pipe_read(void *ctx, uint8_t *buf, size_t len) {
    mem_pipe *p = (mem_pipe *)ctx;
    size_t avail = p->rep_len - p->rep_off;
    if (p->fail_read) return p->fail_read;
    if (avail == 0) return 0; /* end of stream */
    if (len > avail) len = avail;
    if (len > 100) len = 100; /* partial reads, as from a socket */
    memcpy(buf, p->rep + p->rep_off, len);
    p->rep_off += len;
    return (ptrdiff_t)len;
}
#endif

// C trampolines from mongoauth_authenticator_handshake_until's read/write/clock callbacks
// to the exported Go functions of handshake.go: ctx carries a cgo.Handle.
#include <mongoauth.h>

#include "_cgo_export.h"

static ptrdiff_t hs_read(void *ctx, uint8_t *buf, size_t len) {
    return (ptrdiff_t)mongoauthGoHandshakeRead((uintptr_t)ctx, buf, len);
}

static ptrdiff_t hs_write(void *ctx, const uint8_t *buf, size_t len) {
    return (ptrdiff_t)mongoauthGoHandshakeWrite((uintptr_t)ctx, (uint8_t *)buf, len);
}

static uint64_t hs_clock(void *ctx) { return mongoauthGoHandshakeClock((uintptr_t)ctx); }

mongoauth_status mongoauth_go_handshake(mongoauth_authenticator *auth, uintptr_t handle, uint64_t deadline_ms,
                                        uint8_t *buf, size_t capacity, mongoauth_error *err) {
    return mongoauth_authenticator_handshake_until(auth, hs_read, hs_write, hs_clock, (void *)handle, deadline_ms, buf, capacity,
                                     err);
}

// C trampolines from mongoauth_gss_callbacks to the Go acceptor (gss.go):
// user_data carries a cgo.Handle.
#include <mongoauth.h>

#include "_cgo_export.h"

static uint32_t accept_step(void *ud, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                            size_t *written, bool *complete, mongoauth_gss_failure *f) {
    return mongoauthGoGSSAcceptStep((uintptr_t)ud, (uint8_t *)in, n, out, cap, written, complete, f);
}

static uint32_t accept_wrap(void *ud, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                            size_t *written, mongoauth_gss_failure *f) {
    return mongoauthGoGSSAcceptWrap((uintptr_t)ud, (uint8_t *)in, n, out, cap, written, f);
}

static uint32_t accept_unwrap(void *ud, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                              size_t *written, mongoauth_gss_failure *f) {
    return mongoauthGoGSSAcceptUnwrap((uintptr_t)ud, (uint8_t *)in, n, out, cap, written, f);
}

static uint32_t accept_source_name(void *ud, uint8_t *out, size_t cap, size_t *written,
                                   mongoauth_gss_failure *f) {
    return mongoauthGoGSSAcceptSourceName((uintptr_t)ud, out, cap, written, f);
}

static void accept_reset(void *ud) { mongoauthGoGSSAcceptReset((uintptr_t)ud); }

void mongoauth_go_gss_acceptor(mongoauth_gss_callbacks *cb, uintptr_t handle) {
    cb->user_data = (void *)handle;
    cb->init_step = 0;
    cb->init_wrap = 0;
    cb->init_unwrap = 0;
    cb->accept_step = accept_step;
    cb->accept_wrap = accept_wrap;
    cb->accept_unwrap = accept_unwrap;
    cb->accept_source_name = accept_source_name;
    cb->accept_reset = accept_reset;
}

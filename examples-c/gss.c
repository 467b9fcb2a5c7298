/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A GSSAPI (Kerberos) login with your own GSS-API library: MIT's
 * libgssapi_krb5 called directly, plugged into mongoauth through
 * mongoauth_gss_callbacks, on both sides of the conversation. A client
 * authenticator (init_* callbacks) logs in to a server session (accept_*
 * callbacks) in the same process: each command the authenticator produces
 * is handed to the session and its reply back, as a socket would.
 *
 *   gss [--no-user] [--step-by-step] [--credential] [CONNECTION_STRING]
 *
 * --credential starts from a mongoauth_credential instead of a connection
 * string: the connection's host (127.0.0.1) and the mechanism properties
 * (SERVICE_REALM MONGOAUTH.TEST, SERVICE_HOST localhost) are then given with
 * mongoauth_authenticator_set_gss_host and _set_gss_properties; the target
 * is mongodb/localhost@MONGOAUTH.TEST only if both were applied.
 *
 * --step-by-step answers the GSS needs without _provide_gss_with: it reads
 * each with mongoauth_authenticator_gss_request, calls the same functions
 * itself and answers with _provide_gss_step / _unwrapped / _wrapped; the
 * objects then live in caller memory and are moved (memcpy, old bytes
 * scribbled) after every step, and a few misuses are checked on the way.
 *
 * Default URI: mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI
 * Needs a realm (scripts/krb-realm.sh start DIR; source DIR/env) and a
 * client credential: a ticket (kinit), KRB5_CLIENT_KTNAME, or a password
 * in the URI. The server's key comes from KRB5_KTNAME. The session maps
 * user@MONGOAUTH.TEST to a $external user (not with --no-user).
 * Exit status: 0 logged in; 2 refused by the server (code 18); 3 the
 * GSS-API library failed (major/minor printed); 1 any other error.
 */
#define _POSIX_C_SOURCE 200112L
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mongoauth.h"

/* ---- GSS status text ------------------------------------------------------ */

static void append_status(mongoauth_gss_failure *f, OM_uint32 code, int type) {
    OM_uint32 min, ctx = 0;
    do {
        gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx, &msg))) break;
        size_t room = sizeof f->text - f->text_len;
        size_t n = msg.length + 2 <= room ? msg.length : (room > 2 ? room - 2 : 0);
        if (f->text_len > 0 && room >= 2) {
            memcpy(f->text + f->text_len, "; ", 2);
            f->text_len += 2;
            room -= 2;
        }
        if (n > room) n = room;
        memcpy(f->text + f->text_len, msg.value, n);
        f->text_len += n;
        gss_release_buffer(&min, &msg);
    } while (ctx != 0);
}

/* Report a GSS failure to mongoauth: codes plus gss_display_status text. */
static uint32_t failed(mongoauth_gss_failure *f, OM_uint32 major, OM_uint32 minor) {
    f->major = major;
    f->minor = minor;
    f->text_len = 0;
    /* The mechanism's text first: it says what happened ("Server not found
     * in Kerberos database"); the major text is often generic. */
    if (minor != 0) append_status(f, minor, GSS_C_MECH_CODE);
    append_status(f, major, GSS_C_GSS_CODE);
    return MONGOAUTH_GSS_FAILED;
}

/* Copy a GSS output buffer into mongoauth's (out, capacity, *written). */
static uint32_t give(gss_buffer_desc *b, uint8_t *out, size_t capacity, size_t *written) {
    OM_uint32 min;
    uint32_t r = MONGOAUTH_GSS_OK;
    *written = b->length;
    if (b->length > capacity)
        r = MONGOAUTH_GSS_BUFFER_TOO_SMALL;
    else if (b->length > 0)
        memcpy(out, b->value, b->length);
    gss_release_buffer(&min, b);
    return r;
}

static uint32_t do_wrap(gss_ctx_id_t ctx, const uint8_t *in, size_t in_len, uint8_t *out,
                        size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    OM_uint32 maj, min;
    gss_buffer_desc input = {in_len, (void *)(uintptr_t)in}, output = GSS_C_EMPTY_BUFFER;
    if (ctx == GSS_C_NO_CONTEXT) return MONGOAUTH_GSS_NO_CONTEXT;
    /* Integrity only: RFC 4752 with "no security layer". */
    maj = gss_wrap(&min, ctx, 0, GSS_C_QOP_DEFAULT, &input, NULL, &output);
    if (GSS_ERROR(maj)) return failed(f, maj, min);
    return give(&output, out, capacity, written);
}

static uint32_t do_unwrap(gss_ctx_id_t ctx, const uint8_t *in, size_t in_len, uint8_t *out,
                          size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    OM_uint32 maj, min;
    gss_buffer_desc input, output = GSS_C_EMPTY_BUFFER;
    uint8_t *copy;
    if (ctx == GSS_C_NO_CONTEXT) return MONGOAUTH_GSS_NO_CONTEXT;
    /* MIT's gss_unwrap may rewrite its input in place: unwrap a copy. */
    copy = malloc(in_len ? in_len : 1);
    if (!copy) return failed(f, GSS_S_FAILURE, 0);
    if (in_len) memcpy(copy, in, in_len);
    input.length = in_len;
    input.value = copy;
    maj = gss_unwrap(&min, ctx, &input, &output, NULL, NULL);
    free(copy);
    if (GSS_ERROR(maj)) return failed(f, maj, min);
    return give(&output, out, capacity, written);
}

/* ---- initiator (client) --------------------------------------------------- */

typedef struct {
    gss_ctx_id_t ctx;
    gss_name_t target;
    gss_cred_id_t cred;
    /* When set, the callback checks that a call on the authenticator from
     * inside it is refused with BUSY. */
    mongoauth_authenticator *busy_check;
    int busy_seen;
} client_gss;

static uint32_t import_name(const uint8_t *s, size_t len, gss_OID type, gss_name_t *out,
                            mongoauth_gss_failure *f) {
    OM_uint32 maj, min;
    gss_buffer_desc b = {len, (void *)(uintptr_t)s};
    maj = gss_import_name(&min, &b, type, out);
    return GSS_ERROR(maj) ? failed(f, maj, min) : MONGOAUTH_GSS_OK;
}

static uint32_t init_step(void *user_data, const mongoauth_gss_request *rq, uint8_t *out,
                          size_t capacity, size_t *written, bool *complete,
                          mongoauth_gss_failure *f) {
    client_gss *c = user_data;
    OM_uint32 maj, min;
    gss_buffer_desc input = {rq->input_len, (void *)(uintptr_t)rq->input};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    uint32_t r;

    if (c->busy_check) {
        mongoauth_next next;
        if (mongoauth_authenticator_next(c->busy_check, &next, NULL) == MONGOAUTH_STATUS_BUSY)
            c->busy_seen++;
    }

    if (c->target == GSS_C_NO_NAME) {
        /* With SERVICE_REALM: the principal service/host@REALM; without:
         * the host-based name service@host. (CANONICALIZE_HOST_NAME would
         * resolve rq->host first; this example talks to "localhost".) */
        char name[600];
        int n;
        if (rq->realm)
            n = snprintf(name, sizeof name, "%.*s/%.*s@%.*s", (int)rq->service_len,
                         (const char *)rq->service, (int)rq->host_len, (const char *)rq->host,
                         (int)rq->realm_len, (const char *)rq->realm);
        else
            n = snprintf(name, sizeof name, "%.*s@%.*s", (int)rq->service_len,
                         (const char *)rq->service, (int)rq->host_len, (const char *)rq->host);
        if (n < 0 || (size_t)n >= sizeof name) return failed(f, GSS_S_BAD_NAME, 0);
        r = import_name((const uint8_t *)name, (size_t)n,
                        rq->realm ? GSS_KRB5_NT_PRINCIPAL_NAME : GSS_C_NT_HOSTBASED_SERVICE,
                        &c->target, f);
        if (r != MONGOAUTH_GSS_OK) return r;
    }
    if (c->cred == GSS_C_NO_CREDENTIAL && rq->principal) {
        /* The URI's username names the client principal; with a password,
         * get a ticket with it, else from the ticket cache or client keytab. */
        gss_name_t me = GSS_C_NO_NAME;
        gss_OID_set_desc mechs = {1, (gss_OID)gss_mech_krb5};
        r = import_name(rq->principal, rq->principal_len, GSS_KRB5_NT_PRINCIPAL_NAME, &me, f);
        if (r != MONGOAUTH_GSS_OK) return r;
        if (rq->password) {
            gss_buffer_desc pw = {rq->password_len, (void *)(uintptr_t)rq->password};
            maj = gss_acquire_cred_with_password(&min, me, &pw, GSS_C_INDEFINITE, &mechs,
                                                 GSS_C_INITIATE, &c->cred, NULL, NULL);
        } else {
            maj = gss_acquire_cred(&min, me, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &c->cred,
                                   NULL, NULL);
        }
        gss_release_name(&min, &me);
        if (GSS_ERROR(maj)) return failed(f, maj, min);
    }
    maj = gss_init_sec_context(&min, c->cred, &c->ctx, c->target, (gss_OID)gss_mech_krb5,
                               GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG, 0,
                               GSS_C_NO_CHANNEL_BINDINGS, rq->input_len ? &input : GSS_C_NO_BUFFER,
                               NULL, &output, NULL, NULL);
    if (GSS_ERROR(maj)) return failed(f, maj, min);
    *complete = !(maj & GSS_S_CONTINUE_NEEDED);
    return give(&output, out, capacity, written);
}

static uint32_t init_wrap(void *user_data, const uint8_t *in, size_t in_len, uint8_t *out,
                          size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    return do_wrap(((client_gss *)user_data)->ctx, in, in_len, out, capacity, written, f);
}

static uint32_t init_unwrap(void *user_data, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    return do_unwrap(((client_gss *)user_data)->ctx, in, in_len, out, capacity, written, f);
}

static void client_gss_release(client_gss *c) {
    OM_uint32 min;
    if (c->ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&min, &c->ctx, GSS_C_NO_BUFFER);
    if (c->target != GSS_C_NO_NAME) gss_release_name(&min, &c->target);
    if (c->cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&min, &c->cred);
}

/* ---- acceptor (server) ---------------------------------------------------- */

typedef struct {
    gss_ctx_id_t ctx;
    gss_name_t source;
} server_gss;

static void accept_reset(void *user_data) {
    server_gss *s = user_data;
    OM_uint32 min;
    if (s->ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&min, &s->ctx, GSS_C_NO_BUFFER);
    if (s->source != GSS_C_NO_NAME) gss_release_name(&min, &s->source);
}

static uint32_t accept_step(void *user_data, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t capacity, size_t *written, bool *complete,
                            mongoauth_gss_failure *f) {
    server_gss *s = user_data;
    OM_uint32 maj, min;
    gss_buffer_desc input = {in_len, (void *)(uintptr_t)in}, output = GSS_C_EMPTY_BUFFER;
    if (s->source != GSS_C_NO_NAME) gss_release_name(&min, &s->source);
    /* GSS_C_NO_CREDENTIAL: any key in the keytab (KRB5_KTNAME). */
    maj = gss_accept_sec_context(&min, &s->ctx, GSS_C_NO_CREDENTIAL, &input,
                                 GSS_C_NO_CHANNEL_BINDINGS, &s->source, NULL, &output, NULL, NULL,
                                 NULL);
    if (GSS_ERROR(maj)) {
        gss_release_buffer(&min, &output);
        return failed(f, maj, min);
    }
    *complete = !(maj & GSS_S_CONTINUE_NEEDED);
    return give(&output, out, capacity, written);
}

static uint32_t accept_wrap(void *user_data, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    return do_wrap(((server_gss *)user_data)->ctx, in, in_len, out, capacity, written, f);
}

static uint32_t accept_unwrap(void *user_data, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t capacity, size_t *written, mongoauth_gss_failure *f) {
    return do_unwrap(((server_gss *)user_data)->ctx, in, in_len, out, capacity, written, f);
}

static uint32_t accept_source_name(void *user_data, uint8_t *out, size_t capacity,
                                   size_t *written, mongoauth_gss_failure *f) {
    server_gss *s = user_data;
    OM_uint32 maj, min;
    gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
    if (s->source == GSS_C_NO_NAME) return MONGOAUTH_GSS_NO_CONTEXT;
    maj = gss_display_name(&min, s->source, &name, NULL);
    if (GSS_ERROR(maj)) return failed(f, maj, min);
    return give(&name, out, capacity, written);
}

/* ---- the login ------------------------------------------------------------ */

/* Move an object to the other of its two homes; scribble the old bytes. */
static void *move_obj(void *obj, unsigned char *homes[2], size_t size) {
    unsigned char *to = (unsigned char *)obj == homes[0] ? homes[1] : homes[0];
    memcpy(to, obj, size);
    memset(obj, 0xA5, size);
    return to;
}

/* Answer the pending GSS need by hand (the step-by-step API). */
static mongoauth_status gss_by_hand(mongoauth_authenticator *auth, client_gss *c, uint8_t *buf,
                                    size_t cap, mongoauth_error *err) {
    mongoauth_gss_request rq;
    mongoauth_gss_failure failure;
    size_t written = 0;
    bool complete = false;
    uint32_t r;
    mongoauth_status st = mongoauth_authenticator_gss_request(auth, &rq, err);
    if (st != MONGOAUTH_STATUS_OK) return st;
    memset(&failure, 0, sizeof failure);
    if (rq.kind == MONGOAUTH_NEXT_NEED_GSS_INIT)
        r = init_step(c, &rq, buf, cap, &written, &complete, &failure);
    else if (rq.kind == MONGOAUTH_NEXT_NEED_GSS_UNWRAP)
        r = init_unwrap(c, rq.input, rq.input_len, buf, cap, &written, &failure);
    else
        r = init_wrap(c, rq.input, rq.input_len, buf, cap, &written, &failure);
    if (r != MONGOAUTH_GSS_OK) /* the login records it: err gets the codes */
        return mongoauth_authenticator_fail_gss(auth, &failure, err);
    if (rq.kind == MONGOAUTH_NEXT_NEED_GSS_INIT)
        return mongoauth_authenticator_provide_gss_step(auth, buf, written, complete, err);
    if (rq.kind == MONGOAUTH_NEXT_NEED_GSS_UNWRAP)
        return mongoauth_authenticator_provide_gss_unwrapped(auth, buf, written, err);
    return mongoauth_authenticator_provide_gss_wrapped(auth, buf, written, err);
}

static void report(const char *what, mongoauth_status st, const mongoauth_error *err) {
    fprintf(stderr, "%s: %s: %s\n", what, mongoauth_status_name(st), err->message);
    if (st == MONGOAUTH_STATUS_GSS_FAILURE)
        fprintf(stderr, "GSS major 0x%08x minor 0x%08x (%u)\n", (unsigned)err->gss_major,
                (unsigned)err->gss_minor, (unsigned)err->gss_minor);
    if (err->server_code) fprintf(stderr, "server code %d\n", (int)err->server_code);
}

static int exit_code(mongoauth_status st) {
    return st == MONGOAUTH_STATUS_AUTHENTICATION_FAILED ? 2
           : st == MONGOAUTH_STATUS_GSS_FAILURE         ? 3
                                                        : 1;
}

#define TRY(what, call)                  \
    do {                                 \
        st = (call);                     \
        if (st != MONGOAUTH_STATUS_OK) { \
            report(what, st, &err);      \
            rc = exit_code(st);          \
            goto out;                    \
        }                                \
    } while (0)

int main(int argc, char **argv) {
    const char *uri_text = "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI";
    const char *external_user = "user@MONGOAUTH.TEST";
    bool add_user = true;
    mongoauth_error err;
    mongoauth_status st;
    int rc = 1, i;
    mongoauth_uri *uri = NULL;
    mongoauth_authenticator *auth = NULL;
    mongoauth_server_session *session = NULL;
    client_gss cgss = {GSS_C_NO_CONTEXT, GSS_C_NO_NAME, GSS_C_NO_CREDENTIAL, NULL, 0};
    server_gss sgss = {GSS_C_NO_CONTEXT, GSS_C_NO_NAME};
    mongoauth_gss_callbacks client_cb, server_cb;
    uint8_t entropy[MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES], secret[MONGOAUTH_SERVER_SESSION_SECRET_BYTES];
    uint8_t nonce[MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES];
    static uint8_t scratch[MONGOAUTH_GSS_MAX_TOKEN_BYTES];
    static uint8_t command[32768], reply[32768];
    size_t command_len, reply_len;
    bool authenticated = false, by_hand = false, by_credential = false;
    static unsigned char auth_mem[2][MONGOAUTH_AUTHENTICATOR_SIZE] MONGOAUTH_ALIGNED(8);
    static unsigned char session_mem[2][MONGOAUTH_SERVER_SESSION_SIZE] MONGOAUTH_ALIGNED(8);
    unsigned char *auth_homes[2] = {auth_mem[0], auth_mem[1]};
    unsigned char *session_homes[2] = {session_mem[0], session_mem[1]};

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-user") == 0)
            add_user = false;
        else if (strcmp(argv[i], "--step-by-step") == 0)
            by_hand = true;
        else if (strcmp(argv[i], "--credential") == 0)
            by_credential = true;
        else
            uri_text = argv[i];
    }
    memset(&err, 0, sizeof err);

    /* The client's library: only the initiator members. */
    memset(&client_cb, 0, sizeof client_cb);
    client_cb.user_data = &cgss;
    client_cb.init_step = init_step;
    client_cb.init_wrap = init_wrap;
    client_cb.init_unwrap = init_unwrap;
    /* The server's library: only the acceptor members. */
    memset(&server_cb, 0, sizeof server_cb);
    server_cb.user_data = &sgss;
    server_cb.accept_step = accept_step;
    server_cb.accept_wrap = accept_wrap;
    server_cb.accept_unwrap = accept_unwrap;
    server_cb.accept_source_name = accept_source_name;
    server_cb.accept_reset = accept_reset;

    /* Server: a session that knows the principal as a $external user. */
    if (by_hand)
        TRY("session", mongoauth_server_session_init_static(session_homes[0],
                                                            MONGOAUTH_SERVER_SESSION_SIZE, &session,
                                                            &err));
    else
        TRY("session", mongoauth_server_session_new(&session, &err));
    if (add_user)
        TRY("add user", mongoauth_server_session_add_external_user(
                            session, (const uint8_t *)external_user, strlen(external_user), &err));
    TRY("acceptor", mongoauth_server_session_set_gss_callbacks(session, &server_cb, &err));
    TRY("random", mongoauth_random_bytes(secret, sizeof secret, &err));
    TRY("start session", mongoauth_server_session_start(session, secret, sizeof secret, 1, &err));

    if (by_hand)
        TRY("authenticator", mongoauth_authenticator_init_static(
                                 auth_homes[0], MONGOAUTH_AUTHENTICATOR_SIZE, &auth, &err));
    else
        TRY("authenticator", mongoauth_authenticator_new(&auth, &err));
    TRY("random", mongoauth_random_bytes(entropy, sizeof entropy, &err));
    if (by_credential) {
        /* Client: a credential, then the host and properties one by one. */
        static const char user[] = "user@MONGOAUTH.TEST", source[] = "$external";
        static const char host[] = "127.0.0.1", service_host[] = "localhost";
        static const char realm[] = "MONGOAUTH.TEST";
        mongoauth_credential cred;
        memset(&cred, 0, sizeof cred);
        cred.mechanism = MONGOAUTH_MECHANISM_GSSAPI;
        cred.username = (const uint8_t *)user;
        cred.username_len = strlen(user);
        cred.source = (const uint8_t *)source;
        cred.source_len = strlen(source);
        TRY("gss host",
            mongoauth_authenticator_set_gss_host(auth, (const uint8_t *)host, strlen(host), &err));
        TRY("gss properties",
            mongoauth_authenticator_set_gss_properties(
                auth, NULL, 0, (const uint8_t *)realm, strlen(realm),
                (const uint8_t *)service_host, strlen(service_host),
                MONGOAUTH_GSS_CANONICALIZE_NONE, &err));
        TRY("start", mongoauth_authenticator_start(auth, &cred, entropy, sizeof entropy, &err));
    } else {
        /* Client: the credential, host and mechanism properties from the URI. */
        TRY("uri", mongoauth_uri_new(&uri, &err));
        TRY("parse", mongoauth_uri_parse(uri, (const uint8_t *)uri_text, strlen(uri_text), &err));
        TRY("start", mongoauth_authenticator_start_uri(auth, uri, entropy, sizeof entropy, &err));
    }

    for (;;) {
        mongoauth_next next;
        bool done = false;
        TRY("next", mongoauth_authenticator_next(auth, &next, &err));
        if (next == MONGOAUTH_NEXT_DONE) break;
        if (by_hand) {
            /* Both objects move between every two calls. */
            auth = move_obj(auth, auth_homes, MONGOAUTH_AUTHENTICATOR_SIZE);
            session = move_obj(session, session_homes, MONGOAUTH_SERVER_SESSION_SIZE);
        }
        if (next == MONGOAUTH_NEXT_NEED_GSS_INIT || next == MONGOAUTH_NEXT_NEED_GSS_UNWRAP ||
            next == MONGOAUTH_NEXT_NEED_GSS_WRAP) {
            if (by_hand) {
                mongoauth_gss_callbacks none;
                memset(&none, 0, sizeof none);
                /* misuse: no initiator callbacks */
                if (mongoauth_authenticator_provide_gss_with(auth, &none, scratch, sizeof scratch,
                                                             NULL) != MONGOAUTH_STATUS_NULL_POINTER) {
                    fprintf(stderr, "NULL callbacks were accepted\n");
                    goto out;
                }
                TRY("gss", gss_by_hand(auth, &cgss, scratch, sizeof scratch, &err));
                continue;
            }
            /* Whichever GSS operation is pending, through the callbacks. */
            cgss.busy_check = auth;
            TRY("gss", mongoauth_authenticator_provide_gss_with(auth, &client_cb, scratch,
                                                                sizeof scratch, &err));
            continue;
        }
        if (by_hand) {
            mongoauth_gss_request rq;
            /* misuse: no GSS operation is pending */
            if (mongoauth_authenticator_gss_request(auth, &rq, NULL) !=
                MONGOAUTH_STATUS_UNEXPECTED_STEP) {
                fprintf(stderr, "gss_request out of turn was accepted\n");
                goto out;
            }
        }
        if (next != MONGOAUTH_NEXT_SEND) {
            fprintf(stderr, "unexpected step %u\n", (unsigned)next);
            goto out;
        }
        TRY("command",
            mongoauth_authenticator_command(auth, command, sizeof command, &command_len, &err));
        /* "Send" it to the server and "receive" its reply. */
        TRY("random", mongoauth_random_bytes(nonce, sizeof nonce, &err));
        TRY("server", mongoauth_server_session_handle(session, command, command_len, nonce,
                                                      sizeof nonce, reply, sizeof reply,
                                                      &reply_len, &err));
        TRY("reply", mongoauth_authenticator_handle_reply(auth, reply, reply_len, &done, &err));
    }
    authenticated = mongoauth_authenticator_is_authenticated(auth);
    if (authenticated) {
        uint8_t user[256], db[64];
        size_t user_len, db_len;
        TRY("who", mongoauth_server_session_user(session, user, sizeof user, &user_len, db,
                                                 sizeof db, &db_len, &err));
        printf("logged in with GSSAPI as %.*s on %.*s\n", (int)user_len, (const char *)user,
               (int)db_len, (const char *)db);
        if (!by_hand && cgss.busy_seen == 0) {
            fprintf(stderr, "a call from inside a callback was not refused with BUSY\n");
            goto out;
        }
        rc = 0;
    }
out:
    if (by_hand) {
        /* _clear and _free fail only on misuse (a wrong pointer) */
        if (auth && mongoauth_authenticator_clear(auth, NULL) != MONGOAUTH_STATUS_OK) rc = 1;
        if (session && mongoauth_server_session_clear(session, NULL) != MONGOAUTH_STATUS_OK) rc = 1;
    } else {
        if (mongoauth_authenticator_free(auth) != MONGOAUTH_STATUS_OK) rc = 1;
        if (mongoauth_server_session_free(session) != MONGOAUTH_STATUS_OK) rc = 1;
    }
    if (mongoauth_uri_free(uri) != MONGOAUTH_STATUS_OK) rc = 1;
    client_gss_release(&cgss);
    accept_reset(&sgss);
    return rc;
}

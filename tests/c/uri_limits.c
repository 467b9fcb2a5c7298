/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection strings as large as the drivers accept, through the C ABI: a
 * 5,000-byte password, 200 hosts, a URI of exactly MONGOAUTH_URI_MAX_BYTES
 * (64 KiB), and one byte more refused with CAPACITY before any byte behind
 * the pointer is read (the pointer here is to a 16-byte buffer: ASan and
 * valgrind would see a read). Also: an IPv6 zone id, the scheme's case, and
 * an encoded comma in authMechanismProperties. Static memory only.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mongoauth.h"
#include "check.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static mongoauth_error err;
static mongoauth_uri uri_mem;
static char text[MONGOAUTH_URI_MAX_BYTES + 1];
static uint8_t out[MONGOAUTH_URI_MAX_BYTES];
static char password[5001];

/* Append `s` at `*len` (bounded by the text buffer). */
static void put(size_t *len, const char *s) {
    size_t n = strlen(s);
    if (*len + n <= MONGOAUTH_URI_MAX_BYTES) {
        memcpy(text + *len, s, n);
        *len += n;
    }
}

/* `mongodb://user:<5000-byte password>@h0.example.com:27017,...` with `hosts`
 * hosts, padded with `&unknownN=value` options (and then `x`s in the last
 * value) to exactly `target` bytes when `target` is non-zero. */
static size_t build(int hosts, size_t target) {
    size_t len = 0;
    int i;
    char piece[64];
    put(&len, "mongodb://user:");
    put(&len, password);
    put(&len, "@");
    for (i = 0; i < hosts; i++) {
        snprintf(piece, sizeof piece, "%sh%d.example.com:%d", i ? "," : "", i, 27017 + i);
        put(&len, piece);
    }
    put(&len, "/admin?appName=limits");
    for (i = 0; target && len + 40 < target; i++) {
        snprintf(piece, sizeof piece, "&unknown%d=value", i);
        put(&len, piece);
    }
    while (target && len < target) {
        text[len++] = 'x';
    }
    return len;
}

int main(void) {
    mongoauth_uri *u = NULL;
    size_t i, len, count = 0, written = 0;
    bool found = false;
    uint16_t port = 0;
    uint32_t kind = 0;
    static const uint8_t short_text[16] = "mongodb://host/";

    for (i = 0; i < 5000; i++) {
        password[i] = (char)('a' + i % 26);
    }
    EXPECT(MONGOAUTH_URI_MAX_BYTES >= 65536);
    EXPECT(mongoauth_uri_max_bytes() == MONGOAUTH_URI_MAX_BYTES);
    EXPECT(sizeof(mongoauth_uri) == MONGOAUTH_URI_SIZE);
    EXPECT_OK(mongoauth_uri_init_static(&uri_mem, sizeof uri_mem, &u, &err));

    /* A 5,000-byte password: the size needed, then the password. */
    len = build(1, 0);
    EXPECT_OK(mongoauth_uri_parse(u, (const uint8_t *)text, len, &err));
    EXPECT_STATUS(mongoauth_uri_credential_password(u, out, 4999, &written, &found, &err),
                  MONGOAUTH_STATUS_BUFFER_TOO_SMALL);
    EXPECT(written == 5000);
    EXPECT_OK(mongoauth_uri_credential_password(u, out, sizeof out, &written, &found, &err));
    EXPECT(found && written == 5000 && memcmp(out, password, 5000) == 0);
    EXPECT_OK(mongoauth_memory_zero(out, sizeof out));

    /* 200 hosts. */
    len = build(200, 0);
    EXPECT_OK(mongoauth_uri_parse(u, (const uint8_t *)text, len, &err));
    EXPECT_OK(mongoauth_uri_host_count(u, &count, &err));
    EXPECT(count == 200);
    EXPECT_OK(mongoauth_uri_host(u, 199, out, sizeof out, &written, &port, &kind, &err));
    EXPECT(written == strlen("h199.example.com") && memcmp(out, "h199.example.com", written) == 0);
    EXPECT(port == 27017 + 199);

    /* Exactly MONGOAUTH_URI_MAX_BYTES. */
    len = build(200, MONGOAUTH_URI_MAX_BYTES);
    EXPECT(len == MONGOAUTH_URI_MAX_BYTES);
    EXPECT_OK(mongoauth_uri_parse(u, (const uint8_t *)text, len, &err));
    EXPECT_OK(mongoauth_uri_host_count(u, &count, &err));
    EXPECT(count == 200);
    EXPECT_OK(mongoauth_uri_credential_password(u, out, sizeof out, &written, &found, &err));
    EXPECT(found && written == 5000);
    EXPECT_OK(mongoauth_memory_zero(out, sizeof out));
    EXPECT_OK(mongoauth_uri_warning_count(u, &count, &err));
    EXPECT(count > 1000);

    /* One byte more: CAPACITY, and nothing behind the pointer is read. */
    EXPECT_STATUS(mongoauth_uri_parse(u, short_text, MONGOAUTH_URI_MAX_BYTES + 1, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_uri_parse(u, short_text, (size_t)-1 / 2, &err),
                  MONGOAUTH_STATUS_CAPACITY);
    EXPECT_STATUS(mongoauth_uri_host_count(u, &count, &err), MONGOAUTH_STATUS_UNEXPECTED_STEP);

    /* An IPv6 zone id is kept (decoded, as libmongoc and pymongo hold it). */
    EXPECT_OK(mongoauth_uri_parse(u, S("mongodb://[fe80::1%25eth0]:27018/"), &err));
    EXPECT_OK(mongoauth_uri_host(u, 0, out, sizeof out, &written, &port, &kind, &err));
    EXPECT(written == 12 && memcmp(out, "fe80::1%eth0", 12) == 0);
    EXPECT(port == 27018 && kind == MONGOAUTH_HOST_IP_LITERAL);
    EXPECT_STATUS(mongoauth_uri_parse(u, S("mongodb://[fe80::1%eth0]/"), &err),
                  MONGOAUTH_STATUS_URI_SYNTAX);

    /* The scheme is case-sensitive. */
    EXPECT_STATUS(mongoauth_uri_parse(u, S("MONGODB://localhost"), &err), MONGOAUTH_STATUS_URI_SYNTAX);
    EXPECT(err.offset == 0);

    /* An encoded comma stays in its value, with a warning. */
    EXPECT_OK(mongoauth_uri_parse(
        u,
        S("mongodb://u@localhost/?authMechanism=MONGODB-OIDC"
          "&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%2Cv2"),
        &err));
    EXPECT_OK(mongoauth_uri_warning_count(u, &count, &err));
    EXPECT(count == 1);
    EXPECT_OK(mongoauth_uri_warning(u, 0, out, sizeof out, &written, &kind, NULL, &err));
    EXPECT(kind == MONGOAUTH_URI_WARNING_ENCODED_COMMA);

    EXPECT_OK(mongoauth_uri_clear(u, &err));
    return check_report();
}

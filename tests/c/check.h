/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal test harness: EXPECT_* count, the program prints "N passed, M failed". */
#ifndef MONGOAUTH_TEST_CHECK_H
#define MONGOAUTH_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define EXPECT(cond)                                                              \
    do {                                                                          \
        if (cond) {                                                               \
            check_passed++;                                                       \
        } else {                                                                  \
            check_failed++;                                                       \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                         \
    } while (0)

#define EXPECT_STATUS(call, want)                                                 \
    do {                                                                          \
        mongoauth_status got_ = (call);                                           \
        if (got_ == (mongoauth_status)(want)) {                                   \
            check_passed++;                                                       \
        } else {                                                                  \
            check_failed++;                                                       \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__,     \
                    __LINE__, #call, mongoauth_status_name(got_),                 \
                    mongoauth_status_name(want));                                 \
        }                                                                         \
    } while (0)

#define EXPECT_OK(call) EXPECT_STATUS(call, MONGOAUTH_STATUS_OK)

static int check_report(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}
#endif

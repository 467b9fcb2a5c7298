/* An outside consumer of one per-object header: mongoauth/uri.h alone is
   enough to parse a connection string (it brings mongoauth/common.h). */
#include <mongoauth/uri.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    static mongoauth_uri mem;
    mongoauth_uri *u = NULL;
    const char *text = "mongodb+srv://alice:pencil@cluster0.example.com/?authSource=admin";
    mongoauth_status st = mongoauth_uri_init_static(&mem, sizeof mem, &u, NULL);
    if (st == MONGOAUTH_STATUS_OK) st = mongoauth_uri_parse(u, (const uint8_t *)text, strlen(text), NULL);
    if (st != MONGOAUTH_STATUS_OK || !mongoauth_uri_is_srv(u) || !mongoauth_uri_uses_tls(u)) {
        printf("per_object: %s\n", mongoauth_status_name(st));
        return 1;
    }
    printf("per_object: mongoauth %s, SRV with TLS\n", mongoauth_version_string());
    return mongoauth_uri_clear(u, NULL) == MONGOAUTH_STATUS_OK ? 0 : 1;
}

"""The C declarations the binding uses: a trimmed copy of include/mongoauth.h
(cffi cannot parse the generated header's attributes and assertions).
tests/test_lowlevel.py checks that every function of the header is declared
here and that struct sizes match the library's `_size()` functions."""

CDEF = """
typedef uint32_t mongoauth_status;

typedef struct mongoauth_error {
    uint32_t status;
    uint32_t message_len;
    char message[256];
    int64_t offset;
    int32_t server_code;
    uint32_t gss_major;
    uint32_t gss_minor;
    uint32_t reserved;
} mongoauth_error;

typedef struct mongoauth_gss_failure {
    uint32_t major;
    uint32_t minor;
    size_t text_len;
    char text[256];
} mongoauth_gss_failure;

typedef struct mongoauth_gss_request {
    uint32_t kind;
    const uint8_t *service;
    size_t service_len;
    const uint8_t *host;
    size_t host_len;
    const uint8_t *realm;
    size_t realm_len;
    uint32_t canonicalize;
    const uint8_t *principal;
    size_t principal_len;
    const uint8_t *password;
    size_t password_len;
    const uint8_t *input;
    size_t input_len;
} mongoauth_gss_request;

typedef uint32_t (*mongoauth_gss_init_step_fn)(void *user_data, const struct mongoauth_gss_request *request, uint8_t *out, size_t capacity, size_t *written, bool *complete, struct mongoauth_gss_failure *failure);
typedef uint32_t (*mongoauth_gss_accept_step_fn)(void *user_data, const uint8_t *input, size_t input_len, uint8_t *out, size_t capacity, size_t *written, bool *complete, struct mongoauth_gss_failure *failure);
typedef uint32_t (*mongoauth_gss_transform_fn)(void *user_data, const uint8_t *input, size_t input_len, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_gss_failure *failure);
typedef uint32_t (*mongoauth_gss_source_name_fn)(void *user_data, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_gss_failure *failure);
typedef void (*mongoauth_gss_reset_fn)(void *user_data);

typedef struct mongoauth_gss_callbacks {
    void *user_data;
    mongoauth_gss_init_step_fn init_step;
    mongoauth_gss_transform_fn init_wrap;
    mongoauth_gss_transform_fn init_unwrap;
    mongoauth_gss_accept_step_fn accept_step;
    mongoauth_gss_transform_fn accept_wrap;
    mongoauth_gss_transform_fn accept_unwrap;
    mongoauth_gss_source_name_fn accept_source_name;
    mongoauth_gss_reset_fn accept_reset;
} mongoauth_gss_callbacks;

typedef struct mongoauth_scram_keys {
    uint32_t mechanism;
    uint32_t iterations;
    uint32_t salt_len;
    uint32_t key_len;
    uint8_t salt[64];
    uint8_t client_key[32];
    uint8_t server_key[32];
} mongoauth_scram_keys;

typedef struct mongoauth_scram_credentials {
    uint32_t mechanism;
    uint32_t iterations;
    uint32_t salt_len;
    uint32_t key_len;
    uint8_t salt[64];
    uint8_t stored_key[32];
    uint8_t server_key[32];
} mongoauth_scram_credentials;

typedef struct mongoauth_scram_client mongoauth_scram_client;
typedef struct mongoauth_scram_server mongoauth_scram_server;
typedef struct mongoauth_key_cache mongoauth_key_cache;

const char *mongoauth_version_string(void);
uint32_t mongoauth_version_number(void);
size_t mongoauth_scram_max_message_bytes(void);
size_t mongoauth_scram_max_username_bytes(void);
size_t mongoauth_scram_max_password_bytes(void);
size_t mongoauth_scram_min_entropy_bytes(void);
size_t mongoauth_scram_max_entropy_bytes(void);
uint32_t mongoauth_scram_min_iterations(void);
uint32_t mongoauth_scram_default_max_iterations(void);
size_t mongoauth_error_size(void);
size_t mongoauth_error_message_size(void);
mongoauth_status mongoauth_memory_zero(void *p, size_t len);
mongoauth_status mongoauth_random_bytes(uint8_t *out, size_t len, mongoauth_error *err);

size_t mongoauth_key_cache_size(void);
size_t mongoauth_key_cache_align(void);
size_t mongoauth_key_cache_slots(void);
mongoauth_status mongoauth_key_cache_init_static(void *mem, size_t mem_len, mongoauth_key_cache **out, mongoauth_error *err);
mongoauth_status mongoauth_key_cache_clear(mongoauth_key_cache *cache, mongoauth_error *err);
mongoauth_status mongoauth_key_cache_purge(mongoauth_key_cache *cache, mongoauth_error *err);
mongoauth_status mongoauth_key_cache_len(const mongoauth_key_cache *cache, size_t *len, mongoauth_error *err);
mongoauth_status mongoauth_key_cache_new(mongoauth_key_cache **out, mongoauth_error *err);
mongoauth_status mongoauth_key_cache_free(mongoauth_key_cache *cache);

size_t mongoauth_scram_client_size(void);
size_t mongoauth_scram_client_align(void);
mongoauth_status mongoauth_scram_client_init_static(void *mem, size_t mem_len, mongoauth_scram_client **out, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_clear(mongoauth_scram_client *client, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_new(mongoauth_scram_client **out, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_free(mongoauth_scram_client *client);
mongoauth_status mongoauth_scram_client_set_max_iterations(mongoauth_scram_client *client, uint32_t max_iterations, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_start(mongoauth_scram_client *client, uint32_t mechanism, const uint8_t *username, size_t username_len, const uint8_t *password, size_t password_len, const uint8_t *entropy, size_t entropy_len, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_start_with_keys(mongoauth_scram_client *client, const uint8_t *username, size_t username_len, const mongoauth_scram_keys *keys, const uint8_t *entropy, size_t entropy_len, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_message(const mongoauth_scram_client *client, uint8_t *out, size_t capacity, size_t *written, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_step(mongoauth_scram_client *client, const uint8_t *input, size_t input_len, mongoauth_key_cache *cache, bool *done, mongoauth_error *err);
bool mongoauth_scram_client_is_authenticated(const mongoauth_scram_client *client);
mongoauth_status mongoauth_scram_client_mechanism(const mongoauth_scram_client *client, uint32_t *mechanism, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_keys(const mongoauth_scram_client *client, mongoauth_scram_keys *keys, mongoauth_error *err);

const char *mongoauth_mechanism_name(uint32_t mechanism);
mongoauth_status mongoauth_mechanism_from_name(const uint8_t *name, size_t name_len, uint32_t *mechanism, mongoauth_error *err);
mongoauth_status mongoauth_scram_credentials_generate(uint32_t mechanism, const uint8_t *username, size_t username_len, const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len, uint32_t iterations, mongoauth_scram_credentials *out, mongoauth_error *err);
mongoauth_status mongoauth_scram_credentials_decoy(uint32_t mechanism, const uint8_t *secret, size_t secret_len, const uint8_t *username, size_t username_len, mongoauth_scram_credentials *out, mongoauth_error *err);
size_t mongoauth_scram_keys_size(void);
size_t mongoauth_scram_credentials_size(void);
size_t mongoauth_scram_max_salt_bytes(void);
size_t mongoauth_scram_max_key_bytes(void);
size_t mongoauth_scram_max_secret_bytes(void);

size_t mongoauth_scram_server_size(void);
size_t mongoauth_scram_server_align(void);
mongoauth_status mongoauth_scram_server_init_static(void *mem, size_t mem_len, mongoauth_scram_server **out, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_clear(mongoauth_scram_server *server, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_new(mongoauth_scram_server **out, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_free(mongoauth_scram_server *server);
mongoauth_status mongoauth_scram_server_start(mongoauth_scram_server *server, uint32_t mechanism, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_handle_client_first(mongoauth_scram_server *server, const uint8_t *input, size_t input_len, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_username(const mongoauth_scram_server *server, uint8_t *out, size_t capacity, size_t *written, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_respond(mongoauth_scram_server *server, const mongoauth_scram_credentials *credentials, const uint8_t *entropy, size_t entropy_len, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_handle_client_final(mongoauth_scram_server *server, const uint8_t *input, size_t input_len, mongoauth_error *err);
mongoauth_status mongoauth_scram_server_message(const mongoauth_scram_server *server, uint8_t *out, size_t capacity, size_t *written, mongoauth_error *err);
bool mongoauth_scram_server_is_authenticated(const mongoauth_scram_server *server);


typedef struct mongoauth_uri mongoauth_uri;
typedef struct mongoauth_authenticator mongoauth_authenticator;
typedef struct mongoauth_server_session mongoauth_server_session;

typedef struct mongoauth_credential {
    uint32_t mechanism;
    const uint8_t *username;
    size_t username_len;
    const uint8_t *password;
    size_t password_len;
    const uint8_t *source;
    size_t source_len;
} mongoauth_credential;

typedef struct mongoauth_uri_host_spec {
    const uint8_t *host;
    size_t host_len;
    uint16_t port;
} mongoauth_uri_host_spec;

typedef struct mongoauth_uri_option_pair {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
} mongoauth_uri_option_pair;

typedef struct mongoauth_uri_parts {
    bool srv;
    const mongoauth_uri_host_spec *hosts;
    size_t host_count;
    const uint8_t *username;
    size_t username_len;
    const uint8_t *password;
    size_t password_len;
    const uint8_t *database;
    size_t database_len;
    const mongoauth_uri_option_pair *options;
    size_t option_count;
} mongoauth_uri_parts;

typedef ptrdiff_t (*mongoauth_read_fn)(void *ctx, uint8_t *buf, size_t len);
typedef ptrdiff_t (*mongoauth_write_fn)(void *ctx, const uint8_t *buf, size_t len);
typedef uint64_t (*mongoauth_clock_fn)(void *ctx);

size_t mongoauth_authenticator_size(void);
size_t mongoauth_authenticator_align(void);
size_t mongoauth_authenticator_entropy_bytes(void);
size_t mongoauth_authenticator_max_username_bytes(void);
size_t mongoauth_authenticator_max_source_bytes(void);
size_t mongoauth_authenticator_handshake_buffer_bytes(void);
size_t mongoauth_authenticator_payload_bytes(void);
size_t mongoauth_authenticator_max_token_bytes(void);
size_t mongoauth_authenticator_max_aws_key_bytes(void);
size_t mongoauth_authenticator_max_aws_session_token_bytes(void);
mongoauth_status mongoauth_authenticator_init_static(void *mem, size_t mem_len, struct mongoauth_authenticator **out, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_clear(struct mongoauth_authenticator *auth, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_new(struct mongoauth_authenticator **out, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_free(struct mongoauth_authenticator *auth);
mongoauth_status mongoauth_authenticator_set_max_iterations(struct mongoauth_authenticator *auth, uint32_t max_iterations, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_set_speculative(struct mongoauth_authenticator *auth, bool speculative, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_set_legacy_hello(struct mongoauth_authenticator *auth, bool legacy_hello, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_set_key_cache(struct mongoauth_authenticator *auth, struct mongoauth_key_cache *cache, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_start(struct mongoauth_authenticator *auth, const struct mongoauth_credential *cred, const uint8_t *entropy, size_t entropy_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_start_uri(struct mongoauth_authenticator *auth, const struct mongoauth_uri *uri, const uint8_t *entropy, size_t entropy_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_command(const struct mongoauth_authenticator *auth, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_command_frame(const struct mongoauth_authenticator *auth, int32_t request_id, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_handle_reply(struct mongoauth_authenticator *auth, const uint8_t *body, size_t body_len, bool *done, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_handle_reply_frame(struct mongoauth_authenticator *auth, const uint8_t *frame, size_t frame_len, int32_t request_id, bool *done, struct mongoauth_error *err);
bool mongoauth_authenticator_is_authenticated(const struct mongoauth_authenticator *auth);
mongoauth_status mongoauth_authenticator_mechanism(const struct mongoauth_authenticator *auth, uint32_t *mechanism, struct mongoauth_error *err);
bool mongoauth_authenticator_used_speculative(const struct mongoauth_authenticator *auth);
typedef uint32_t mongoauth_next;
mongoauth_status mongoauth_authenticator_next(const struct mongoauth_authenticator *auth, mongoauth_next *next, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_time(struct mongoauth_authenticator *auth, uint64_t unix_seconds, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_aws_credentials(struct mongoauth_authenticator *auth, const uint8_t *access_key_id, size_t access_key_id_len, const uint8_t *secret_access_key, size_t secret_access_key_len, const uint8_t *session_token, size_t session_token_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_token(struct mongoauth_authenticator *auth, const uint8_t *token, size_t token_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_handshake(struct mongoauth_authenticator *auth, mongoauth_read_fn read_cb, mongoauth_write_fn write_cb, void *ctx, uint8_t *buf, size_t capacity, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_handshake_until(struct mongoauth_authenticator *auth, mongoauth_read_fn read_cb, mongoauth_write_fn write_cb, mongoauth_clock_fn clock_cb, void *ctx, uint64_t deadline_ms, uint8_t *buf, size_t capacity, struct mongoauth_error *err);
size_t mongoauth_server_session_size(void);
size_t mongoauth_server_session_align(void);
size_t mongoauth_server_session_entropy_bytes(void);
size_t mongoauth_server_session_salt_bytes(void);
size_t mongoauth_server_session_secret_bytes(void);
size_t mongoauth_server_session_reply_bytes(void);
mongoauth_status mongoauth_server_session_init_static(void *mem, size_t mem_len, struct mongoauth_server_session **out, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_clear(struct mongoauth_server_session *session, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_new(struct mongoauth_server_session **out, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_free(struct mongoauth_server_session *session);
mongoauth_status mongoauth_server_session_add_user(struct mongoauth_server_session *session, const uint8_t *db, size_t db_len, const uint8_t *user, size_t user_len, const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_start(struct mongoauth_server_session *session, const uint8_t *secret, size_t secret_len, int64_t connection_id, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_handle(struct mongoauth_server_session *session, const uint8_t *body, size_t body_len, const uint8_t *entropy, size_t entropy_len, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_handle_legacy(struct mongoauth_server_session *session, const uint8_t *body, size_t body_len, const uint8_t *db, size_t db_len, const uint8_t *entropy, size_t entropy_len, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_handle_frame(struct mongoauth_server_session *session, const uint8_t *frame, size_t frame_len, const uint8_t *entropy, size_t entropy_len, int32_t reply_id, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
bool mongoauth_server_session_is_authenticated(const struct mongoauth_server_session *session);
mongoauth_status mongoauth_server_session_user(const struct mongoauth_server_session *session, uint8_t *user, size_t user_cap, size_t *user_written, uint8_t *db, size_t db_cap, size_t *db_written, struct mongoauth_error *err);
size_t mongoauth_uri_size(void);
size_t mongoauth_uri_align(void);
size_t mongoauth_uri_max_bytes(void);
mongoauth_status mongoauth_uri_init_static(void *mem, size_t mem_len, struct mongoauth_uri **out, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_clear(struct mongoauth_uri *uri, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_new(struct mongoauth_uri **out, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_free(struct mongoauth_uri *uri);
mongoauth_status mongoauth_uri_parse(struct mongoauth_uri *uri, const uint8_t *text, size_t text_len, struct mongoauth_error *err);
bool mongoauth_uri_is_srv(const struct mongoauth_uri *uri);
mongoauth_status mongoauth_uri_host_count(const struct mongoauth_uri *uri, size_t *count, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_host(const struct mongoauth_uri *uri, size_t index, uint8_t *out, size_t capacity, size_t *written, uint16_t *port, uint32_t *kind, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_database(const struct mongoauth_uri *uri, uint8_t *out, size_t capacity, size_t *written, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_option_count(const struct mongoauth_uri *uri, size_t *count, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_option_name(const struct mongoauth_uri *uri, size_t index, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_option(const struct mongoauth_uri *uri, const uint8_t *name, size_t name_len, uint8_t *out, size_t capacity, size_t *written, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_option_bool(const struct mongoauth_uri *uri, const uint8_t *name, size_t name_len, bool *value, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_option_int(const struct mongoauth_uri *uri, const uint8_t *name, size_t name_len, int64_t *value, bool *found, struct mongoauth_error *err);
bool mongoauth_uri_uses_tls(const struct mongoauth_uri *uri);
mongoauth_status mongoauth_uri_auth_mechanism(const struct mongoauth_uri *uri, uint32_t *mechanism, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_srv_query_name(const struct mongoauth_uri *uri, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_warning_count(const struct mongoauth_uri *uri, size_t *count, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_warning(const struct mongoauth_uri *uri, size_t index, uint8_t *out, size_t capacity, size_t *written, uint32_t *kind, size_t *offset, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_has_credential(const struct mongoauth_uri *uri, bool *present, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_credential_mechanism(const struct mongoauth_uri *uri, uint32_t *mechanism, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_credential_username(const struct mongoauth_uri *uri, uint8_t *out, size_t capacity, size_t *written, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_credential_password(const struct mongoauth_uri *uri, uint8_t *out, size_t capacity, size_t *written, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_credential_source(const struct mongoauth_uri *uri, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_credential_property(const struct mongoauth_uri *uri, const uint8_t *name, size_t name_len, uint8_t *out, size_t capacity, size_t *written, bool *found, struct mongoauth_error *err);
mongoauth_status mongoauth_uri_encode(const struct mongoauth_uri_parts *parts, uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
size_t mongoauth_gss_max_token_bytes(void);
size_t mongoauth_gss_max_principal_bytes(void);
size_t mongoauth_gss_status_text_bytes(void);
bool mongoauth_gss_system_available(void);
mongoauth_status mongoauth_authenticator_set_gss_host(struct mongoauth_authenticator *auth, const uint8_t *host, size_t host_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_set_gss_properties(struct mongoauth_authenticator *auth, const uint8_t *service, size_t service_len, const uint8_t *realm, size_t realm_len, const uint8_t *service_host, size_t service_host_len, uint32_t canonicalize, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_gss_request(struct mongoauth_authenticator *auth, struct mongoauth_gss_request *request, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_gss_step(struct mongoauth_authenticator *auth, const uint8_t *token, size_t token_len, bool complete, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_gss_unwrapped(struct mongoauth_authenticator *auth, const uint8_t *message, size_t message_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_gss_wrapped(struct mongoauth_authenticator *auth, const uint8_t *token, size_t token_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_fail_gss(struct mongoauth_authenticator *auth, const struct mongoauth_gss_failure *failure, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_gss_with(struct mongoauth_authenticator *auth, const struct mongoauth_gss_callbacks *callbacks, uint8_t *scratch, size_t scratch_len, struct mongoauth_error *err);
mongoauth_status mongoauth_authenticator_provide_gss_system(struct mongoauth_authenticator *auth, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_add_external_user(struct mongoauth_server_session *session, const uint8_t *user, size_t user_len, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_set_gss_callbacks(struct mongoauth_server_session *session, const struct mongoauth_gss_callbacks *callbacks, struct mongoauth_error *err);
mongoauth_status mongoauth_server_session_set_gss_system(struct mongoauth_server_session *session, const uint8_t *keytab, size_t keytab_len, struct mongoauth_error *err);

const char *mongoauth_status_name(uint32_t code);
const char *mongoauth_status_strerror(uint32_t code);
"""

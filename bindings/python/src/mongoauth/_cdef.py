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
} mongoauth_error;

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

const char *mongoauth_version(void);
uint32_t mongoauth_version_number(void);
size_t mongoauth_scram_max_message_bytes(void);
size_t mongoauth_max_username_bytes(void);
size_t mongoauth_max_password_bytes(void);
size_t mongoauth_min_entropy_bytes(void);
size_t mongoauth_max_entropy_bytes(void);
uint32_t mongoauth_min_iterations(void);
uint32_t mongoauth_default_max_iterations(void);
size_t mongoauth_error_size(void);
size_t mongoauth_error_message_size(void);
mongoauth_status mongoauth_memzero(void *p, size_t len);
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
mongoauth_status mongoauth_scram_client_is_authenticated(const mongoauth_scram_client *client, bool *authenticated, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_mechanism(const mongoauth_scram_client *client, uint32_t *mechanism, mongoauth_error *err);
mongoauth_status mongoauth_scram_client_keys(const mongoauth_scram_client *client, mongoauth_scram_keys *keys, mongoauth_error *err);

const char *mongoauth_mechanism_name(uint32_t mechanism);
mongoauth_status mongoauth_mechanism_from_name(const uint8_t *name, size_t name_len, uint32_t *mechanism, mongoauth_error *err);
mongoauth_status mongoauth_scram_credentials_generate(uint32_t mechanism, const uint8_t *username, size_t username_len, const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len, uint32_t iterations, mongoauth_scram_credentials *out, mongoauth_error *err);
mongoauth_status mongoauth_scram_credentials_decoy(uint32_t mechanism, const uint8_t *secret, size_t secret_len, const uint8_t *username, size_t username_len, mongoauth_scram_credentials *out, mongoauth_error *err);
size_t mongoauth_scram_keys_size(void);
size_t mongoauth_scram_credentials_size(void);
size_t mongoauth_max_salt_bytes(void);
size_t mongoauth_max_key_bytes(void);

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
mongoauth_status mongoauth_scram_server_is_authenticated(const mongoauth_scram_server *server, bool *authenticated, mongoauth_error *err);

const char *mongoauth_status_name(uint32_t code);
const char *mongoauth_strerror(uint32_t code);
"""

/* Log in to a MongoDB server with the MongoDB C driver (libmongoc) and prove
 * the login: run `ping` and `connectionStatus` on admin and print the
 * authenticated user.
 *
 *   cc mongoc_login.c $(pkg-config --cflags --libs libmongoc-1.0) -o mongoc_login
 *   ./mongoc_login 'mongodb://user:pass@127.0.0.1:PORT/?authMechanism=SCRAM-SHA-256'
 *
 * Prints one line: `OK user=<user> db=<db>` and exits 0, or
 * `FAIL code=<code> domain=<domain> <message>` and exits 1. libmongoc folds
 * a failed SASL step into its client domain; the server's own code, when the
 * driver kept it, is in the message or the error code.
 */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <string.h>

static int
fail (const bson_error_t *error)
{
   printf ("FAIL code=%u domain=%u %s\n", error->code, error->domain, error->message);
   return 1;
}

/* libmongoc logs to stdout by default; keep stdout for the verdict line. */
static void
log_to_stderr (mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
   (void) data;
   fprintf (stderr, "%s: %s: %s\n", mongoc_log_level_str (level), domain, message);
}

int
main (int argc, char *argv[])
{
   bson_error_t error;
   bson_t reply;
   bson_iter_t it, users, user;
   const char *name = NULL, *db = NULL;
   int n = 0, rc = 1;

   if (argc != 2) {
      fprintf (stderr, "usage: %s URI\n", argv[0]);
      return 2;
   }
   mongoc_log_set_handler (log_to_stderr, NULL);
   mongoc_init ();
   mongoc_uri_t *uri = mongoc_uri_new_with_error (argv[1], &error);
   if (!uri) {
      rc = fail (&error);
      goto done;
   }
   mongoc_uri_set_option_as_int32 (uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
   mongoc_client_t *client = mongoc_client_new_from_uri (uri);
   mongoc_client_set_error_api (client, MONGOC_ERROR_API_VERSION_2);

   bson_t *ping = BCON_NEW ("ping", BCON_INT32 (1));
   if (!mongoc_client_command_simple (client, "admin", ping, NULL, &reply, &error)) {
      rc = fail (&error);
      bson_destroy (&reply);
      goto cleanup;
   }
   bson_destroy (&reply);

   bson_t *status = BCON_NEW ("connectionStatus", BCON_INT32 (1));
   if (!mongoc_client_command_simple (client, "admin", status, NULL, &reply, &error)) {
      rc = fail (&error);
   } else if (bson_iter_init (&it, &reply) &&
              bson_iter_find_descendant (&it, "authInfo.authenticatedUsers", &users) &&
              BSON_ITER_HOLDS_ARRAY (&users) && bson_iter_recurse (&users, &user)) {
      while (bson_iter_next (&user)) {
         bson_iter_t fields;
         n++;
         if (BSON_ITER_HOLDS_DOCUMENT (&user) && bson_iter_recurse (&user, &fields)) {
            while (bson_iter_next (&fields)) {
               if (strcmp (bson_iter_key (&fields), "user") == 0 && BSON_ITER_HOLDS_UTF8 (&fields))
                  name = bson_iter_utf8 (&fields, NULL);
               if (strcmp (bson_iter_key (&fields), "db") == 0 && BSON_ITER_HOLDS_UTF8 (&fields))
                  db = bson_iter_utf8 (&fields, NULL);
            }
         }
      }
      if (n == 1 && name && db) {
         printf ("OK user=%s db=%s\n", name, db);
         rc = 0;
      } else {
         printf ("FAIL code=0 domain=0 connectionStatus lists %d authenticated users\n", n);
      }
   } else {
      printf ("FAIL code=0 domain=0 connectionStatus reply has no authInfo.authenticatedUsers\n");
   }
   bson_destroy (&reply);
   bson_destroy (status);
cleanup:
   bson_destroy (ping);
   mongoc_client_destroy (client);
done:
   mongoc_uri_destroy (uri);
   mongoc_cleanup ();
   return rc;
}

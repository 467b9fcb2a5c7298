//go:build mongoauth_gssapi_system

package mongoauth

// The library built with the cargo feature gssapi-system (its own target
// directory, so the default build is untouched), and MIT's GSS-API.

/*
#cgo LDFLAGS: ${SRCDIR}/../../target/gss-system/release/libmongoauth.a -lgssapi_krb5 -lpthread -ldl -lm -lrt -lutil
*/
import "C"

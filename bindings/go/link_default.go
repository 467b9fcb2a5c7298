//go:build !mongoauth_gssapi_system

package mongoauth

// The default library (no system GSS-API; see link_gssapi_system.go).

/*
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libmongoauth.a -lpthread -ldl -lm -lrt -lutil
*/
import "C"

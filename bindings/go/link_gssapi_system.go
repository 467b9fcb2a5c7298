//go:build mongoauth_gssapi_system

package mongoauth

// The build tag mongoauth_gssapi_system is for a mongoauth library built with
// the cargo feature gssapi-system (cargo build -p mongoauth-ffi --release
// --features gssapi-system): it adds MIT Kerberos' own pkg-config package,
// krb5-gssapi, to mongoauth's, so that a static libmongoauth.a links too
// (a shared libmongoauth.so already names libgssapi_krb5). The mongoauth.pc
// found first on PKG_CONFIG_PATH must be that build's (install it into its
// own prefix: MONGOAUTH_LIB_DIR=target/gss-system/release
// ffi/packaging/install.sh PREFIX).

/*
#cgo pkg-config: mongoauth krb5-gssapi
*/
import "C"

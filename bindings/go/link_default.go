//go:build !mongoauth_gssapi_system

package mongoauth

// The C library comes through pkg-config: its mongoauth.pc (installed by
// ffi/packaging/install.sh, or by a distribution package) gives the header
// directory and the library. Point PKG_CONFIG_PATH at PREFIX/lib/pkgconfig
// for a private prefix. The linker takes libmongoauth.so when the prefix has
// one (the program then needs it at run time: an rpath such as
// CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib, or LD_LIBRARY_PATH), else
// libmongoauth.a. See link_gssapi_system.go for the system GSS-API build.

/*
#cgo pkg-config: mongoauth
*/
import "C"

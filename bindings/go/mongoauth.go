// Package mongoauth is a Go binding of the mongoauth C library: MongoDB
// SCRAM-SHA-1 and SCRAM-SHA-256, client and server.
//
// Import it as github.com/mongoauth/mongoauth/bindings/go. It finds the C
// library and its header through pkg-config (#cgo pkg-config: mongoauth):
// install the library into a prefix (ffi/packaging/install.sh PREFIX in the
// repository) and set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig. With the build
// tag mongoauth_gssapi_system it also links MIT's GSS-API (pkg-config
// krb5-gssapi), for a library built with the cargo feature gssapi-system.
// Errors are *Error values carrying the C status code; compare codes (or use
// errors.Is with the Err* sentinels), never message text.
package mongoauth

/*
#include <stdlib.h>
#include <mongoauth.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Mechanism is a SASL mechanism number (pinned, as in the C header).
type Mechanism uint32

const (
	ScramSHA1   Mechanism = 1
	ScramSHA256 Mechanism = 2
)

// String returns the SASL name, e.g. "SCRAM-SHA-256".
func (m Mechanism) String() string {
	p := C.mongoauth_mechanism_name(C.uint32_t(m))
	if p == nil {
		return "unknown"
	}
	return C.GoString(p)
}

// Sizes and limits; TestConstants checks them against the C functions.
const (
	ScramMaxMessageBytes = 512
	MaxUsernameBytes     = 128
	MaxPasswordBytes     = 256
	MinEntropyBytes      = 24
	MaxEntropyBytes      = 48
	MaxSaltBytes         = 64
	MaxKeyBytes          = 32
	MinIterations        = 4096
	DefaultMaxIterations = 100000
	ScramClientSize      = 1024
	ScramServerSize      = 2048
	KeyCacheSize         = 1280
	ErrorSize            = 288
	ErrorMessageSize     = 256
	ScramCredentialsSize = 144
	VersionNumber        = 100
	// AuthEntropyBytes is the entropy an Authenticator takes (NewAuthenticator).
	AuthEntropyBytes = 48
)

// cConstants reads the C library's runtime values (cgo is not allowed in
// test files, so the test calls this).
func cConstants() map[string]uint64 {
	return map[string]uint64{
		"ScramMaxMessageBytes": uint64(C.mongoauth_scram_max_message_bytes()),
		"MaxUsernameBytes":     uint64(C.mongoauth_scram_max_username_bytes()),
		"MaxPasswordBytes":     uint64(C.mongoauth_scram_max_password_bytes()),
		"MinEntropyBytes":      uint64(C.mongoauth_scram_min_entropy_bytes()),
		"MaxEntropyBytes":      uint64(C.mongoauth_scram_max_entropy_bytes()),
		"MaxSaltBytes":         uint64(C.mongoauth_scram_max_salt_bytes()),
		"MaxKeyBytes":          uint64(C.mongoauth_scram_max_key_bytes()),
		"MinIterations":        uint64(C.mongoauth_scram_min_iterations()),
		"DefaultMaxIterations": uint64(C.mongoauth_scram_default_max_iterations()),
		"ScramClientSize":      uint64(C.mongoauth_scram_client_size()),
		"ScramServerSize":      uint64(C.mongoauth_scram_server_size()),
		"KeyCacheSize":         uint64(C.mongoauth_key_cache_size()),
		"ErrorSize":            uint64(C.mongoauth_error_size()),
		"ErrorMessageSize":     uint64(C.mongoauth_error_message_size()),
		"ScramCredentialsSize": uint64(C.mongoauth_scram_credentials_size()),
		"VersionNumber":        uint64(C.mongoauth_version_number()),
		"AuthEntropyBytes":     uint64(C.mongoauth_authenticator_entropy_bytes()),
		// compile-time header values, to catch a header/library mismatch
		"header:ScramClientSize": uint64(C.MONGOAUTH_SCRAM_CLIENT_SIZE),
		"header:VersionNumber":   uint64(C.MONGOAUTH_VERSION_NUMBER),
		"sizeof:mongoauth_error": uint64(C.sizeof_mongoauth_error),
		"sizeof:credentials":     uint64(C.sizeof_mongoauth_scram_credentials),
	}
}

// Version returns the C library's version string.
func Version() string { return C.GoString(C.mongoauth_version_string()) }

// bytesArg returns a (pointer, length) pair for C; nil for an empty slice
// (taking &b[0] of an empty slice would panic). The memory holds no Go
// pointers and is only used during the call, as the cgo rules require.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

func strArg(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

func check(st C.mongoauth_status, e *C.mongoauth_error) error {
	if st == 0 {
		return nil
	}
	msg := ""
	offset, code := int64(-1), int32(0)
	var major, minor uint32
	if e != nil && uint32(e.status) == uint32(st) {
		msg = C.GoStringN(&e.message[0], C.int(e.message_len))
		offset, code = int64(e.offset), int32(e.server_code)
		major, minor = uint32(e.gss_major), uint32(e.gss_minor)
	}
	if msg == "" {
		msg = C.GoString(C.mongoauth_status_strerror(C.uint32_t(st)))
	}
	return &Error{Status: Status(st), Message: msg, Offset: offset, ServerCode: code, GSSMajor: major, GSSMinor: minor}
}

// readOut calls an (out, capacity, *written) C function, growing the buffer
// once to the size the library reports.
func readOut(call func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status, capacity int) ([]byte, error) {
	var e C.mongoauth_error
	var written C.size_t
	buf := (*C.uint8_t)(C.malloc(C.size_t(capacity)))
	st := call(buf, C.size_t(capacity), &written, &e)
	if Status(st) == StatusBufferTooSmall {
		C.free(unsafe.Pointer(buf))
		capacity = int(written)
		buf = (*C.uint8_t)(C.malloc(C.size_t(capacity)))
		st = call(buf, C.size_t(capacity), &written, &e)
	}
	defer C.free(unsafe.Pointer(buf))
	if err := check(st, &e); err != nil {
		return nil, err
	}
	return C.GoBytes(unsafe.Pointer(buf), C.int(written)), nil
}

// RandomBytes returns n bytes from the operating system's random source.
func RandomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	var e C.mongoauth_error
	p, l := bytesArg(b)
	if err := check(C.mongoauth_random_bytes(p, l, &e), &e); err != nil {
		return nil, err
	}
	return b, nil
}

// StoredCredentials is what a server stores per user (never the password).
type StoredCredentials struct {
	Mechanism  Mechanism
	Iterations uint32
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

func credsFromC(c *C.mongoauth_scram_credentials) *StoredCredentials {
	n := C.int(c.key_len)
	return &StoredCredentials{
		Mechanism:  Mechanism(c.mechanism),
		Iterations: uint32(c.iterations),
		Salt:       C.GoBytes(unsafe.Pointer(&c.salt[0]), C.int(c.salt_len)),
		StoredKey:  C.GoBytes(unsafe.Pointer(&c.stored_key[0]), n),
		ServerKey:  C.GoBytes(unsafe.Pointer(&c.server_key[0]), n),
	}
}

func (s *StoredCredentials) toC() (*C.mongoauth_scram_credentials, error) {
	if len(s.Salt) > MaxSaltBytes || len(s.StoredKey) > MaxKeyBytes || len(s.ServerKey) != len(s.StoredKey) {
		return nil, &Error{Status: StatusInvalidArgument, Message: "salt or key length out of range"}
	}
	var c C.mongoauth_scram_credentials
	c.mechanism = C.uint32_t(s.Mechanism)
	c.iterations = C.uint32_t(s.Iterations)
	c.salt_len = C.uint32_t(len(s.Salt))
	c.key_len = C.uint32_t(len(s.StoredKey))
	for i, b := range s.Salt {
		c.salt[i] = C.uint8_t(b)
	}
	for i := range s.StoredKey {
		c.stored_key[i] = C.uint8_t(s.StoredKey[i])
		c.server_key[i] = C.uint8_t(s.ServerKey[i])
	}
	return &c, nil
}

// GenerateCredentials derives stored credentials as MongoDB's createUser
// does. salt nil draws 16 (SHA-1) or 28 (SHA-256) random bytes.
func GenerateCredentials(m Mechanism, username, password string, salt []byte, iterations uint32) (*StoredCredentials, error) {
	if salt == nil {
		n := 28
		if m == ScramSHA1 {
			n = 16
		}
		var err error
		if salt, err = RandomBytes(n); err != nil {
			return nil, err
		}
	}
	var out C.mongoauth_scram_credentials
	var e C.mongoauth_error
	u, ul := strArg(username)
	p, pl := strArg(password)
	s, sl := bytesArg(salt)
	st := C.mongoauth_scram_credentials_generate(C.uint32_t(m), u, ul, p, pl, s, sl, C.uint32_t(iterations), &out, &e)
	if err := check(st, &e); err != nil {
		return nil, err
	}
	return credsFromC(&out), nil
}

// Client is a SCRAM client conversation (C heap object; Close wipes it).
type Client struct{ p *C.mongoauth_scram_client }

// NewClient starts a login. entropy nil draws 24 bytes from the OS.
func NewClient(m Mechanism, username, password string, entropy []byte) (*Client, error) {
	var e C.mongoauth_error
	c := &Client{}
	if err := check(C.mongoauth_scram_client_new(&c.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, (*Client).Close)
	if entropy == nil {
		var err error
		if entropy, err = RandomBytes(MinEntropyBytes); err != nil {
			c.Close()
			return nil, err
		}
	}
	u, ul := strArg(username)
	p, pl := strArg(password)
	en, el := bytesArg(entropy)
	if err := check(C.mongoauth_scram_client_start(c.p, C.uint32_t(m), u, ul, p, pl, en, el, &e), &e); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Message returns the message to send now.
func (c *Client) Message() ([]byte, error) {
	defer runtime.KeepAlive(c)
	return readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_scram_client_message(c.p, out, capacity, written, e)
	}, ScramMaxMessageBytes)
}

// Step feeds the server's payload; done is true once the server is verified.
func (c *Client) Step(input []byte) (done bool, err error) {
	defer runtime.KeepAlive(c)
	var e C.mongoauth_error
	var d C.bool
	p, l := bytesArg(input)
	if err := check(C.mongoauth_scram_client_step(c.p, p, l, nil, &d, &e), &e); err != nil {
		return false, err
	}
	return bool(d), nil
}

// Authenticated reports whether the server has been verified.
func (c *Client) Authenticated() bool {
	defer runtime.KeepAlive(c)
	return bool(C.mongoauth_scram_client_is_authenticated(c.p))
}

// Close wipes and frees the client; safe to call twice.
func (c *Client) Close() {
	if c.p != nil {
		C.mongoauth_scram_client_free(c.p)
		c.p = nil
	}
}

// Server is a SCRAM server conversation (C heap object; Close wipes it).
type Server struct{ p *C.mongoauth_scram_server }

// NewServer starts a server conversation for m.
func NewServer(m Mechanism) (*Server, error) {
	var e C.mongoauth_error
	s := &Server{}
	if err := check(C.mongoauth_scram_server_new(&s.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*Server).Close)
	if err := check(C.mongoauth_scram_server_start(s.p, C.uint32_t(m), &e), &e); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// HandleClientFirst parses the client-first-message and returns the username.
func (s *Server) HandleClientFirst(msg []byte) (string, error) {
	defer runtime.KeepAlive(s)
	var e C.mongoauth_error
	p, l := bytesArg(msg)
	if err := check(C.mongoauth_scram_server_handle_client_first(s.p, p, l, &e), &e); err != nil {
		return "", err
	}
	name, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_scram_server_username(s.p, out, capacity, written, e)
	}, MaxUsernameBytes)
	return string(name), err
}

// Respond answers with the user's credentials; returns the server-first-message.
// entropy nil draws 24 bytes from the OS.
func (s *Server) Respond(creds *StoredCredentials, entropy []byte) ([]byte, error) {
	defer runtime.KeepAlive(s)
	c, err := creds.toC()
	if err != nil {
		return nil, err
	}
	if entropy == nil {
		if entropy, err = RandomBytes(MinEntropyBytes); err != nil {
			return nil, err
		}
	}
	var e C.mongoauth_error
	en, el := bytesArg(entropy)
	// c is Go memory without Go pointers, used only during the call.
	if err := check(C.mongoauth_scram_server_respond(s.p, c, en, el, &e), &e); err != nil {
		return nil, err
	}
	return s.Message()
}

// HandleClientFinal verifies the proof and returns the server-final-message.
// On failure Message returns the e= answer for the client.
func (s *Server) HandleClientFinal(msg []byte) ([]byte, error) {
	defer runtime.KeepAlive(s)
	var e C.mongoauth_error
	p, l := bytesArg(msg)
	if err := check(C.mongoauth_scram_server_handle_client_final(s.p, p, l, &e), &e); err != nil {
		return nil, err
	}
	return s.Message()
}

// Message returns the message to send now.
func (s *Server) Message() ([]byte, error) {
	defer runtime.KeepAlive(s)
	return readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_scram_server_message(s.p, out, capacity, written, e)
	}, ScramMaxMessageBytes)
}

// Authenticated reports whether the client proved it knows the password.
func (s *Server) Authenticated() bool {
	defer runtime.KeepAlive(s)
	return bool(C.mongoauth_scram_server_is_authenticated(s.p))
}

// Close wipes and frees the server; safe to call twice.
func (s *Server) Close() {
	if s.p != nil {
		C.mongoauth_scram_server_free(s.p)
		s.p = nil
	}
}

// statusName is the C name of a code (for Status.String).
func statusName(code uint32) string { return C.GoString(C.mongoauth_status_name(C.uint32_t(code))) }

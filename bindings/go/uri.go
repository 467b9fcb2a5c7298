package mongoauth

/*
#include <stdlib.h>
#include <mongoauth.h>
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// More mechanism numbers (connection strings and the Authenticator).
const (
	MechanismDefault Mechanism = 0 // negotiate SCRAM-SHA-256 or SCRAM-SHA-1
	Plain            Mechanism = 3
	GSSAPI           Mechanism = 4
	MongodbX509      Mechanism = 5
	MongodbAWS       Mechanism = 6
	MongodbOIDC      Mechanism = 7
)

// URI is a parsed connection string (C heap object; Close wipes it).
type URI struct{ p *C.mongoauth_uri }

// Host is one entry of the host list; Port 0 means the default, 27017.
type Host struct {
	Name string
	Port uint16
}

// URICredential is the credential a connection string describes.
type URICredential struct {
	Mechanism Mechanism
	Username  string
	Password  string
	Source    string
}

// ParseURI parses a mongodb:// or mongodb+srv:// connection string. An
// invalid one is an *Error with a 2xx code and the byte in Offset.
func ParseURI(text string) (*URI, error) {
	var e C.mongoauth_error
	u := &URI{}
	if err := check(C.mongoauth_uri_new(&u.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(u, (*URI).Close)
	cs := C.CString(text) // C memory: the library keeps no pointer to it
	defer C.free(unsafe.Pointer(cs))
	if err := check(C.mongoauth_uri_parse(u.p, (*C.uint8_t)(unsafe.Pointer(cs)), C.size_t(len(text)), &e), &e); err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

// Close wipes and frees the object; safe to call twice.
func (u *URI) Close() {
	if u.p != nil {
		C.mongoauth_uri_free(u.p)
		u.p = nil
	}
}

// Hosts lists the hosts in order.
func (u *URI) Hosts() ([]Host, error) {
	defer runtime.KeepAlive(u)
	var e C.mongoauth_error
	var n C.size_t
	if err := check(C.mongoauth_uri_host_count(u.p, &n, &e), &e); err != nil {
		return nil, err
	}
	hosts := make([]Host, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		var port C.uint16_t
		name, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
			return C.mongoauth_uri_host(u.p, i, out, capacity, written, &port, nil, e)
		}, 256)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, Host{string(name), uint16(port)})
	}
	return hosts, nil
}

// Option returns an option's value as text; ok is false when not set.
func (u *URI) Option(name string) (value string, ok bool, err error) {
	defer runtime.KeepAlive(u)
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var found C.bool
	b, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_uri_option(u.p, (*C.uint8_t)(unsafe.Pointer(cname)), C.size_t(len(name)), out, capacity, written, &found, e)
	}, 256)
	return string(b), bool(found), err
}

// TLS reports whether to use TLS (the tls option or the scheme's default).
func (u *URI) TLS() bool {
	defer runtime.KeepAlive(u)
	return bool(C.mongoauth_uri_uses_tls(u.p))
}

// Credential returns the credential, or nil when the URI asks for none.
func (u *URI) Credential() (*URICredential, error) {
	defer runtime.KeepAlive(u)
	var e C.mongoauth_error
	var has C.bool
	if err := check(C.mongoauth_uri_has_credential(u.p, &has, &e), &e); err != nil || !bool(has) {
		return nil, err
	}
	var mech C.uint32_t
	if err := check(C.mongoauth_uri_credential_mechanism(u.p, &mech, &e), &e); err != nil {
		return nil, err
	}
	var found C.bool
	user, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_uri_credential_username(u.p, out, capacity, written, &found, e)
	}, 256)
	if err != nil {
		return nil, err
	}
	pw, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_uri_credential_password(u.p, out, capacity, written, &found, e)
	}, 256)
	if err != nil {
		return nil, err
	}
	src, err := readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_uri_credential_source(u.p, out, capacity, written, e)
	}, 64)
	if err != nil {
		return nil, err
	}
	return &URICredential{Mechanism(mech), string(user), string(pw), string(src)}, nil
}

// Authenticator is a connection's login (C heap object; Close wipes it):
// Command gives the next BSON command, HandleReply takes the reply body.
type Authenticator struct{ p *C.mongoauth_authenticator }

// NewAuthenticatorFromURI starts a login with a parsed URI's credential.
func NewAuthenticatorFromURI(u *URI) (*Authenticator, error) {
	defer runtime.KeepAlive(u)
	var e C.mongoauth_error
	a := &Authenticator{}
	if err := check(C.mongoauth_authenticator_new(&a.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(a, (*Authenticator).Close)
	entropy, err := RandomBytes(AuthEntropyBytes)
	if err != nil {
		a.Close()
		return nil, err
	}
	en, el := bytesArg(entropy)
	if err := check(C.mongoauth_authenticator_start_uri(a.p, u.p, en, el, &e), &e); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Command returns the next command as a BSON document.
func (a *Authenticator) Command() ([]byte, error) {
	defer runtime.KeepAlive(a)
	return readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_authenticator_command(a.p, out, capacity, written, e)
	}, 512)
}

// HandleReply feeds the reply body; done is true when the login is over.
func (a *Authenticator) HandleReply(body []byte) (done bool, err error) {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	var d C.bool
	cb := C.CBytes(body)
	defer C.free(cb)
	if err := check(C.mongoauth_authenticator_handle_reply(a.p, (*C.uint8_t)(cb), C.size_t(len(body)), &d, &e), &e); err != nil {
		return false, err
	}
	return bool(d), nil
}

// Authenticated reports whether the login succeeded.
func (a *Authenticator) Authenticated() bool {
	defer runtime.KeepAlive(a)
	return bool(C.mongoauth_authenticator_is_authenticated(a.p))
}

// Close wipes and frees the authenticator; safe to call twice.
func (a *Authenticator) Close() {
	if a.p != nil {
		C.mongoauth_authenticator_free(a.p)
		a.p = nil
	}
}

// ServerSession is the server side of one connection (C heap object).
type ServerSession struct {
	p *C.mongoauth_server_session
	// gss is the cgo.Handle of a GSSAcceptor the C session calls (0: none).
	gss cgo.Handle
}

// NewServerSession holds one user (db, user, password) and is started.
func NewServerSession(db, user, password string) (*ServerSession, error) {
	var e C.mongoauth_error
	s := &ServerSession{}
	if err := check(C.mongoauth_server_session_new(&s.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*ServerSession).Close)
	salt, _ := RandomBytes(28)
	secret, _ := RandomBytes(32)
	d, dl := strArg(db)
	u, ul := strArg(user)
	p, pl := strArg(password)
	sa, sal := bytesArg(salt)
	if err := check(C.mongoauth_server_session_add_user(s.p, d, dl, u, ul, p, pl, sa, sal, &e), &e); err != nil {
		s.Close()
		return nil, err
	}
	se, sel := bytesArg(secret)
	if err := check(C.mongoauth_server_session_start(s.p, se, sel, 1, &e), &e); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Handle answers one command body with a reply body.
func (s *ServerSession) Handle(body []byte) ([]byte, error) {
	defer runtime.KeepAlive(s)
	entropy, err := RandomBytes(24)
	if err != nil {
		return nil, err
	}
	cb := C.CBytes(body)
	defer C.free(cb)
	ce := C.CBytes(entropy)
	defer C.free(ce)
	return readOut(func(out *C.uint8_t, capacity C.size_t, written *C.size_t, e *C.mongoauth_error) C.mongoauth_status {
		return C.mongoauth_server_session_handle(s.p, (*C.uint8_t)(cb), C.size_t(len(body)), (*C.uint8_t)(ce), 24, out, capacity, written, e)
	}, int(C.mongoauth_server_session_reply_bytes())) // never too small: a retry would handle the request twice
}

// Close wipes and frees the session; safe to call twice.
func (s *ServerSession) Close() {
	if s.p != nil {
		C.mongoauth_server_session_free(s.p)
		s.p = nil
	}
	if s.gss != 0 {
		s.gss.Delete()
		s.gss = 0
	}
}

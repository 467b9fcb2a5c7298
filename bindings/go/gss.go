package mongoauth

/*
#include <stdlib.h>
#include <mongoauth.h>
// gss_go.c: C trampolines from mongoauth_gss_callbacks to the exported Go
// functions below, with a cgo.Handle as user_data.
void mongoauth_go_gss_acceptor(mongoauth_gss_callbacks *cb, uintptr_t handle);
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// The GSS needs of a GSSAPI (Kerberos) login (Authenticator.Next).
const (
	// NextNeedGSSInit: a security-context step (GSSRequest, then
	// ProvideGSSStep; or ProvideGSS / ProvideGSSSystem).
	NextNeedGSSInit Next = 7
	// NextNeedGSSUnwrap: unwrap the server's security-layer token
	// (ProvideGSSUnwrapped).
	NextNeedGSSUnwrap Next = 8
	// NextNeedGSSWrap: wrap the security-layer answer (ProvideGSSWrapped).
	NextNeedGSSWrap Next = 9
)

// GSSTarget is where the client's context is aimed, from the mechanism
// properties.
type GSSTarget struct {
	// Service is SERVICE_NAME (default "mongodb").
	Service string
	// Host is SERVICE_HOST, else the connection's host.
	Host string
	// Realm is SERVICE_REALM, or "" for none. With a realm, name the
	// target as the principal "service/host@realm"; without, as the
	// host-based service "service@host".
	Realm string
	// Canonicalize is CANONICALIZE_HOST_NAME: "none", "forward" or
	// "forwardAndReverse" (the initiator resolves the host).
	Canonicalize string
}

// GSSProperties are the GSSAPI mechanism properties of a login that does
// not start from a connection string (NewGSSAuthenticator).
type GSSProperties struct {
	// Service is SERVICE_NAME, or "" for "mongodb".
	Service string
	// Realm is SERVICE_REALM, or "" for none.
	Realm string
	// ServiceHost is SERVICE_HOST, or "" for the connection's host.
	ServiceHost string
	// Canonicalize is CANONICALIZE_HOST_NAME: "" or "none", "forward",
	// "forwardAndReverse".
	Canonicalize string
}

// NewGSSAuthenticator starts a GSSAPI login on $external without a
// connection string: principal (or "" for the library's default
// credential), an optional password, the host the connection was opened
// to, and the mechanism properties. entropy is as for NewAuthenticator.
func NewGSSAuthenticator(principal, password, host string, props GSSProperties, entropy []byte) (*Authenticator, error) {
	canon, ok := map[string]C.uint32_t{"": 0, "none": 0, "forward": 1, "forwardAndReverse": 2}[props.Canonicalize]
	if !ok {
		return nil, fmt.Errorf("mongoauth: CANONICALIZE_HOST_NAME %q is not none, forward or forwardAndReverse", props.Canonicalize)
	}
	before := func(p *C.mongoauth_authenticator, e *C.mongoauth_error) C.mongoauth_status {
		var allocs []unsafe.Pointer
		defer func() {
			for _, b := range allocs {
				C.free(b)
			}
		}()
		cstr := func(s string) (*C.uint8_t, C.size_t) {
			if s == "" {
				return nil, 0
			}
			b := C.CBytes([]byte(s))
			allocs = append(allocs, b)
			return (*C.uint8_t)(b), C.size_t(len(s))
		}
		hp, hn := cstr(host)
		if st := C.mongoauth_authenticator_set_gss_host(p, hp, hn, e); st != 0 {
			return st
		}
		sp, sn := cstr(props.Service)
		rp, rn := cstr(props.Realm)
		shp, shn := cstr(props.ServiceHost)
		return C.mongoauth_authenticator_set_gss_properties(p, sp, sn, rp, rn, shp, shn, canon, e)
	}
	return newAuthenticator(GSSAPI, principal, password, "$external", entropy, false, before)
}

// GSSInit is a context step the client must run (gss_init_sec_context).
type GSSInit struct {
	Target GSSTarget
	// Principal is the client principal (the credential's username), or
	// "" for the library's default credential.
	Principal string
	// Password, when not "", acquires credentials with it. Never log it.
	Password string
	// Input is the acceptor's last token (empty for the first step).
	Input []byte
}

// GSSInitiator is the client's GSS-API library, one value per login.
type GSSInitiator interface {
	// Step processes req.Input and returns the next token and whether the
	// context is established.
	Step(req *GSSInit) (token []byte, complete bool, err error)
	// Unwrap is gss_unwrap of the server's security-layer token.
	Unwrap(token []byte) ([]byte, error)
	// Wrap is gss_wrap (integrity only) of the security-layer answer.
	Wrap(message []byte) ([]byte, error)
}

// GSSAcceptor is the server's GSS-API library, one value per connection.
type GSSAcceptor interface {
	// Step is gss_accept_sec_context: the reply token and whether the
	// context is established.
	Step(token []byte) (reply []byte, complete bool, err error)
	Wrap(message []byte) ([]byte, error)
	Unwrap(token []byte) ([]byte, error)
	// SourceName is the authenticated initiator's principal.
	SourceName() (string, error)
	// Reset drops the context (a new login, or after a failure).
	Reset()
}

// GSSStatusError is a GSS-API library failure: its major and minor status
// and text. Return one from a GSSInitiator or GSSAcceptor to report the
// codes; the library's own GSS failures are *Error with Status
// StatusGSSFailure and the same codes in GSSMajor and GSSMinor.
type GSSStatusError struct {
	Major, Minor uint32
	Text         string
}

func (e *GSSStatusError) Error() string {
	return fmt.Sprintf("GSS-API error (major %#x, minor %#x): %s", e.Major, e.Minor, e.Text)
}

// ErrGSSNoContextAcceptor is what a GSSAcceptor returns (or wraps) for a
// wrap, unwrap or source name without an established context.
var ErrGSSNoContextAcceptor = errors.New("mongoauth: no established GSS-API context")

// GSSSystemAvailable reports whether the library has the built-in system
// GSS-API library (cargo feature gssapi-system; link with the Go build tag
// mongoauth_gssapi_system).
func GSSSystemAvailable() bool { return bool(C.mongoauth_gss_system_available()) }

var canonicalizeNames = map[C.uint32_t]string{0: "none", 1: "forward", 2: "forwardAndReverse"}

func goStr(p *C.uint8_t, n C.size_t) string {
	if p == nil {
		return ""
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(p)), C.int(n))
}

// GSSRequest returns the pending GSS need: a *GSSInit for NextNeedGSSInit,
// else the bytes to unwrap or wrap.
func (a *Authenticator) GSSRequest() (*GSSInit, []byte, error) {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	var r C.mongoauth_gss_request
	if err := check(C.mongoauth_authenticator_gss_request(a.p, &r, &e), &e); err != nil {
		return nil, nil, err
	}
	var input []byte
	if r.input_len > 0 {
		input = C.GoBytes(unsafe.Pointer(r.input), C.int(r.input_len))
	}
	if Next(r.kind) != NextNeedGSSInit {
		return nil, input, nil
	}
	return &GSSInit{
		Target: GSSTarget{
			Service:      goStr(r.service, r.service_len),
			Host:         goStr(r.host, r.host_len),
			Realm:        goStr(r.realm, r.realm_len),
			Canonicalize: canonicalizeNames[r.canonicalize],
		},
		Principal: goStr(r.principal, r.principal_len),
		Password:  goStr(r.password, r.password_len),
		Input:     input,
	}, nil, nil
}

// ProvideGSSStep answers NextNeedGSSInit with the next token.
func (a *Authenticator) ProvideGSSStep(token []byte, complete bool) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	p, n := bytesArg(token)
	st := C.mongoauth_authenticator_provide_gss_step(a.p, p, n, C.bool(complete), &e)
	runtime.KeepAlive(token)
	return check(st, &e)
}

// ProvideGSSUnwrapped answers NextNeedGSSUnwrap with the unwrapped message.
func (a *Authenticator) ProvideGSSUnwrapped(message []byte) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	p, n := bytesArg(message)
	st := C.mongoauth_authenticator_provide_gss_unwrapped(a.p, p, n, &e)
	runtime.KeepAlive(message)
	return check(st, &e)
}

// ProvideGSSWrapped answers NextNeedGSSWrap with the wrapped token.
func (a *Authenticator) ProvideGSSWrapped(token []byte) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	p, n := bytesArg(token)
	st := C.mongoauth_authenticator_provide_gss_wrapped(a.p, p, n, &e)
	runtime.KeepAlive(token)
	return check(st, &e)
}

// ProvideGSSSystem answers the pending GSS need with the built-in system
// library (StatusUnsupportedMechanism when it is not built in).
func (a *Authenticator) ProvideGSSSystem() error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	return check(C.mongoauth_authenticator_provide_gss_system(a.p, &e), &e)
}

// FailGSS reports that the GSS library failed on the pending GSS need: the
// login is over. It returns the library's *Error (StatusGSSFailure, with
// GSSMajor, GSSMinor and the text in Message).
func (a *Authenticator) FailGSS(f *GSSStatusError) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	var cf C.mongoauth_gss_failure
	cf.major, cf.minor = C.uint32_t(f.Major), C.uint32_t(f.Minor)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(&cf.text[0])), len(cf.text))
	cf.text_len = C.size_t(copy(dst, f.Text))
	return check(C.mongoauth_authenticator_fail_gss(a.p, &cf, &e), &e)
}

// gssFailed ends the login for a *GSSStatusError from g (the library's
// error, wrapping g's), or returns g's other errors as they are.
func (a *Authenticator) gssFailed(what string, err error) error {
	var se *GSSStatusError
	if errors.As(err, &se) {
		if lib := a.FailGSS(se); lib != nil {
			return fmt.Errorf("%w (%s: %w)", lib, what, err)
		}
	}
	return fmt.Errorf("mongoauth: %s: %w", what, err)
}

// ProvideGSS answers the pending GSS need by calling g. A *GSSStatusError
// from g ends the login (FailGSS) and comes back wrapped with the
// library's *Error; other errors are returned wrapped and leave the login
// where it was.
func (a *Authenticator) ProvideGSS(g GSSInitiator) error {
	next, err := a.Next()
	if err != nil {
		return err
	}
	init, data, err := a.GSSRequest()
	if err != nil {
		return err
	}
	switch next {
	case NextNeedGSSInit:
		token, complete, err := g.Step(init)
		if err != nil {
			return a.gssFailed("GSS context step", err)
		}
		return a.ProvideGSSStep(token, complete)
	case NextNeedGSSUnwrap:
		msg, err := g.Unwrap(data)
		if err != nil {
			return a.gssFailed("GSS unwrap", err)
		}
		return a.ProvideGSSUnwrapped(msg)
	default:
		token, err := g.Wrap(data)
		if err != nil {
			return a.gssFailed("GSS wrap", err)
		}
		return a.ProvideGSSWrapped(token)
	}
}

// addExternalUser lets a GSSAPI login as principal (a $external user)
// succeed. Only before the session is started: see NewGSSServerSession.
func (s *ServerSession) addExternalUser(principal string) error {
	defer runtime.KeepAlive(s)
	var e C.mongoauth_error
	p, n := strArg(principal)
	st := C.mongoauth_server_session_add_external_user(s.p, p, n, &e)
	runtime.KeepAlive(principal)
	return check(st, &e)
}

// NewGSSServerSession is a started session offering GSSAPI with acceptor
// (nil: the built-in system library, its key from KRB5_KTNAME) to the
// $external users principals.
func NewGSSServerSession(acceptor GSSAcceptor, principals ...string) (*ServerSession, error) {
	var e C.mongoauth_error
	s := &ServerSession{}
	if err := check(C.mongoauth_server_session_new(&s.p, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*ServerSession).Close)
	for _, p := range principals {
		if err := s.addExternalUser(p); err != nil {
			s.Close()
			return nil, err
		}
	}
	if acceptor == nil {
		if err := check(C.mongoauth_server_session_set_gss_system(s.p, nil, 0, &e), &e); err != nil {
			s.Close()
			return nil, err
		}
	} else {
		h := cgo.NewHandle(acceptor)
		var cb C.mongoauth_gss_callbacks
		C.mongoauth_go_gss_acceptor(&cb, C.uintptr_t(h))
		if err := check(C.mongoauth_server_session_set_gss_callbacks(s.p, &cb, &e), &e); err != nil {
			h.Delete()
			s.Close()
			return nil, err
		}
		s.gss = h
	}
	secret, err := RandomBytes(32)
	if err != nil {
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

// ---- acceptor callbacks (called from C during Handle) -----------------------

const (
	gssOK          = 0
	gssFailed      = 1
	gssBufferSmall = 2
	gssNoContext   = 3
	gssSFailure    = 0x000d0000
)

func acceptorOf(h C.uintptr_t) GSSAcceptor {
	return cgo.Handle(h).Value().(GSSAcceptor)
}

func gssFail(f *C.mongoauth_gss_failure, err error) C.uint32_t {
	if errors.Is(err, ErrGSSNoContextAcceptor) {
		return gssNoContext
	}
	major, minor, text := uint32(gssSFailure), uint32(0), err.Error()
	var se *GSSStatusError
	if errors.As(err, &se) {
		major, minor, text = se.Major, se.Minor, se.Text
	}
	f.major, f.minor = C.uint32_t(major), C.uint32_t(minor)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(&f.text[0])), len(f.text))
	n := copy(dst, text)
	f.text_len = C.size_t(n)
	return gssFailed
}

func gssGive(data []byte, out *C.uint8_t, capacity C.size_t, written *C.size_t) C.uint32_t {
	*written = C.size_t(len(data))
	if len(data) > int(capacity) {
		return gssBufferSmall
	}
	if len(data) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), int(capacity)), data)
	}
	return gssOK
}

func gssInput(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

//export mongoauthGoGSSAcceptStep
func mongoauthGoGSSAcceptStep(h C.uintptr_t, in *C.uint8_t, inLen C.size_t, out *C.uint8_t, capacity C.size_t, written *C.size_t, complete *C.bool, f *C.mongoauth_gss_failure) C.uint32_t {
	reply, done, err := acceptorOf(h).Step(gssInput(in, inLen))
	if err != nil {
		return gssFail(f, err)
	}
	*complete = C.bool(done)
	return gssGive(reply, out, capacity, written)
}

//export mongoauthGoGSSAcceptWrap
func mongoauthGoGSSAcceptWrap(h C.uintptr_t, in *C.uint8_t, inLen C.size_t, out *C.uint8_t, capacity C.size_t, written *C.size_t, f *C.mongoauth_gss_failure) C.uint32_t {
	r, err := acceptorOf(h).Wrap(gssInput(in, inLen))
	if err != nil {
		return gssFail(f, err)
	}
	return gssGive(r, out, capacity, written)
}

//export mongoauthGoGSSAcceptUnwrap
func mongoauthGoGSSAcceptUnwrap(h C.uintptr_t, in *C.uint8_t, inLen C.size_t, out *C.uint8_t, capacity C.size_t, written *C.size_t, f *C.mongoauth_gss_failure) C.uint32_t {
	r, err := acceptorOf(h).Unwrap(gssInput(in, inLen))
	if err != nil {
		return gssFail(f, err)
	}
	return gssGive(r, out, capacity, written)
}

//export mongoauthGoGSSAcceptSourceName
func mongoauthGoGSSAcceptSourceName(h C.uintptr_t, out *C.uint8_t, capacity C.size_t, written *C.size_t, f *C.mongoauth_gss_failure) C.uint32_t {
	name, err := acceptorOf(h).SourceName()
	if err != nil {
		return gssFail(f, err)
	}
	return gssGive([]byte(name), out, capacity, written)
}

//export mongoauthGoGSSAcceptReset
func mongoauthGoGSSAcceptReset(h C.uintptr_t) {
	acceptorOf(h).Reset()
}

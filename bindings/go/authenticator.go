package mongoauth

/*
#include <stdlib.h>
// Angle brackets: found through the package's -I only, never a stray
// mongoauth.h in the compiler's working directory.
#include <mongoauth.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Next is what a login wants next (Authenticator.Next): the one loop for
// every mechanism.
type Next uint32

const (
	// NextSend: send Command(), then pass the reply to HandleReply.
	NextSend Next = 1
	// NextNeedTime: MONGODB-AWS wants the time (ProvideTime).
	NextNeedTime Next = 2
	// NextNeedAWSCredentials: MONGODB-AWS wants keys (ProvideAWSCredentials).
	NextNeedAWSCredentials Next = 3
	// NextNeedOIDCToken: MONGODB-OIDC wants an access token (ProvideToken).
	NextNeedOIDCToken Next = 4
	// 5 (a GSS token, reserved) is retired: see NextNeedGSSInit and the
	// other GSS needs in gss.go.
	// NextDone: the handshake is over; see Authenticated.
	NextDone Next = 6
)

// NewAuthenticator starts a login (the loop: Next, then Command and
// HandleReply, or a Provide* call, until NextDone). Empty username or password means none
// (MONGODB-AWS takes neither; its keys come through ProvideAWSCredentials).
// entropy is MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES random bytes.
func NewAuthenticator(m Mechanism, username, password, source string, entropy []byte, speculative bool) (*Authenticator, error) {
	return newAuthenticator(m, username, password, source, entropy, speculative, nil)
}

// newAuthenticator is NewAuthenticator with a hook that configures the
// object before the login starts (the GSSAPI host and properties).
func newAuthenticator(m Mechanism, username, password, source string, entropy []byte, speculative bool,
	before func(*C.mongoauth_authenticator, *C.mongoauth_error) C.mongoauth_status) (*Authenticator, error) {
	var e C.mongoauth_error
	var p *C.mongoauth_authenticator
	if err := check(C.mongoauth_authenticator_new(&p, &e), &e); err != nil {
		return nil, err
	}
	a := &Authenticator{p}
	runtime.SetFinalizer(a, (*Authenticator).Close)
	if err := check(C.mongoauth_authenticator_set_speculative(p, C.bool(speculative), &e), &e); err != nil {
		return nil, err
	}
	if before != nil {
		if err := check(before(p, &e), &e); err != nil {
			return nil, err
		}
	}
	// The credential's strings are copied into C memory for the call and
	// wiped afterwards (a C struct may not hold Go pointers).
	var cred C.mongoauth_credential
	cred.mechanism = C.uint32_t(m)
	var allocs []unsafe.Pointer
	cstr := func(s string) (*C.uint8_t, C.size_t) {
		if s == "" {
			return nil, 0
		}
		b := C.CBytes([]byte(s))
		allocs = append(allocs, b)
		return (*C.uint8_t)(b), C.size_t(len(s))
	}
	cred.username, cred.username_len = cstr(username)
	pw, pwLen := cstr(password)
	cred.password, cred.password_len = pw, pwLen
	cred.source, cred.source_len = cstr(source)
	ep, en := bytesArg(entropy)
	st := C.mongoauth_authenticator_start(p, &cred, ep, en, &e)
	if pw != nil {
		C.mongoauth_memory_zero(unsafe.Pointer(pw), pwLen)
	}
	for _, b := range allocs {
		C.free(b)
	}
	runtime.KeepAlive(entropy)
	if err := check(st, &e); err != nil {
		return nil, err
	}
	return a, nil
}

// Next says what the login wants next.
func (a *Authenticator) Next() (Next, error) {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	var n C.mongoauth_next
	if err := check(C.mongoauth_authenticator_next(a.p, &n, &e), &e); err != nil {
		return 0, err
	}
	return Next(n), nil
}

// ProvideTime answers NextNeedTime with seconds since the Unix epoch (UTC).
func (a *Authenticator) ProvideTime(unixSeconds uint64) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	return check(C.mongoauth_authenticator_provide_time(a.p, C.uint64_t(unixSeconds), &e), &e)
}

// ProvideAWSCredentials answers NextNeedAWSCredentials (sessionToken ""
// for long-term keys). The library keeps no copy.
func (a *Authenticator) ProvideAWSCredentials(accessKeyID, secretAccessKey, sessionToken string) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	ip, in := strArg(accessKeyID)
	sp, sn := strArg(secretAccessKey)
	tp, tn := strArg(sessionToken)
	st := C.mongoauth_authenticator_provide_aws_credentials(a.p, ip, in, sp, sn, tp, tn, &e)
	runtime.KeepAlive(accessKeyID)
	runtime.KeepAlive(secretAccessKey)
	runtime.KeepAlive(sessionToken)
	return check(st, &e)
}

// ProvideToken answers NextNeedOIDCToken with an access token.
func (a *Authenticator) ProvideToken(token string) error {
	defer runtime.KeepAlive(a)
	var e C.mongoauth_error
	tp, tn := strArg(token)
	st := C.mongoauth_authenticator_provide_token(a.p, tp, tn, &e)
	runtime.KeepAlive(token)
	return check(st, &e)
}

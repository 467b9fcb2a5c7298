package mongoauth

import (
	"errors"
	"strings"
	"testing"
)

// A toy GSS "mechanism" on both sides (tokens name the principal, wrap and
// unwrap are the identity): the binding's plumbing without Kerberos. The
// real library runs in scripts/bindings-tests.sh's realm (examples/gsslogin).

const toyPrincipal = "user@TOY.TEST"
const toyURI = "mongodb://user%40TOY.TEST@db.example.com/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:svc,SERVICE_REALM:TOY.TEST"

type toyInitiator struct {
	requests []*GSSInit
	fail     error
}

func (t *toyInitiator) Step(req *GSSInit) ([]byte, bool, error) {
	t.requests = append(t.requests, req)
	if t.fail != nil {
		return nil, false, t.fail
	}
	return []byte("toy:" + req.Principal), true, nil
}
func (t *toyInitiator) Unwrap(token []byte) ([]byte, error) { return token, nil }
func (t *toyInitiator) Wrap(message []byte) ([]byte, error) { return message, nil }

type toyAcceptor struct {
	name   string
	fail   bool
	resets int
}

func (t *toyAcceptor) Step(token []byte) ([]byte, bool, error) {
	if t.fail {
		return nil, false, &GSSStatusError{Major: 0xd0000, Minor: 7, Text: "toy acceptor refuses"}
	}
	t.name = strings.TrimPrefix(string(token), "toy:")
	return nil, true, nil
}
func (t *toyAcceptor) Wrap(message []byte) ([]byte, error) { return message, nil }
func (t *toyAcceptor) Unwrap(token []byte) ([]byte, error) { return token, nil }
func (t *toyAcceptor) SourceName() (string, error) {
	if t.name == "" {
		return "", ErrGSSNoContextAcceptor
	}
	return t.name, nil
}
func (t *toyAcceptor) Reset() { t.resets++; t.name = "" }

func toyLogin(t *testing.T, a *Authenticator, s *ServerSession, g GSSInitiator) error {
	t.Helper()
	for i := 0; i < 20; i++ {
		next, err := a.Next()
		if err != nil {
			return err
		}
		switch next {
		case NextDone:
			return nil
		case NextSend:
			cmd, err := a.Command()
			if err != nil {
				return err
			}
			reply, err := s.Handle(cmd)
			if err != nil {
				return err
			}
			if _, err := a.HandleReply(reply); err != nil {
				return err
			}
		default:
			if err := a.ProvideGSS(g); err != nil {
				return err
			}
		}
	}
	t.Fatal("login did not finish")
	return nil
}

func newToyAuth(t *testing.T) *Authenticator {
	t.Helper()
	u, err := ParseURI(toyURI)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	a, err := NewAuthenticatorFromURI(u)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGSSToyLogin(t *testing.T) {
	s, err := NewGSSServerSession(&toyAcceptor{}, toyPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newToyAuth(t)
	defer a.Close()
	g := &toyInitiator{}
	if err := toyLogin(t, a, s, g); err != nil {
		t.Fatal(err)
	}
	if !a.Authenticated() {
		t.Fatal("not authenticated")
	}
	r := g.requests[0]
	if r.Target.Service != "svc" || r.Target.Host != "db.example.com" || r.Target.Realm != "TOY.TEST" ||
		r.Target.Canonicalize != "none" || r.Principal != toyPrincipal || r.Password != "" || len(r.Input) != 0 {
		t.Errorf("first request %+v", r)
	}
}

func TestGSSInitiatorErrorPropagates(t *testing.T) {
	s, err := NewGSSServerSession(&toyAcceptor{}, toyPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newToyAuth(t)
	defer a.Close()
	want := &GSSStatusError{Major: 0xd0000, Minor: 0x96c73a9c, Text: "no credentials"}
	err = toyLogin(t, a, s, &toyInitiator{fail: want})
	var se *GSSStatusError
	if !errors.As(err, &se) || se.Minor != want.Minor {
		t.Fatalf("got %v", err)
	}
	// the login recorded it: the library's error carries the codes
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusGSSFailure || e.GSSMajor != 0xd0000 || e.GSSMinor != want.Minor ||
		!strings.Contains(e.Message, "no credentials") || !errors.Is(err, ErrGSS) {
		t.Fatalf("got %v", err)
	}
	if next, _ := a.Next(); next != NextDone || a.Authenticated() {
		t.Fatalf("login not over: %v", next)
	}
}

func TestGSSAcceptorFailureIsCode18(t *testing.T) {
	s, err := NewGSSServerSession(&toyAcceptor{fail: true}, toyPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newToyAuth(t)
	defer a.Close()
	err = toyLogin(t, a, s, &toyInitiator{})
	var e *Error
	if !errors.Is(err, ErrAuthenticationFailed) || !errors.As(err, &e) || e.ServerCode != 18 {
		t.Fatalf("got %v", err)
	}
}

func TestGSSUnknownPrincipalIsCode18(t *testing.T) {
	s, err := NewGSSServerSession(&toyAcceptor{}, "someone@TOY.TEST")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newToyAuth(t)
	defer a.Close()
	if err := toyLogin(t, a, s, &toyInitiator{}); !errors.Is(err, ErrAuthenticationFailed) {
		t.Fatalf("got %v", err)
	}
}

func TestGSSRequestOutOfTurn(t *testing.T) {
	a := newToyAuth(t)
	defer a.Close()
	if _, _, err := a.GSSRequest(); !errors.Is(err, ErrUnexpectedStep) {
		t.Fatalf("got %v", err)
	}
	if !GSSSystemAvailable() {
		if err := a.ProvideGSSSystem(); !errors.Is(err, &Error{Status: StatusUnsupportedMechanism}) {
			t.Fatalf("got %v", err)
		}
	}
}

func TestGSSErrorCarriesCodes(t *testing.T) {
	e := &Error{Status: StatusGSSFailure, Message: "Server not found in Kerberos database", GSSMajor: 0xd0000, GSSMinor: 0x96c73a07}
	if !errors.Is(e, ErrGSS) || !strings.Contains(e.Error(), "0x96c73a07") {
		t.Fatalf("%v", e)
	}
}

func TestGSSToyLoginFromCredential(t *testing.T) {
	s, err := NewGSSServerSession(&toyAcceptor{}, toyPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entropy, err := RandomBytes(AuthEntropyBytes)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewGSSAuthenticator(toyPrincipal, "", "10.0.0.7",
		GSSProperties{Service: "svc", Realm: "TOY.TEST", ServiceHost: "db.example.com", Canonicalize: "forward"}, entropy)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	g := &toyInitiator{}
	if err := toyLogin(t, a, s, g); err != nil {
		t.Fatal(err)
	}
	if !a.Authenticated() {
		t.Fatal("not authenticated")
	}
	r := g.requests[0]
	if r.Target.Service != "svc" || r.Target.Host != "db.example.com" || r.Target.Realm != "TOY.TEST" ||
		r.Target.Canonicalize != "forward" || r.Principal != toyPrincipal {
		t.Errorf("first request %+v", r)
	}
	if _, err := NewGSSAuthenticator(toyPrincipal, "", "h", GSSProperties{Canonicalize: "sideways"}, entropy); err == nil {
		t.Error("an unknown CANONICALIZE_HOST_NAME was accepted")
	}
}

package mongoauth

import (
	"errors"
	"testing"
)

func TestParseURI(t *testing.T) {
	u, err := ParseURI("mongodb://alice:p%40ss@db1.example.com:27017,db2/shop?tls=true&authSource=admin")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	hosts, err := u.Hosts()
	if err != nil || len(hosts) != 2 || hosts[0] != (Host{"db1.example.com", 27017}) || hosts[1] != (Host{"db2", 0}) {
		t.Fatalf("hosts %v %v", hosts, err)
	}
	if v, ok, err := u.Option("TLS"); err != nil || !ok || v != "true" {
		t.Errorf("tls option %q %v %v", v, ok, err)
	}
	if _, ok, err := u.Option("replicaSet"); err != nil || ok {
		t.Errorf("replicaSet %v %v", ok, err)
	}
	if !u.TLS() {
		t.Error("TLS")
	}
	c, err := u.Credential()
	if err != nil || c == nil || c.Username != "alice" || c.Password != "p@ss" || c.Source != "admin" || c.Mechanism != MechanismDefault {
		t.Fatalf("credential %+v %v", c, err)
	}
}

func TestParseURIErrors(t *testing.T) {
	_, err := ParseURI("mongodb://alice:p@ss@host")
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusURISyntax || e.Offset != 17 || !e.Status.IsURIError() {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, ErrURISyntax) {
		t.Error("errors.Is")
	}
	if _, err := ParseURI("mongodb://host/?authMechanism=FOO"); !errors.As(err, &e) || e.Status != StatusURIOption {
		t.Errorf("got %v", err)
	}
	u, err := ParseURI("mongodb://alice@host")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Credential(); !errors.As(err, &e) || e.Status != StatusURICredential {
		t.Errorf("got %v", err)
	}
}

func authLogin(t *testing.T, uri string) (*Authenticator, error) {
	t.Helper()
	s, err := NewServerSession("admin", "alice", "pencil")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	a, err := NewAuthenticatorFromURI(u)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		cmd, err := a.Command()
		if err != nil {
			return a, err
		}
		reply, err := s.Handle(cmd)
		if err != nil {
			return a, err
		}
		done, err := a.HandleReply(reply)
		if err != nil || done {
			return a, err
		}
	}
	return a, errors.New("too many rounds")
}

func TestAuthenticator(t *testing.T) {
	a, err := authLogin(t, "mongodb://alice:pencil@localhost/?authSource=admin")
	if err != nil || !a.Authenticated() {
		t.Fatalf("login: %v", err)
	}
	if _, err := a.Command(); !errors.Is(err, ErrUnexpectedStep) {
		t.Errorf("command after login: %v", err)
	}
	a.Close()
	a.Close()
}

func TestAuthenticatorWrongPassword(t *testing.T) {
	a, err := authLogin(t, "mongodb://alice:wrong@localhost/?authSource=admin&authMechanism=SCRAM-SHA-1")
	defer a.Close()
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusAuthenticationFailed || e.ServerCode != 18 || a.Authenticated() {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, ErrAuthenticationFailed) || !errors.Is(err, ErrLogin) || errors.Is(err, ErrCommandFailed) {
		t.Error("errors.Is")
	}
}

func TestAuthenticatorBadReply(t *testing.T) {
	u, _ := ParseURI("mongodb://alice:pencil@localhost/")
	defer u.Close()
	a, err := NewAuthenticatorFromURI(u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var e *Error
	if _, err := a.HandleReply([]byte{5, 0, 0}); !errors.As(err, &e) || e.Status != StatusBSONMalformed {
		t.Errorf("got %v", err)
	}
	if _, err := a.HandleReply([]byte{5, 0, 0, 0, 0}); !errors.Is(err, ErrUnexpectedStep) {
		t.Errorf("after failure: %v", err)
	}
}

// An arbiter's hello ends the handshake without a login: a distinct error
// (ErrNotAuthenticated), never success (issue #12 item 2).
func TestAuthenticatorArbiterIsNotALogin(t *testing.T) {
	u, err := ParseURI("mongodb://alice:pencil@localhost/?authSource=admin")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	a, err := NewAuthenticatorFromURI(u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Command(); err != nil {
		t.Fatal(err)
	}
	// {ismaster: true, arbiterOnly: true, ok: 1.0}
	arbiter := []byte{0x2a, 0, 0, 0,
		0x08, 'i', 's', 'm', 'a', 's', 't', 'e', 'r', 0, 1,
		0x08, 'a', 'r', 'b', 'i', 't', 'e', 'r', 'O', 'n', 'l', 'y', 0, 1,
		0x01, 'o', 'k', 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
		0}
	_, err = a.HandleReply(arbiter)
	if !errors.Is(err, ErrNotAuthenticated) || a.Authenticated() {
		t.Fatalf("an arbiter's hello gave %v (authenticated %v)", err, a.Authenticated())
	}
}

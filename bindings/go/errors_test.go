package mongoauth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The sentinels match by status and by group, through wrapping.
func TestSentinels(t *testing.T) {
	cases := []struct {
		status Status
		is     []error
		isNot  []error
	}{
		{StatusAuthenticationFailed, []error{ErrAuthenticationFailed, ErrLogin}, []error{ErrCommandFailed, ErrCaller}},
		{StatusBusy, []error{ErrBusy, ErrObjectMisuse, ErrCaller}, []error{ErrObjectFreed, ErrLogin}},
		{StatusObjectFreed, []error{ErrObjectFreed, ErrObjectMisuse, ErrCaller}, []error{ErrBusy}},
		{StatusInvalidObject, []error{ErrObjectMisuse, ErrCaller}, []error{ErrBusy}},
		{StatusCapacity, []error{ErrCapacity, ErrCaller}, []error{ErrObjectMisuse}},
		{StatusCommandFailed, []error{ErrCommandFailed, ErrHandshake}, []error{ErrAuthenticationFailed}},
		{StatusURISyntax, []error{ErrURISyntax, ErrURI}, []error{ErrWire}},
		{StatusPanic, []error{ErrInternal}, []error{ErrCaller}},
	}
	for _, c := range cases {
		err := fmt.Errorf("wrapped: %w", &Error{Status: c.status, Message: "m", Offset: -1})
		for _, k := range c.is {
			if !errors.Is(err, k) {
				t.Errorf("%s: not errors.Is %v", c.status, k)
			}
		}
		for _, k := range c.isNot {
			if errors.Is(err, k) {
				t.Errorf("%s: errors.Is %v", c.status, k)
			}
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != c.status || e.Message != "m" {
			t.Errorf("%s: errors.As", c.status)
		}
	}
	if !errors.Is(&Error{Status: StatusIO}, &Error{Status: StatusIO}) {
		t.Error("*Error matches *Error by status")
	}
}

const (
	wrongUser = "carol"
	wrongDB   = "inventory"
	realPass  = "pencil"
	wrongPass = "s3cr3t-Wr0ng"
)

// wrongPasswordLogin runs a SCRAM-SHA-256 login with a wrong password
// against an in-process server session.
func wrongPasswordLogin(t *testing.T) error {
	t.Helper()
	s, err := NewServerSession(wrongDB, wrongUser, realPass)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := ParseURI("mongodb://" + wrongUser + ":" + wrongPass + "@localhost/?authSource=" + wrongDB +
		"&authMechanism=SCRAM-SHA-256")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	a, err := NewAuthenticatorFromURI(u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for i := 0; i < 6; i++ {
		cmd, err := a.Command()
		if err != nil {
			return err
		}
		reply, err := s.Handle(cmd)
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		done, err := a.HandleReply(reply)
		if err != nil {
			return err
		}
		if done {
			t.Fatal("a wrong password logged in")
		}
	}
	t.Fatal("too many rounds")
	return nil
}

// A wrong password is ErrAuthenticationFailed (the server's code 18), and
// its text never holds the password.
func TestWrongPasswordIsAuthenticationFailed(t *testing.T) {
	err := wrongPasswordLogin(t)
	var e *Error
	if !errors.Is(err, ErrAuthenticationFailed) || !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	if e.Status != StatusAuthenticationFailed || e.ServerCode != 18 {
		t.Errorf("status %v, server code %d", e.Status, e.ServerCode)
	}
	for _, text := range []string{err.Error(), e.Message, fmt.Sprintf("%+v", err)} {
		if strings.Contains(text, wrongPass) || strings.Contains(text, realPass) {
			t.Errorf("the password is in %q", text)
		}
	}
}

// The text of a wrong-password error names the mechanism, the user and the
// database (and never the password).
func TestWrongPasswordTextNamesTheLogin(t *testing.T) {
	err := wrongPasswordLogin(t)
	for _, want := range []string{"SCRAM-SHA-256", wrongUser, wrongDB} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q not in %v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), wrongPass) {
		t.Error("the password is in the text")
	}
}

package mongoauth_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	mongoauth "github.com/mongoauth/mongoauth/bindings/go"
)

// Parse a connection string: hosts, options and the credential.
func ExampleParseURI() {
	u, err := mongoauth.ParseURI("mongodb://alice:pencil@db1.example.com,db2.example.com:27018/?authSource=admin&authMechanism=SCRAM-SHA-256&tls=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer u.Close()
	hosts, _ := u.Hosts()
	for _, h := range hosts {
		fmt.Println("host", h.Name, h.Port)
	}
	c, _ := u.Credential()
	fmt.Println("user", c.Username, "on", c.Source, "with", c.Mechanism)
	fmt.Println("tls", u.TLS())
	// Output:
	// host db1.example.com 0
	// host db2.example.com 27018
	// user alice on admin with SCRAM-SHA-256
	// tls true
}

// A malformed connection string is an *Error with a 2xx status and the
// offending byte's offset.
func ExampleParseURI_invalid() {
	_, err := mongoauth.ParseURI("mongodb://alice:pencil@db.example.com:99999/")
	var e *mongoauth.Error
	fmt.Println(errors.Is(err, mongoauth.ErrURI), errors.As(err, &e) && e.Offset > 0)
	// Output: true true
}

// login drives an Authenticator against an in-process ServerSession: the
// loop every mechanism uses (Next, then Command and HandleReply).
func login(a *mongoauth.Authenticator, s *mongoauth.ServerSession) error {
	for {
		next, err := a.Next()
		if err != nil {
			return err
		}
		if next == mongoauth.NextDone {
			return nil
		}
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
	}
}

// A SCRAM-SHA-256 login against the binding's own server session, in
// process; a wrong password is ErrAuthenticationFailed with the server's
// code 18.
func ExampleNewAuthenticator() {
	server, _ := mongoauth.NewServerSession("admin", "alice", "pencil")
	defer server.Close()
	for _, password := range []string{"pencil", "wrong"} {
		entropy, _ := mongoauth.RandomBytes(mongoauth.AuthEntropyBytes)
		a, err := mongoauth.NewAuthenticator(mongoauth.ScramSHA256, "alice", password, "admin", entropy, false)
		if err != nil {
			fmt.Println(err)
			return
		}
		err = login(a, server)
		var e *mongoauth.Error
		switch {
		case err == nil:
			fmt.Println(password, "authenticated:", a.Authenticated())
		case errors.Is(err, mongoauth.ErrAuthenticationFailed) && errors.As(err, &e):
			fmt.Println(password, "refused, server code", e.ServerCode)
		default:
			fmt.Println(err)
		}
		a.Close()
	}
	// Output:
	// pencil authenticated: true
	// wrong refused, server code 18
}

// serve answers OP_MSG commands on conn with a session: a stand-in for a
// MongoDB server, so that the example needs no network.
func serve(conn net.Conn, s *mongoauth.ServerSession) {
	defer conn.Close()
	for {
		header := make([]byte, 16)
		if _, err := io.ReadFull(conn, header); err != nil {
			return
		}
		rest := make([]byte, binary.LittleEndian.Uint32(header)-16)
		if _, err := io.ReadFull(conn, rest); err != nil {
			return
		}
		reply, err := s.Handle(rest[5:]) // after the flags and section kind 0
		if err != nil {
			return
		}
		msg := binary.LittleEndian.AppendUint32(nil, uint32(21+len(reply)))
		msg = binary.LittleEndian.AppendUint32(msg, 1)
		msg = append(msg, header[4:8]...) // responseTo
		msg = binary.LittleEndian.AppendUint32(msg, 2013)
		msg = append(append(msg, 0, 0, 0, 0, 0), reply...)
		if _, err := conn.Write(msg); err != nil {
			return
		}
	}
}

// The whole handshake over a connection with a deadline: HandshakeContext
// sets ctx's deadline on the connection; a server that never answers is
// both context.DeadlineExceeded and ErrTimeout.
func ExampleAuthenticator_HandshakeContext() {
	session, _ := mongoauth.NewServerSession("admin", "alice", "pencil")
	defer session.Close()
	client, server := net.Pipe()
	go serve(server, session)
	defer client.Close()

	entropy, _ := mongoauth.RandomBytes(mongoauth.AuthEntropyBytes)
	a, _ := mongoauth.NewAuthenticator(mongoauth.ScramSHA256, "alice", "pencil", "admin", entropy, true)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.HandshakeContext(ctx, client); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("logged in:", a.Authenticated())

	// a server that reads and never answers
	silent, peer := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	defer silent.Close()
	defer peer.Close()
	b, _ := mongoauth.NewAuthenticator(mongoauth.ScramSHA256, "alice", "pencil", "admin", entropy, true)
	defer b.Close()
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	err := b.HandshakeContext(short, silent)
	fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded), "timeout:", errors.Is(err, mongoauth.ErrTimeout))
	// Output:
	// logged in: true
	// deadline exceeded: true timeout: true
}

// toyInitiator and toyAcceptor are a toy GSS "mechanism" (a token names the
// principal; wrap and unwrap are the identity) standing in for a real GSS-API
// library such as MIT Kerberos.
type toyInitiator struct{}

func (toyInitiator) Step(req *mongoauth.GSSInit) ([]byte, bool, error) {
	return []byte("toy:" + req.Principal), true, nil
}
func (toyInitiator) Unwrap(token []byte) ([]byte, error) { return token, nil }
func (toyInitiator) Wrap(message []byte) ([]byte, error) { return message, nil }

type toyAcceptor struct{ name string }

func (t *toyAcceptor) Step(token []byte) ([]byte, bool, error) {
	t.name = strings.TrimPrefix(string(token), "toy:")
	return nil, true, nil
}
func (t *toyAcceptor) Wrap(message []byte) ([]byte, error) { return message, nil }
func (t *toyAcceptor) Unwrap(token []byte) ([]byte, error) { return token, nil }
func (t *toyAcceptor) SourceName() (string, error) {
	if t.name == "" {
		return "", mongoauth.ErrGSSNoContextAcceptor
	}
	return t.name, nil
}
func (t *toyAcceptor) Reset() { t.name = "" }

// A GSSAPI login with GSS-API libraries of your own on both sides
// (Authenticator.ProvideGSS and NewGSSServerSession).
func ExampleNewGSSAuthenticator() {
	server, _ := mongoauth.NewGSSServerSession(&toyAcceptor{}, "user@TOY.TEST")
	defer server.Close()
	entropy, _ := mongoauth.RandomBytes(mongoauth.AuthEntropyBytes)
	a, err := mongoauth.NewGSSAuthenticator("user@TOY.TEST", "", "db.example.com",
		mongoauth.GSSProperties{Service: "mongodb", Realm: "TOY.TEST"}, entropy)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	for {
		next, err := a.Next()
		if err != nil {
			fmt.Println(err)
			return
		}
		switch next {
		case mongoauth.NextDone:
			fmt.Println("GSSAPI login:", a.Authenticated())
			return
		case mongoauth.NextSend:
			cmd, _ := a.Command()
			reply, err := server.Handle(cmd)
			if err == nil {
				_, err = a.HandleReply(reply)
			}
			if err != nil {
				fmt.Println(err)
				return
			}
		default: // NextNeedGSSInit, NextNeedGSSUnwrap, NextNeedGSSWrap
			if err := a.ProvideGSS(toyInitiator{}); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	// Output: GSSAPI login: true
}

// Command gsslogin is a GSSAPI (Kerberos) login with the mongoauth Go
// binding and the library's built-in system GSS-API (MIT krb5).
//
// Build with the library's gssapi-system build installed into a prefix of
// its own (see link_gssapi_system.go and README.md):
//
//	PKG_CONFIG_PATH=PREFIX/lib/pkgconfig go run -tags mongoauth_gssapi_system ./examples/gsslogin [-addr HOST:PORT] [-no-user] [URI]
//
// Without -addr, the server is a mongoauth ServerSession in this process
// (NewGSSServerSession with the system acceptor, its key from KRB5_KTNAME);
// with -addr, the login runs over TCP (OP_MSG) to that server. A GSS
// library of your own plugs in as a GSSInitiator (Authenticator.ProvideGSS)
// and a GSSAcceptor (NewGSSServerSession).
//
// Needs a realm (scripts/krb-realm.sh start DIR; source DIR/env) and a
// ticket (kinit) or client keytab (KRB5_CLIENT_KTNAME). Exit status: 0
// logged in; 2 refused by the server (code 18); 3 a GSS-API failure
// (major/minor printed); 1 anything else.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	mongoauth "github.com/mongoauth/mongoauth/bindings/go"
)

const principal = "user@MONGOAUTH.TEST"

// exchange sends one command and returns the reply body: in process, or
// over a connection as OP_MSG.
type exchange func(cmd []byte) ([]byte, error)

func overTCP(conn net.Conn) exchange {
	var id int32
	return func(cmd []byte) ([]byte, error) {
		id++
		msg := make([]byte, 21, 21+len(cmd))
		binary.LittleEndian.PutUint32(msg[0:], uint32(21+len(cmd)))
		binary.LittleEndian.PutUint32(msg[4:], uint32(id))
		binary.LittleEndian.PutUint32(msg[12:], 2013) // OP_MSG, flags 0, section kind 0
		msg = append(msg, cmd...)
		if _, err := conn.Write(msg); err != nil {
			return nil, err
		}
		header := make([]byte, 16)
		if _, err := io.ReadFull(conn, header); err != nil {
			return nil, err
		}
		n := binary.LittleEndian.Uint32(header)
		if n < 21 || n > 48*1024*1024 {
			return nil, fmt.Errorf("bad reply length %d", n)
		}
		rest := make([]byte, n-16)
		if _, err := io.ReadFull(conn, rest); err != nil {
			return nil, err
		}
		return rest[5:], nil // flags, section kind 0, then the body
	}
}

func login(a *mongoauth.Authenticator, send exchange) error {
	for {
		next, err := a.Next()
		if err != nil {
			return err
		}
		switch next {
		case mongoauth.NextDone:
			if !a.Authenticated() {
				return errors.New("not authenticated")
			}
			return nil
		case mongoauth.NextNeedGSSInit, mongoauth.NextNeedGSSUnwrap, mongoauth.NextNeedGSSWrap:
			if err := a.ProvideGSSSystem(); err != nil {
				return err
			}
		case mongoauth.NextSend:
			cmd, err := a.Command()
			if err != nil {
				return err
			}
			reply, err := send(cmd)
			if err != nil {
				return err
			}
			if _, err := a.HandleReply(reply); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected step %d", next)
		}
	}
}

func run() int {
	addr := flag.String("addr", "", "log in over TCP to this server instead of an in-process session")
	noUser := flag.Bool("no-user", false, "the in-process server does not know the principal")
	flag.Parse()
	uri := "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI"
	if flag.NArg() > 0 {
		uri = flag.Arg(0)
	}
	if !mongoauth.GSSSystemAvailable() {
		fmt.Fprintln(os.Stderr, "this build has no system GSS-API: build with -tags mongoauth_gssapi_system")
		return 1
	}
	var send exchange
	if *addr != "" {
		conn, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer conn.Close()
		send = overTCP(conn)
	} else {
		users := []string{principal}
		if *noUser {
			users = nil
		}
		s, err := mongoauth.NewGSSServerSession(nil, users...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 1
		}
		defer s.Close()
		send = s.Handle
	}
	u, err := mongoauth.ParseURI(uri)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer u.Close()
	a, err := mongoauth.NewAuthenticatorFromURI(u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer a.Close()
	if err := login(a, send); err != nil {
		var e *mongoauth.Error
		switch {
		case errors.Is(err, mongoauth.ErrAuthenticationFailed):
			fmt.Fprintln(os.Stderr, "refused:", err)
			return 2
		case errors.As(err, &e) && e.Status == mongoauth.StatusGSSFailure:
			fmt.Fprintf(os.Stderr, "GSS failure: major %#x minor %#x: %s\n", e.GSSMajor, e.GSSMinor, e.Message)
			return 3
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("logged in with GSSAPI as", principal)
	return 0
}

func main() { os.Exit(run()) }

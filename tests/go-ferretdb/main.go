// Command ferretdblogin logs in with mongoauth's Go binding (cgo, the
// library found through pkg-config) to each URI given as an argument, over
// a plain TCP connection: the binding's Authenticator gives each command as
// a BSON body, this program frames it as OP_MSG and hands each reply's body
// back. Used by tests/tests/interop_ferretdb.rs against FerretDB.
//
// Output, one line per URI, in order:
//
//	OK                     logged in
//	FAIL code=18 <detail>  the server refused the credential
//	ERR <detail>           anything else
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	mongoauth "github.com/mongoauth/mongoauth/bindings/go"
)

const (
	opMsg     = 2013
	headerLen = 16
	maxFrame  = 16 << 20
)

// outcome is the only place that knows the binding's error types: it maps a
// login's result to OK / FAIL code=18 / ERR.
func outcome(authenticated bool, err error) string {
	if err == nil {
		if authenticated {
			return "OK"
		}
		return "ERR not authenticated after the handshake"
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if errors.Is(err, mongoauth.ErrAuthenticationFailed) {
		return "FAIL code=18 " + msg
	}
	var me *mongoauth.Error
	if errors.As(err, &me) && me.Status == mongoauth.StatusCommandFailed {
		return fmt.Sprintf("ERR code=%d %s", me.ServerCode, msg)
	}
	return "ERR " + msg
}

func frame(requestID int32, body []byte) []byte {
	out := make([]byte, headerLen+4+1, headerLen+5+len(body))
	binary.LittleEndian.PutUint32(out[0:], uint32(headerLen+5+len(body)))
	binary.LittleEndian.PutUint32(out[4:], uint32(requestID))
	binary.LittleEndian.PutUint32(out[12:], opMsg)
	// flags 0, one kind-0 section
	return append(out, body...)
}

// readReply reads one OP_MSG frame answering requestID and returns its body.
func readReply(r io.Reader, requestID int32) ([]byte, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(h[0:])
	if n < headerLen+5 || n > maxFrame {
		return nil, fmt.Errorf("bad frame length %d", n)
	}
	rest := make([]byte, n-headerLen)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	if op := binary.LittleEndian.Uint32(h[12:]); op != opMsg {
		return nil, fmt.Errorf("reply opcode %d, want OP_MSG", op)
	}
	if to := int32(binary.LittleEndian.Uint32(h[8:])); to != requestID {
		return nil, fmt.Errorf("reply answers request %d, want %d", to, requestID)
	}
	if flags := binary.LittleEndian.Uint32(rest[0:]); flags&^uint32(2) != 0 || rest[4] != 0 {
		return nil, fmt.Errorf("unexpected OP_MSG flags %#x or section kind %d", flags, rest[4])
	}
	return rest[5:], nil
}

func login(uri string) (bool, error) {
	u, err := mongoauth.ParseURI(uri)
	if err != nil {
		return false, err
	}
	defer u.Close()
	hosts, err := u.Hosts()
	if err != nil {
		return false, err
	}
	if len(hosts) == 0 {
		return false, errors.New("no host")
	}
	port := hosts[0].Port
	if port == 0 {
		port = 27017
	}
	auth, err := mongoauth.NewAuthenticatorFromURI(u)
	if err != nil {
		return false, err
	}
	defer auth.Close()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(hosts[0].Name, strconv.Itoa(int(port))), 10*time.Second)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	for id := int32(1); ; id++ {
		cmd, err := auth.Command()
		if err != nil {
			return false, err
		}
		if _, err := conn.Write(frame(id, cmd)); err != nil {
			return false, err
		}
		body, err := readReply(conn, id)
		if err != nil {
			return false, err
		}
		done, err := auth.HandleReply(body)
		if err != nil {
			return false, err
		}
		if done {
			return auth.Authenticated(), nil
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ferretdblogin URI...")
		os.Exit(2)
	}
	for _, uri := range os.Args[1:] {
		fmt.Println(outcome(login(uri)))
	}
}

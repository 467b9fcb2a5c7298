package mongoauth

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// serveOpMsg answers OP_MSG commands on conn with session (the server side
// of Handshake), until the client closes or a frame is malformed.
func serveOpMsg(conn net.Conn, session *ServerSession) {
	defer conn.Close()
	for {
		header := make([]byte, 16)
		if _, err := io.ReadFull(conn, header); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(header)
		if n < 21 || n > 1<<20 {
			return
		}
		rest := make([]byte, n-16)
		if _, err := io.ReadFull(conn, rest); err != nil {
			return
		}
		reply, err := session.Handle(rest[5:])
		if err != nil {
			return
		}
		msg := make([]byte, 21, 21+len(reply))
		binary.LittleEndian.PutUint32(msg[0:], uint32(21+len(reply)))
		binary.LittleEndian.PutUint32(msg[4:], 1)
		copy(msg[8:12], header[4:8]) // responseTo: the request's id
		binary.LittleEndian.PutUint32(msg[12:], 2013)
		msg = append(msg, reply...)
		if _, err := conn.Write(msg); err != nil {
			return
		}
	}
}

// loginPipe returns the client end of a pipe whose other end is served by
// a session holding admin/alice/pencil.
func loginPipe(t *testing.T) net.Conn {
	t.Helper()
	s, err := NewServerSession("admin", "alice", "pencil")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	client, server := net.Pipe()
	go serveOpMsg(server, s)
	t.Cleanup(func() { client.Close() })
	return client
}

func newSCRAM(t *testing.T, password string) *Authenticator {
	t.Helper()
	entropy, err := RandomBytes(AuthEntropyBytes)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthenticator(ScramSHA256, "alice", password, "admin", entropy, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestHandshakeLogsIn(t *testing.T) {
	a := newSCRAM(t, "pencil")
	if err := a.Handshake(loginPipe(t)); err != nil {
		t.Fatal(err)
	}
	if !a.Authenticated() {
		t.Fatal("not authenticated")
	}
}

func TestHandshakeContextLogsIn(t *testing.T) {
	a := newSCRAM(t, "pencil")
	conn := loginPipe(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.HandshakeContext(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if !a.Authenticated() {
		t.Fatal("not authenticated")
	}
}

func TestHandshakeWrongPassword(t *testing.T) {
	a := newSCRAM(t, "wrong")
	err := a.HandshakeContext(context.Background(), loginPipe(t))
	var e *Error
	if !errors.Is(err, ErrAuthenticationFailed) || !errors.As(err, &e) || e.ServerCode != 18 {
		t.Fatalf("want authentication failed with server code 18, got %v", err)
	}
}

// stallingServer reads everything and never answers.
func stallingServer(t *testing.T) net.Conn {
	client, server := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, server) }()
	t.Cleanup(func() { client.Close(); server.Close() })
	return client
}

func TestHandshakeContextDeadline(t *testing.T) {
	a := newSCRAM(t, "pencil")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := a.HandshakeContext(ctx, stallingServer(t))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("want DeadlineExceeded and ErrTimeout, got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusTimeout {
		t.Fatalf("errors.As: %v", err)
	}
}

func TestHandshakeContextAlreadyExpired(t *testing.T) {
	a := newSCRAM(t, "pencil")
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	err := a.HandshakeContext(ctx, stallingServer(t))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("want DeadlineExceeded and ErrTimeout, got %v", err)
	}
}

func TestHandshakeContextCancel(t *testing.T) {
	a := newSCRAM(t, "pencil")
	ctx, cancel := context.WithCancel(context.Background())
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	go func() {
		// cancel once the first command has arrived
		b := make([]byte, 1)
		_, _ = server.Read(b)
		cancel()
		_, _ = io.Copy(io.Discard, server)
	}()
	err := a.HandshakeContext(ctx, client)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("want Canceled (not a timeout), got %v", err)
	}
	// the deadline set to interrupt the handshake was cleared
	go func() { _, _ = server.Write([]byte{1}) }()
	if _, err := client.Read(make([]byte, 1)); err != nil {
		t.Fatalf("connection still has a deadline: %v", err)
	}
}

// A deadline the caller set on the connection (no ctx): ErrTimeout, and
// the net error through errors.Is.
func TestHandshakeConnDeadline(t *testing.T) {
	a := newSCRAM(t, "pencil")
	conn := stallingServer(t)
	if err := conn.SetDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	err := a.Handshake(conn)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("want ErrTimeout and os.ErrDeadlineExceeded, got %v", err)
	}
}

func TestHandshakeServerCloses(t *testing.T) {
	a := newSCRAM(t, "pencil")
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		header := make([]byte, 16)
		_, _ = io.ReadFull(server, header)
		server.Close()
	}()
	err := a.Handshake(client)
	if !errors.Is(err, ErrUnexpectedEOF) && !errors.Is(err, ErrIO) {
		t.Fatalf("want unexpected EOF or I/O, got %v", err)
	}
}

type panicky struct{}

func (panicky) Read([]byte) (int, error)  { panic("read exploded") }
func (panicky) Write([]byte) (int, error) { panic("write exploded") }

// A panic in the stream comes back as a panic in Go, never through the C
// library's frames.
func TestHandshakePanicInStream(t *testing.T) {
	a := newSCRAM(t, "pencil")
	defer func() {
		if v := recover(); v != "write exploded" {
			t.Fatalf("want the stream's panic, got %v", v)
		}
	}()
	_ = a.Handshake(panicky{})
	t.Fatal("no panic")
}

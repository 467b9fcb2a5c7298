package mongoauth

/*
#include <stdlib.h>
#include <mongoauth.h>
// handshake_go.c: mongoauth_authenticator_handshake_until with the exported Go read,
// write and clock functions below, a cgo.Handle as their ctx.
mongoauth_status mongoauth_go_handshake(mongoauth_authenticator *auth, uintptr_t handle, uint64_t deadline_ms,
                                        uint8_t *buf, size_t capacity, mongoauth_error *err);
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// handshakeIO is what the C callbacks of one handshake reach through their
// cgo.Handle: the stream, the clock's origin, and the first Go I/O error
// (the C library only sees "a callback failed").
type handshakeIO struct {
	rw    io.ReadWriter
	start time.Time
	err   error
	// panicked holds a panic of rw's Read or Write: recovered in the
	// callback (a panic must not unwind through the C library), raised
	// again once the C call has returned.
	panicked any
}

// guard recovers a panic of rw inside a callback and makes it an I/O failure.
func (s *handshakeIO) guard(ret *C.ptrdiff_t) {
	if v := recover(); v != nil {
		s.panicked = v
		*ret = -1
	}
}

// Handshake runs the started login over rw, a connected byte stream (a
// net.Conn, a *tls.Conn): the library frames each command as OP_MSG,
// writes it, reads and checks the reply, until the login is done. nil only
// for a verified login. It blocks with no deadline of its own: use
// HandshakeContext against a server that may stall. GSSAPI needs the
// library's system GSS-API (see GSSSystemAvailable); with a GSSInitiator of
// your own, drive the login with Next instead.
func (a *Authenticator) Handshake(rw io.ReadWriter) error {
	return a.handshake(context.Background(), rw)
}

// HandshakeContext is Handshake with ctx's deadline and cancellation: the
// deadline is set on conn for the handshake and also bounds the whole login
// (a server dripping one byte at a time is stopped too); cancelling ctx
// interrupts a blocked read or write. conn's deadline is cleared when it
// returns. When ctx ends the handshake, the error matches both ctx.Err()
// (errors.Is(err, context.DeadlineExceeded) or context.Canceled) and, for
// a deadline, ErrTimeout; errors.As gives the *Error.
func (a *Authenticator) HandshakeContext(ctx context.Context, conn net.Conn) error {
	if err := ctx.Err(); err != nil {
		return ctxError(err, nil, nil)
	}
	if d, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(d); err != nil {
			return &Error{Status: StatusIO, Message: "setting the connection deadline: " + err.Error(), Offset: -1, Cause: err}
		}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		// unblocks a pending Read or Write at once
		_ = conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
		}
		_ = conn.SetDeadline(time.Time{})
	}()
	return a.handshake(ctx, conn)
}

// ctxError is the error of a handshake ended by ctx (lib: the error the
// library reported, ioErr: the connection's, if any; errors.Is sees both
// ctxErr and ioErr).
func ctxError(ctxErr error, lib *Error, ioErr error) error {
	e := &Error{Status: StatusIO, Offset: -1, Cause: ctxErr}
	if ioErr != nil {
		e.Cause = errors.Join(ctxErr, ioErr)
	}
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		e.Status = StatusTimeout
		e.Message = "the handshake did not finish before the context's deadline"
	} else {
		e.Message = "the handshake was cancelled"
	}
	if lib != nil && lib.Message != "" {
		e.Message += " (" + lib.Message + ")"
	}
	return e
}

func (a *Authenticator) handshake(ctx context.Context, rw io.ReadWriter) error {
	defer runtime.KeepAlive(a)
	state := &handshakeIO{rw: rw, start: time.Now()}
	deadlineMs := uint64(math.MaxUint64)
	d, hasDeadline := ctx.Deadline()
	if hasDeadline {
		deadlineMs = 0
		if left := d.Sub(state.start); left > 0 {
			deadlineMs = uint64(left.Milliseconds())
		}
	}
	h := cgo.NewHandle(state)
	defer h.Delete()
	capacity := C.mongoauth_authenticator_handshake_buffer_bytes()
	buf := (*C.uint8_t)(C.malloc(capacity))
	defer C.free(unsafe.Pointer(buf))
	var e C.mongoauth_error
	st := C.mongoauth_go_handshake(a.p, C.uintptr_t(h), C.uint64_t(deadlineMs), buf, capacity, &e)
	if state.panicked != nil {
		panic(state.panicked)
	}
	err := check(st, &e)
	if err == nil {
		return nil
	}
	me := err.(*Error)
	if cerr := ctx.Err(); cerr != nil && (me.Status == StatusIO || me.Status == StatusTimeout) {
		return ctxError(cerr, me, state.err)
	}
	if hasDeadline && (me.Status == StatusTimeout || errors.Is(state.err, os.ErrDeadlineExceeded)) {
		// ctx's deadline, seen by the library's clock or the connection
		// (HandshakeContext set it there) a moment before ctx's own timer
		return ctxError(context.DeadlineExceeded, me, state.err)
	}
	if state.err != nil && me.Status == StatusIO {
		me.Cause = state.err
		me.Message += ": " + state.err.Error()
		if errors.Is(state.err, os.ErrDeadlineExceeded) {
			// a deadline the caller set on the connection
			me.Status = StatusTimeout
		}
	}
	return me
}

func handshakeOf(h C.uintptr_t) *handshakeIO {
	return cgo.Handle(h).Value().(*handshakeIO)
}

//export mongoauthGoHandshakeRead
func mongoauthGoHandshakeRead(h C.uintptr_t, buf *C.uint8_t, n C.size_t) (ret C.ptrdiff_t) {
	s := handshakeOf(h)
	defer s.guard(&ret)
	if n == 0 {
		return 0
	}
	p := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	for {
		got, err := s.rw.Read(p)
		if got > 0 {
			return C.ptrdiff_t(got)
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			s.err = err
			return -1
		}
		// (0, nil): read again, as io.Reader allows
	}
}

//export mongoauthGoHandshakeWrite
func mongoauthGoHandshakeWrite(h C.uintptr_t, buf *C.uint8_t, n C.size_t) (ret C.ptrdiff_t) {
	s := handshakeOf(h)
	defer s.guard(&ret)
	if n == 0 {
		return 0
	}
	got, err := s.rw.Write(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)))
	if got > 0 {
		return C.ptrdiff_t(got)
	}
	if err == nil {
		err = io.ErrShortWrite
	}
	s.err = err
	return -1
}

//export mongoauthGoHandshakeClock
func mongoauthGoHandshakeClock(h C.uintptr_t) C.uint64_t {
	return C.uint64_t(time.Since(handshakeOf(h).start).Milliseconds())
}

package mongoauth

import "fmt"

// Status is a mongoauth status code (pinned numbers, grouped by range:
// 1-99 the caller's fault, 100-199 SCRAM peer/login, 200-299 connection
// strings, 300-399 BSON and frames, 400-499 the handshake, 900-999 bugs).
type Status uint32

// The status codes; TestStatusNames checks them against the C library.
const (
	StatusOK                         Status = 0
	StatusNullPointer                Status = 1
	StatusBufferTooSmall             Status = 2
	StatusInvalidArgument            Status = 3
	StatusInvalidUTF8                Status = 4
	StatusInvalidObject              Status = 5
	StatusMemoryTooSmall             Status = 6
	StatusMemoryMisaligned           Status = 7
	StatusWrongAllocation            Status = 8
	StatusUnexpectedStep             Status = 9
	StatusUnsupportedMechanism       Status = 10
	StatusCapacity                   Status = 11
	StatusInvalidNonce               Status = 12
	StatusInvalidCredential          Status = 13
	StatusSaslprep                   Status = 14
	StatusKeysDoNotMatchServer       Status = 15
	StatusRandomUnavailable          Status = 16
	StatusOutOfMemory                Status = 17
	StatusBusy                       Status = 18
	StatusObjectFreed                Status = 19
	StatusMalformedMessage           Status = 100
	StatusNonceMismatch              Status = 101
	StatusIterationCountTooLow       Status = 102
	StatusIterationCountTooHigh      Status = 103
	StatusServerSignatureMismatch    Status = 104
	StatusServerError                Status = 105
	StatusMandatoryExtension         Status = 106
	StatusAuthenticationFailed       Status = 107
	StatusChannelBindingNotSupported Status = 108
	StatusURISyntax                  Status = 200
	StatusURIOption                  Status = 201
	StatusURICredential              Status = 202
	StatusURISrv                     Status = 203
	StatusURIEncode                  Status = 204
	StatusBSONMalformed              Status = 300
	StatusFrameMalformed             Status = 301
	StatusUnsupportedOpcode          Status = 302
	StatusMessageTooLarge            Status = 303
	StatusChecksumMismatch           Status = 304
	StatusCommandFailed              Status = 400
	StatusProtocol                   Status = 401
	StatusIO                         Status = 402
	StatusUnexpectedEOF              Status = 403
	StatusNotAuthenticated           Status = 404
	StatusTimeout                    Status = 405
	StatusGSSFailure                 Status = 500
	StatusGSSNoContext               Status = 501
	StatusPanic                      Status = 900
	StatusInternal                   Status = 901
)

// String is the C name, e.g. "MONGOAUTH_STATUS_AUTHENTICATION_FAILED".
func (s Status) String() string { return statusName(uint32(s)) }

// IsCallerError reports a code in the caller's range (1-99).
func (s Status) IsCallerError() bool { return s >= 1 && s <= 99 }

// IsScramError reports a code in the SCRAM range (100-199).
func (s Status) IsScramError() bool { return s >= 100 && s <= 199 }

// IsURIError reports a connection string code (200-299).
func (s Status) IsURIError() bool { return s >= 200 && s <= 299 }

// Error is a failed call, for errors.As: the status code, the library's
// message (specific, never a secret; for people, not for branching),
// Offset, the byte of the input it points at (-1 when none), and
// ServerCode, the server's numeric code when a server refused (18:
// AuthenticationFailed; 0 otherwise). GSSMajor and GSSMinor are the GSS-API
// status codes of a StatusGSSFailure (the library's text is in Message).
// Cause is the Go error behind a handshake's failure, if any (the
// connection's read or write error, or ctx.Err() for HandshakeContext):
// errors.Is and errors.As see it through Unwrap.
// Branch with errors.Is and the Err* sentinels, or on Status.
type Error struct {
	Status     Status
	Message    string
	Offset     int64
	ServerCode int32
	GSSMajor   uint32
	GSSMinor   uint32
	Cause      error
}

// Unwrap gives Cause to errors.Is and errors.As (e.g. errors.Is(err,
// context.DeadlineExceeded) after HandshakeContext).
func (e *Error) Unwrap() error { return e.Cause }

func (e *Error) Error() string {
	if e.ServerCode != 0 {
		return fmt.Sprintf("mongoauth: %s (server code %d): %s", e.Status, e.ServerCode, e.Message)
	}
	if e.Status == StatusGSSFailure {
		return fmt.Sprintf("mongoauth: %s (GSS major %#x, minor %#x): %s", e.Status, e.GSSMajor, e.GSSMinor, e.Message)
	}
	return fmt.Sprintf("mongoauth: %s: %s", e.Status, e.Message)
}

// Is makes errors.Is(err, ErrAuthenticationFailed) (and every other Err*
// sentinel, groups included) work; another *Error matches by status.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Kind:
		return t.match(e.Status)
	case *Error:
		return t.Status == e.Status
	}
	return false
}

// Kind is a sentinel error: one status, or a group of statuses. Compare
// with errors.Is; the *Error behind it has the details.
type Kind struct {
	name  string
	match func(Status) bool
}

func (k *Kind) Error() string { return "mongoauth: " + k.name }

func one(s Status) func(Status) bool { return func(x Status) bool { return x == s } }

func between(lo, hi Status) func(Status) bool {
	return func(x Status) bool { return x >= lo && x <= hi }
}

// Sentinels for errors.Is, one per status worth branching on, and groups.
var (
	// ErrAuthenticationFailed: wrong username or password (the server's
	// code 18 on the client side; deliberately not said which).
	ErrAuthenticationFailed = &Kind{"authentication failed", one(StatusAuthenticationFailed)}
	// ErrServerSignatureMismatch: the server did not prove it knows the password.
	ErrServerSignatureMismatch = &Kind{"server signature mismatch", one(StatusServerSignatureMismatch)}
	// ErrServerError: the server answered a SCRAM e=<value>.
	ErrServerError = &Kind{"server SCRAM error", one(StatusServerError)}
	// ErrCommandFailed: the server answered a command with ok: 0 (code in ServerCode).
	ErrCommandFailed = &Kind{"command failed", one(StatusCommandFailed)}
	// ErrProtocol: the server broke the handshake protocol.
	ErrProtocol = &Kind{"protocol violation", one(StatusProtocol)}
	// ErrIO: a read or write failed.
	ErrIO = &Kind{"I/O error", one(StatusIO)}
	// ErrUnexpectedEOF: the peer closed the connection mid-handshake.
	ErrUnexpectedEOF = &Kind{"unexpected EOF", one(StatusUnexpectedEOF)}
	// ErrNotAuthenticated: the handshake ended without a verified login
	// (an arbiter): the connection is not authenticated.
	ErrNotAuthenticated = &Kind{"not authenticated", one(StatusNotAuthenticated)}
	// ErrTimeout: the handshake did not finish before its deadline.
	ErrTimeout = &Kind{"timeout", one(StatusTimeout)}
	// ErrUnexpectedStep: a call out of order.
	ErrUnexpectedStep = &Kind{"unexpected step", one(StatusUnexpectedStep)}
	// ErrInvalidUTF8: a text argument is not UTF-8.
	ErrInvalidUTF8 = &Kind{"invalid UTF-8", one(StatusInvalidUTF8)}
	// ErrCapacity: a length or count above its documented limit.
	ErrCapacity = &Kind{"limit exceeded", one(StatusCapacity)}
	// ErrBusy: a call on an object from inside one of its own callbacks.
	ErrBusy = &Kind{"object busy", one(StatusBusy)}
	// ErrObjectFreed: a caller-memory object used after its _clear.
	ErrObjectFreed = &Kind{"object cleared or freed", one(StatusObjectFreed)}
	// ErrURISyntax: a connection string breaks the URI syntax.
	ErrURISyntax = &Kind{"connection string syntax", one(StatusURISyntax)}

	// ErrObjectMisuse groups the misuse of a C object: not initialised or
	// of another type, wrong memory, wrong release, busy, cleared.
	ErrObjectMisuse = &Kind{"object misuse", func(x Status) bool {
		switch x {
		case StatusInvalidObject, StatusMemoryTooSmall, StatusMemoryMisaligned,
			StatusWrongAllocation, StatusBusy, StatusObjectFreed:
			return true
		}
		return false
	}}
	// ErrCaller groups the caller's mistakes (1-99).
	ErrCaller = &Kind{"invalid call", between(1, 99)}
	// ErrLogin groups the SCRAM peer and login failures (100-199).
	ErrLogin = &Kind{"login failed", between(100, 199)}
	// ErrURI groups the connection string errors (200-299).
	ErrURI = &Kind{"connection string", between(200, 299)}
	// ErrWire groups the BSON and OP_MSG errors (300-399).
	ErrWire = &Kind{"malformed BSON or frame", between(300, 399)}
	// ErrHandshake groups the server's refusals and I/O (400-499).
	ErrHandshake = &Kind{"handshake failed", between(400, 499)}
	// ErrGSS groups the GSS-API library's failures (500-599).
	ErrGSS = &Kind{"GSS-API failure", between(500, 599)}
	// ErrInternal groups the library's bugs (900-999).
	ErrInternal = &Kind{"internal error", between(900, 999)}
)

package mongoauth

import "fmt"

// Status is a mongoauth status code (pinned numbers, grouped by range:
// 1-99 the caller's fault, 100-199 SCRAM peer/login, 200-499 reserved,
// 900-999 bugs).
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

// Error is a failed call: the numeric code and the library's message;
// Offset is the byte of the input it points at (-1 when none), ServerCode
// the server's code for StatusCommandFailed (18: AuthenticationFailed).
type Error struct {
	Code       Status
	Message    string
	Offset     int64
	ServerCode int32
}

func (e *Error) Error() string { return fmt.Sprintf("mongoauth: %s: %s", e.Code, e.Message) }

// Is matches by code, so errors.Is(err, ErrAuthenticationFailed) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrAuthenticationFailed    = &Error{Code: StatusAuthenticationFailed}
	ErrServerSignatureMismatch = &Error{Code: StatusServerSignatureMismatch}
	ErrServerError             = &Error{Code: StatusServerError}
	ErrUnexpectedStep          = &Error{Code: StatusUnexpectedStep}
	ErrInvalidUTF8             = &Error{Code: StatusInvalidUTF8}
	ErrCommandFailed           = &Error{Code: StatusCommandFailed}
	ErrURISyntax               = &Error{Code: StatusURISyntax}
)

package mongoauth

import (
	"bytes"
	"errors"
	"testing"
)

func TestConstants(t *testing.T) {
	want := map[string]uint64{
		"ScramMaxMessageBytes": ScramMaxMessageBytes, "MaxUsernameBytes": MaxUsernameBytes,
		"MaxPasswordBytes": MaxPasswordBytes, "MinEntropyBytes": MinEntropyBytes,
		"MaxEntropyBytes": MaxEntropyBytes, "MaxSaltBytes": MaxSaltBytes, "MaxKeyBytes": MaxKeyBytes,
		"MinIterations": MinIterations, "DefaultMaxIterations": DefaultMaxIterations,
		"ScramClientSize": ScramClientSize, "ScramServerSize": ScramServerSize,
		"KeyCacheSize": KeyCacheSize, "ErrorSize": ErrorSize, "ErrorMessageSize": ErrorMessageSize,
		"ScramCredentialsSize": ScramCredentialsSize, "VersionNumber": VersionNumber,
		"AuthEntropyBytes":       AuthEntropyBytes,
		"header:ScramClientSize": ScramClientSize, "header:VersionNumber": VersionNumber,
		"sizeof:mongoauth_error": ErrorSize, "sizeof:credentials": ScramCredentialsSize,
	}
	got := cConstants()
	if len(got) != len(want) {
		t.Fatalf("checked %d constants, have %d", len(want), len(got))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: Go %d, C %d", k, v, got[k])
		}
	}
	if Version() != "0.1.0" {
		t.Errorf("version %q", Version())
	}
}

func TestStatusNames(t *testing.T) {
	names := map[Status]string{
		StatusOK: "OK", StatusNullPointer: "NULL_POINTER", StatusBufferTooSmall: "BUFFER_TOO_SMALL",
		StatusInvalidArgument: "INVALID_ARGUMENT", StatusInvalidUTF8: "INVALID_UTF8",
		StatusInvalidObject: "INVALID_OBJECT", StatusMemoryTooSmall: "MEMORY_TOO_SMALL",
		StatusMemoryMisaligned: "MEMORY_MISALIGNED", StatusWrongAllocation: "WRONG_ALLOCATION",
		StatusUnexpectedStep: "UNEXPECTED_STEP", StatusUnsupportedMechanism: "UNSUPPORTED_MECHANISM",
		StatusCapacity: "CAPACITY", StatusInvalidNonce: "INVALID_NONCE",
		StatusInvalidCredential: "INVALID_CREDENTIAL", StatusSaslprep: "SASLPREP",
		StatusKeysDoNotMatchServer: "KEYS_DO_NOT_MATCH_SERVER", StatusRandomUnavailable: "RANDOM_UNAVAILABLE",
		StatusOutOfMemory: "OUT_OF_MEMORY", StatusBusy: "BUSY", StatusObjectFreed: "OBJECT_FREED",
		StatusMalformedMessage: "MALFORMED_MESSAGE",
		StatusNonceMismatch:    "NONCE_MISMATCH", StatusIterationCountTooLow: "ITERATION_COUNT_TOO_LOW",
		StatusIterationCountTooHigh:   "ITERATION_COUNT_TOO_HIGH",
		StatusServerSignatureMismatch: "SERVER_SIGNATURE_MISMATCH", StatusServerError: "SERVER_ERROR",
		StatusMandatoryExtension: "MANDATORY_EXTENSION", StatusAuthenticationFailed: "AUTHENTICATION_FAILED",
		StatusChannelBindingNotSupported: "CHANNEL_BINDING_NOT_SUPPORTED", StatusPanic: "PANIC",
		StatusInternal:  "INTERNAL",
		StatusURISyntax: "URI_SYNTAX", StatusURIOption: "URI_OPTION", StatusURICredential: "URI_CREDENTIAL",
		StatusURISrv: "URI_SRV", StatusURIEncode: "URI_ENCODE", StatusBSONMalformed: "BSON_MALFORMED",
		StatusFrameMalformed: "FRAME_MALFORMED", StatusUnsupportedOpcode: "UNSUPPORTED_OPCODE",
		StatusMessageTooLarge: "MESSAGE_TOO_LARGE", StatusChecksumMismatch: "CHECKSUM_MISMATCH",
		StatusCommandFailed: "COMMAND_FAILED", StatusProtocol: "PROTOCOL", StatusIO: "IO",
		StatusUnexpectedEOF: "UNEXPECTED_EOF", StatusNotAuthenticated: "NOT_AUTHENTICATED",
		StatusTimeout: "TIMEOUT", StatusGSSFailure: "GSS_FAILURE", StatusGSSNoContext: "GSS_NO_CONTEXT",
	}
	known := 0
	for code := Status(0); code < 1000; code++ {
		name, ok := names[code]
		c := code.String()
		if ok {
			known++
			if c != "MONGOAUTH_STATUS_"+name {
				t.Errorf("code %d: Go %s, C %s", code, name, c)
			}
		} else if c != "MONGOAUTH_STATUS_UNKNOWN" {
			t.Errorf("code %d has a C name %s but no Go constant", code, c)
		}
	}
	if known != len(names) {
		t.Errorf("%d of %d names checked", known, len(names))
	}
}

func login(t *testing.T, m Mechanism, user, storedPw, clientPw string) (*Client, *Server, error) {
	t.Helper()
	creds, err := GenerateCredentials(m, user, storedPw, nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(m, user, clientPw, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(m)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Message()
	if err != nil {
		t.Fatal(err)
	}
	name, err := s.HandleClientFirst(first)
	if err != nil || name != user {
		t.Fatalf("username %q, %v", name, err)
	}
	sf, err := s.Respond(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := c.Step(sf); err != nil || done {
		t.Fatalf("step 1: %v %v", done, err)
	}
	cf, _ := c.Message()
	sfin, err := s.HandleClientFinal(cf)
	if err != nil {
		return c, s, err
	}
	done, err := c.Step(sfin)
	if err != nil || !done {
		t.Fatalf("step 2: %v %v", done, err)
	}
	return c, s, nil
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []Mechanism{ScramSHA1, ScramSHA256} {
		t.Run(m.String(), func(t *testing.T) {
			c, s, err := login(t, m, "user", "pencil", "pencil")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer s.Close()
			if !c.Authenticated() || !s.Authenticated() {
				t.Fatal("not authenticated")
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	for _, m := range []Mechanism{ScramSHA1, ScramSHA256} {
		c, s, err := login(t, m, "user", "pencil", "pencil!")
		if !errors.Is(err, ErrAuthenticationFailed) {
			t.Fatalf("%s: got %v", m, err)
		}
		var me *Error
		if !errors.As(err, &me) || me.Status != StatusAuthenticationFailed || !me.Status.IsScramError() {
			t.Fatalf("error code %v", err)
		}
		e, _ := s.Message()
		if !bytes.Equal(e, []byte("e=invalid-proof")) {
			t.Fatalf("server answer %q", e)
		}
		if _, err := c.Step(e); !errors.Is(err, ErrServerError) {
			t.Fatalf("client got %v", err)
		}
		c.Close()
		s.Close()
		c.Close() // twice is fine
	}
}

func TestMisuse(t *testing.T) {
	if _, err := NewClient(ScramSHA256, "us\xffer", "pencil", nil); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if _, err := NewClient(Mechanism(42), "user", "pencil", nil); err == nil || err.(*Error).Status != StatusInvalidArgument {
		t.Fatalf("bad mechanism: %v", err)
	}
	if _, err := NewClient(ScramSHA256, "user", "pencil", []byte{1, 2, 3}); err == nil || err.(*Error).Status != StatusInvalidNonce {
		t.Fatalf("short entropy: %v", err)
	}
	s, _ := NewServer(ScramSHA256)
	defer s.Close()
	if _, err := s.HandleClientFinal([]byte("c=biws")); !errors.Is(err, ErrUnexpectedStep) {
		t.Fatalf("out of order: %v", err)
	}
	if _, err := s.HandleClientFirst(nil); err == nil || err.(*Error).Status != StatusMalformedMessage {
		t.Fatalf("empty input: %v", err)
	}
}

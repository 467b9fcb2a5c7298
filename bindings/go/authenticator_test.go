package mongoauth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// A tiny BSON writer for scripted server replies.
type bdoc struct{ b []byte }

func (d *bdoc) key(t byte, k string) { d.b = append(append(append(d.b, t), k...), 0) }
func (d *bdoc) i32(k string, v int32) {
	d.key(0x10, k)
	d.b = binary.LittleEndian.AppendUint32(d.b, uint32(v))
}
func (d *bdoc) boolean(k string, v bool) {
	d.key(0x08, k)
	if v {
		d.b = append(d.b, 1)
	} else {
		d.b = append(d.b, 0)
	}
}
func (d *bdoc) one(k string) {
	d.key(0x01, k)
	d.b = binary.LittleEndian.AppendUint64(d.b, 0x3ff0000000000000)
}
func (d *bdoc) bin(k string, p []byte) {
	d.key(0x05, k)
	d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(p)))
	d.b = append(append(d.b, 0), p...)
}
func (d *bdoc) str(k, s string) {
	d.key(0x02, k)
	d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(s)+1))
	d.b = append(append(d.b, s...), 0)
}
func (d *bdoc) done() []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(4+len(d.b)+1))
	return append(append(out, d.b...), 0)
}

func saslReply(done bool, payload []byte) []byte {
	var d bdoc
	d.i32("conversationId", 1)
	d.boolean("done", done)
	d.bin("payload", payload)
	d.one("ok")
	return d.done()
}

// MONGODB-AWS through Next/Provide* against scripted replies (the spec's
// payload shapes), with out-of-order calls refused.
func TestAuthenticatorAWSLoop(t *testing.T) {
	entropy := make([]byte, 48)
	for i := range entropy {
		entropy[i] = byte(i*7 + 3)
	}
	a, err := NewAuthenticator(MongodbAWS, "", "", "$external", entropy, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.ProvideTime(1573592482); !isStatus(err, StatusUnexpectedStep) {
		t.Fatalf("provide_time out of order: %v", err)
	}
	s := append(append([]byte{}, entropy[:32]...), bytes.Repeat([]byte{9}, 32)...)
	var first bdoc
	first.bin("s", s)
	first.str("h", "sts.amazonaws.com")
	sasl := 0
	for rounds := 0; rounds < 10; rounds++ {
		n, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch n {
		case NextDone:
			if !a.Authenticated() || sasl != 2 {
				t.Fatalf("done without a login (sasl %d)", sasl)
			}
			return
		case NextNeedTime:
			if err := a.ProvideTime(1573592482); err != nil {
				t.Fatal(err)
			}
		case NextNeedAWSCredentials:
			if err := a.ProvideToken("x.y.z"); !isStatus(err, StatusUnexpectedStep) {
				t.Fatalf("provide_token out of order: %v", err)
			}
			if err := a.ProvideAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""); err != nil {
				t.Fatal(err)
			}
		case NextSend:
			cmd, err := a.Command()
			if err != nil {
				t.Fatal(err)
			}
			var reply []byte
			switch {
			case bytes.HasPrefix(cmd[5:], []byte("saslStart\x00")):
				sasl++
				reply = saslReply(false, first.done())
			case bytes.HasPrefix(cmd[5:], []byte("saslContinue\x00")):
				sasl++
				if !bytes.Contains(cmd, []byte("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")) {
					t.Fatal("no SigV4 authorization in the saslContinue")
				}
				reply = saslReply(true, nil)
			default:
				var h bdoc
				h.boolean("ismaster", true)
				h.i32("minWireVersion", 0)
				h.i32("maxWireVersion", 21)
				h.one("ok")
				reply = h.done()
			}
			if _, err := a.HandleReply(reply); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unexpected next %d", n)
		}
	}
	t.Fatal("the loop did not end")
}

func isStatus(err error, s Status) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == s
}

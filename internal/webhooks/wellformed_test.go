package webhooks

import (
	"strings"
	"testing"
)

// Bodies the fast scan must decide without parsing, and bodies it must leave to Parse.
var checkBodies = []struct {
	name string
	body string
	fast bool // decided by the fast scan
	ok   bool // Parse accepts it
}{
	{"sync webhook", `{"type":"sync","from":"nango","connectionId":"c1","success":true,"responseResults":{"added":1,"updated":-2.5,"deleted":0},"error":null}`, true, true},
	{"escapes in values", `{"type":"auth","error":{"description":"line\nnext \"quoted\" a\/b \\ \t"}}`, true, true},
	{"non-ASCII text", `{"name":"Zoë – 東京 🚀"}`, true, true},
	{"array at the top", ` [1, "a", {"b": [true, false, null]}] `, true, true},
	{"empty containers", `{"a":{},"b":[]}`, true, true},
	{"scalar at the top", `"just a string"`, true, true},
	{"duplicate key", `{"a":1,"a":2}`, false, false},
	{"duplicate key nested", `[1,{"b":1,"b":2}]`, false, false},
	{"same key spelled with an escape", `{"a":1,"\u0061":2}`, false, false},
	{"escaped key that is not a duplicate", `{"a\"b":1}`, false, true},
	{"unicode escape", `{"a":"\u00e9"}`, false, true},
	{"lone surrogate", `{"a":"\ud800"}`, false, false},
	{"exponent", `{"a":1e3}`, false, true},
	{"overflowing exponent", `{"a":1e999}`, false, false},
	{"overflowing long number", `{"a":1` + strings.Repeat("0", 400) + `}`, false, false},
	{"invalid UTF-8", "{\"a\":\"\xff\"}", false, false},
	{"control character in a string", "{\"a\":\"x\ty\"}", false, false},
	{"trailing garbage", `{"a":1}x`, false, false},
	{"trailing comma", `{"a":1,}`, false, false},
	{"leading zero", `{"a":01}`, false, false},
	{"bare word", `{"a":nope}`, false, false},
	{"unterminated", `{"a":"b`, false, false},
	{"empty", ``, false, false},
	{"deep nesting", strings.Repeat("[", 100) + strings.Repeat("]", 100), false, true},
}

func TestCheckAgreesWithParse(t *testing.T) {
	for _, tt := range checkBodies {
		t.Run(tt.name, func(t *testing.T) {
			_, perr := Parse([]byte(tt.body))
			if (perr == nil) != tt.ok {
				t.Fatalf("Parse error = %v, want ok=%v", perr, tt.ok)
			}
			if err := Check([]byte(tt.body)); (err == nil) != tt.ok {
				t.Errorf("Check error = %v, want ok=%v", err, tt.ok)
			}
			if got := fastWellFormed([]byte(tt.body)); got != tt.fast {
				t.Errorf("fast scan decided %v, want %v", got, tt.fast)
			}
		})
	}
}

// The fast scan never accepts what Parse rejects.
func FuzzFastScanAcceptsOnlyWhatParseAccepts(f *testing.F) {
	for _, tt := range checkBodies {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !fastWellFormed(body) {
			return
		}
		if _, err := Parse(body); err != nil {
			t.Fatalf("fast scan accepted %q, Parse: %v", body, err)
		}
	})
}

package service

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestScanRecordsPageSlicesEachRecordAsSentAndReadsItsMetadata(t *testing.T) {
	tests := []struct {
		name       string
		page       string
		records    []string
		ids        []string
		cursors    []string
		nextCursor *string
	}{
		{
			name:    "Nango's compact page",
			page:    `{"records":[{"id":"1","a":1,"_nango_metadata":{"cursor":"c1"}},{"id":"2","_nango_metadata":{"cursor":"c2"}}],"next_cursor":"c2"}`,
			records: []string{`{"id":"1","a":1,"_nango_metadata":{"cursor":"c1"}}`, `{"id":"2","_nango_metadata":{"cursor":"c2"}}`},
			ids:     []string{"1", "2"}, cursors: []string{"c1", "c2"}, nextCursor: ptr("c2"),
		},
		{
			name:    "whitespace everywhere, next_cursor first",
			page:    " {\n \"next_cursor\" : null ,\t\"records\" : [ { \"id\" : \"x\" } , {\"id\":\"y\"}\r\n] } ",
			records: []string{`{ "id" : "x" }`, `{"id":"y"}`},
			ids:     []string{"x", "y"}, cursors: []string{"", ""},
		},
		{
			name:    "strings holding quotes, brackets, braces and escapes",
			page:    `{"records":[{"t":"a \"}]\" \\","u":"\u00e9\ud83d\ude00 é","id":"q\"id","_nango_metadata":{"cursor":"\/c"}}],"next_cursor":null}`,
			records: []string{`{"t":"a \"}]\" \\","u":"\u00e9\ud83d\ude00 é","id":"q\"id","_nango_metadata":{"cursor":"\/c"}}`},
			ids:     []string{`q"id`}, cursors: []string{"/c"},
		},
		{
			name:    "nested objects and arrays, keys named like the ones read",
			page:    `{"records":[{"deep":{"id":"no","_nango_metadata":{"cursor":"no"},"l":[[{"records":[]}],-1.5e+3,true,false,null]},"id":"yes","_nango_metadata":{"extra":{"cursor":"no"},"cursor":"c"}}],"unknown":{"records":1},"next_cursor":"c"}`,
			records: []string{`{"deep":{"id":"no","_nango_metadata":{"cursor":"no"},"l":[[{"records":[]}],-1.5e+3,true,false,null]},"id":"yes","_nango_metadata":{"extra":{"cursor":"no"},"cursor":"c"}}`},
			ids:     []string{"yes"}, cursors: []string{"c"}, nextCursor: ptr("c"),
		},
		{
			name:    "numeric id, null metadata",
			page:    `{"records":[{"id":-12.5e2,"_nango_metadata":null}],"next_cursor":null}`,
			records: []string{`{"id":-12.5e2,"_nango_metadata":null}`},
			ids:     []string{"-12.5e2"}, cursors: []string{""},
		},
		{name: "empty page", page: `{"records":[],"next_cursor":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := scanRecordsPage([]byte(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			if len(page.records) != len(tt.records) {
				t.Fatalf("%d records, want %d", len(page.records), len(tt.records))
			}
			for i, r := range page.records {
				if string(r.json) != tt.records[i] || r.id != tt.ids[i] || r.meta.cursor != tt.cursors[i] {
					t.Errorf("record %d = %s id %q cursor %q, want %s %q %q", i, r.json, r.id, r.meta.cursor, tt.records[i], tt.ids[i], tt.cursors[i])
				}
			}
			if (tt.nextCursor == nil) == page.hasNextCursor || (tt.nextCursor != nil && *tt.nextCursor != page.nextCursor) {
				t.Errorf("next_cursor = %q (set %v), want %v", page.nextCursor, page.hasNextCursor, tt.nextCursor)
			}
		})
	}
}

func TestScanRecordsPageRefusesWhatIsNotAPageOfJSONObjects(t *testing.T) {
	for _, page := range []string{
		``, `[]`, `{}`, `{"records":{}}`, `{"records":[1]}`, `{"records":[{"id":"1"}]`, `{"records":[{"id":"1"},]}`,
		`{"records":[{"id":"1"}]}x`, `{"records":[{"id":"1}]}`, `{"records":[{"a":"\x"}]}`, `{"records":[{"a":"\u12g4"}]}`,
		"{\"records\":[{\"a\":\"tab\there\"}]}", `{"records":[{"a":01}]}`, `{"records":[{"a":1.}]}`, `{"records":[{"a":tru}]}`,
		`{"records":[{"a" 1}]}`, `{"records":[{"id":"` + "\xff" + `"}]}`,
	} {
		if _, err := scanRecordsPage([]byte(page)); err == nil {
			t.Errorf("page %q was accepted", page)
		}
	}
}

// FuzzScanRecordsPage holds the scanner to encoding/json: whatever it accepts is valid
// JSON, and its records are exactly the elements encoding/json finds.
func FuzzScanRecordsPage(f *testing.F) {
	for _, seed := range []string{
		`{"records":[{"id":"1","_nango_metadata":{"cursor":"c"}}],"next_cursor":"c"}`,
		`{"records":[{"t":"a \"}]\" \\","u":"\u00e9"}],"next_cursor":null}`,
		`{"records":[{"n":[1,-2.5e3,{"x":null}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := scanRecordsPage(data)
		var top map[string]json.RawMessage // exact keys, the last of a repeated one
		var want struct{ Records []json.RawMessage }
		stdErr := json.Unmarshal(data, &top)
		if stdErr == nil {
			stdErr = json.Unmarshal(top["records"], &want.Records)
		}
		if err != nil {
			return // stricter than encoding/json is fine (e.g. invalid UTF-8 in an id)
		}
		if stdErr != nil || !json.Valid(data) {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", data, stdErr)
		}
		if len(page.records) != len(want.Records) {
			t.Fatalf("%d records, encoding/json finds %d", len(page.records), len(want.Records))
		}
		for i, r := range page.records {
			if !bytes.Equal(r.json, want.Records[i]) {
				t.Fatalf("record %d = %q, encoding/json finds %q", i, r.json, want.Records[i])
			}
		}
	})
}

func ptr(s string) *string { return &s }

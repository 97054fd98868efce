package jsonvalue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// ExtraField is the name of the field in which an answer message keeps the keys of Nango's
// object that its proto does not know: a google.protobuf.Struct. Nango adds keys in minor
// releases; with it a gRPC caller still sees them.
const ExtraField = "extra"

// How a message maps to Nango's JSON, the one rule Decode and Encode share:
//   - a key is the field's explicit json_name when it has one ("on-events" cannot be a
//     proto name), else its proto name: proto names are Nango's keys, snake_case or
//     camelCase as Nango spells them; the extra field is never a key;
//   - a plain field is a key Nango always sends;
//   - a field with presence (`optional`, oneof member) is a key Nango may leave out;
//   - a message or wrapper field without `optional` is a key whose value may be null
//     (unset means null);
//   - a google.protobuf.Value holds null itself;
//   - a key the message does not know, or a null its field cannot hold (an `optional`
//     string, a map, a list), is kept in extra as Nango sent it; extra's keys win on Encode.

// ShapeError is an answer whose JSON does not have the shape the message expects: an array
// where an object belongs, a string where a number does. It names the place and what was
// expected, never the value, which may be a secret.
type ShapeError struct {
	// Path is where, as $.key[index]…
	Path string
	// Want says what was expected there; Got the JSON kind found.
	Want, Got string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("at %s: expected %s, got %s", e.Path, e.Want, e.Got)
}

// Decode reads Nango's JSON answer into out: every key the proto knows goes to its field,
// every other key and every null a field cannot hold to out's extra field (see the rule
// above), recursively. An answer of another shape is a *ShapeError.
func Decode(body []byte, out proto.Message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &ShapeError{Path: "$", Want: "JSON", Got: "invalid JSON"}
	}
	if dec.More() {
		return &ShapeError{Path: "$", Want: "one JSON value", Got: "trailing data"}
	}
	proto.Reset(out)
	return decodeMessage("$", v, out.ProtoReflect())
}

func decodeMessage(path string, v any, m protoreflect.Message) error {
	md := m.Descriptor()
	if isWellKnown(md) {
		return decodeWellKnown(path, v, m)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &ShapeError{Path: path, Want: "an object (" + string(md.FullName()) + ")", Got: kindOf(v)}
	}
	fields := md.Fields()
	extraFD := extraField(md)
	var extra map[string]any
	keep := func(k string, val any) {
		if extra == nil {
			extra = map[string]any{}
		}
		extra[k] = val
	}
	for _, k := range sortedKeys(obj) {
		val := obj[k]
		fd := fieldByKey(fields, k)
		if fd == nil || fd == extraFD {
			keep(k, val)
			continue
		}
		p := path + "." + k
		if val == nil {
			repeated := fd.IsList() || fd.IsMap()
			switch {
			case isValue(fd) && !repeated:
				m.Set(fd, protoreflect.ValueOfMessage((&structpb.Value{Kind: &structpb.Value_NullValue{}}).ProtoReflect()))
			case fd.Message() != nil && !repeated && !fd.HasOptionalKeyword() && fd.ContainingOneof() == nil:
				// Unset is this field's null.
			default:
				keep(k, nil)
			}
			continue
		}
		if err := decodeField(p, val, m, fd); err != nil {
			return err
		}
	}
	if extra != nil {
		if extraFD == nil {
			// A message without extra keeps nothing more; answer messages all have one
			// (a test walks every answer type).
			return nil
		}
		s, err := structpb.NewStruct(plain(extra).(map[string]any))
		if err != nil {
			return &ShapeError{Path: path, Want: "JSON", Got: "a value protobuf cannot hold"}
		}
		m.Set(extraFD, protoreflect.ValueOfMessage(s.ProtoReflect()))
	}
	return nil
}

func decodeField(path string, v any, m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	switch {
	case fd.IsList():
		arr, ok := v.([]any)
		if !ok {
			return &ShapeError{Path: path, Want: "an array", Got: kindOf(v)}
		}
		list := m.Mutable(fd).List()
		for i, item := range arr {
			p := path + "[" + strconv.Itoa(i) + "]"
			if item == nil && !isValue(fd) {
				return &ShapeError{Path: p, Want: describe(fd), Got: "null"}
			}
			if fd.Message() != nil {
				el := list.NewElement()
				if err := decodeMessage(p, item, el.Message()); err != nil {
					return err
				}
				list.Append(el)
				continue
			}
			sv, err := decodeScalar(p, item, fd)
			if err != nil {
				return err
			}
			list.Append(sv)
		}
	case fd.IsMap():
		obj, ok := v.(map[string]any)
		if !ok {
			return &ShapeError{Path: path, Want: "an object", Got: kindOf(v)}
		}
		mp := m.Mutable(fd).Map()
		kd, vd := fd.MapKey(), fd.MapValue()
		for _, k := range sortedKeys(obj) {
			p := path + "." + k
			mk, err := decodeScalar(p, k, kd)
			if err != nil {
				return err
			}
			item := obj[k]
			if item == nil && !isValue(vd) {
				return &ShapeError{Path: p, Want: describe(vd), Got: "null"}
			}
			if vd.Message() != nil {
				el := mp.NewValue()
				if err := decodeMessage(p, item, el.Message()); err != nil {
					return err
				}
				mp.Set(mk.MapKey(), el)
				continue
			}
			sv, err := decodeScalar(p, item, vd)
			if err != nil {
				return err
			}
			mp.Set(mk.MapKey(), sv)
		}
	case fd.Message() != nil:
		el := m.NewField(fd)
		if err := decodeMessage(path, v, el.Message()); err != nil {
			return err
		}
		m.Set(fd, el)
	default:
		sv, err := decodeScalar(path, v, fd)
		if err != nil {
			return err
		}
		m.Set(fd, sv)
	}
	return nil
}

// decodeScalar reads a JSON value into a scalar field as protojson would: numbers may also
// come as strings (as protojson writes 64-bit ones), enums by name or number, bytes base64.
func decodeScalar(path string, v any, fd protoreflect.FieldDescriptor) (protoreflect.Value, error) {
	bad := func() (protoreflect.Value, error) {
		return protoreflect.Value{}, &ShapeError{Path: path, Want: describe(fd), Got: kindOf(v)}
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		if s, ok := v.(string); ok {
			return protoreflect.ValueOfString(s), nil
		}
	case protoreflect.BoolKind:
		if b, ok := v.(bool); ok {
			return protoreflect.ValueOfBool(b), nil
		}
		// Map keys are strings in JSON.
		if s, ok := v.(string); ok && (s == "true" || s == "false") && fd.ContainingMessage().IsMapEntry() {
			return protoreflect.ValueOfBool(s == "true"), nil
		}
	case protoreflect.BytesKind:
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return protoreflect.ValueOfBytes(b), nil
			}
			if b, err := base64.URLEncoding.DecodeString(s); err == nil {
				return protoreflect.ValueOfBytes(b), nil
			}
		}
	case protoreflect.EnumKind:
		switch x := v.(type) {
		case string:
			if ev := fd.Enum().Values().ByName(protoreflect.Name(x)); ev != nil {
				return protoreflect.ValueOfEnum(ev.Number()), nil
			}
		case json.Number:
			if n, err := strconv.ParseInt(string(x), 10, 32); err == nil {
				return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), nil
			}
		}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		if n, ok := number(v); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return bad()
			}
			if fd.Kind() == protoreflect.FloatKind {
				return protoreflect.ValueOfFloat32(float32(f)), nil
			}
			return protoreflect.ValueOfFloat64(f), nil
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if n, ok := number(v); ok {
			i, ok := integer(n, math.MinInt64, math.MaxInt64)
			if !ok {
				return bad()
			}
			switch fd.Kind() {
			case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
				return protoreflect.ValueOfInt64(i), nil
			}
			if i < math.MinInt32 || i > math.MaxInt32 {
				return bad()
			}
			return protoreflect.ValueOfInt32(int32(i)), nil
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if n, ok := number(v); ok {
			u, err := strconv.ParseUint(n, 10, 64)
			if err != nil {
				return bad()
			}
			if (fd.Kind() == protoreflect.Uint32Kind || fd.Kind() == protoreflect.Fixed32Kind) && u > math.MaxUint32 {
				return bad()
			}
			if fd.Kind() == protoreflect.Uint64Kind || fd.Kind() == protoreflect.Fixed64Kind {
				return protoreflect.ValueOfUint64(u), nil
			}
			return protoreflect.ValueOfUint32(uint32(u)), nil
		}
	}
	return bad()
}

// number is the text of a JSON number, or of a string holding one (protojson's 64-bit form).
func number(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case string:
		if _, err := strconv.ParseFloat(x, 64); err == nil {
			return x, true
		}
	}
	return "", false
}

// integer accepts 3 and 3.0 (JSON does not tell them apart), not 3.5.
func integer(n string, lo, hi int64) (int64, bool) {
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, false
	}
	return int64(f), true
}

// decodeWellKnown hands Struct, Value, ListValue, wrappers, Timestamp… to protojson, which
// knows their JSON forms, after checking the shape so the error names the place.
func decodeWellKnown(path string, v any, m protoreflect.Message) error {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.Struct":
		if _, ok := v.(map[string]any); !ok {
			return &ShapeError{Path: path, Want: "an object", Got: kindOf(v)}
		}
	case "google.protobuf.ListValue":
		if _, ok := v.([]any); !ok {
			return &ShapeError{Path: path, Want: "an array", Got: kindOf(v)}
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return &ShapeError{Path: path, Want: string(md.FullName()), Got: kindOf(v)}
	}
	if err := protojson.Unmarshal(raw, m.Interface()); err != nil {
		return &ShapeError{Path: path, Want: string(md.FullName()), Got: kindOf(v)}
	}
	return nil
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}

func isValue(fd protoreflect.FieldDescriptor) bool {
	return fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Value"
}

// extraField is md's extra field, nil when it has none.
func extraField(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	fd := md.Fields().ByName(ExtraField)
	if fd == nil || fd.IsList() || fd.IsMap() || fd.Message() == nil || fd.Message().FullName() != "google.protobuf.Struct" {
		return nil
	}
	return fd
}

// HasExtra reports whether md keeps unknown keys (has an extra field).
func HasExtra(md protoreflect.MessageDescriptor) bool { return extraField(md) != nil }

func describe(fd protoreflect.FieldDescriptor) string {
	if fd.Message() != nil {
		if fd.Message().FullName() == "google.protobuf.Struct" {
			return "an object"
		}
		return "an object (" + string(fd.Message().FullName()) + ")"
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return "a string"
	case protoreflect.BoolKind:
		return "a boolean"
	case protoreflect.BytesKind:
		return "a base64 string"
	case protoreflect.EnumKind:
		return "one of " + string(fd.Enum().FullName())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "a number"
	}
	return "an integer"
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// plain turns json.Number into float64, the only number structpb holds.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Key is the JSON key of fd in Nango's answer: its explicit json_name, else its proto name.
func Key(fd protoreflect.FieldDescriptor) string {
	if explicitJSONName(fd) {
		return fd.JSONName()
	}
	return string(fd.Name())
}

func fieldByKey(fields protoreflect.FieldDescriptors, k string) protoreflect.FieldDescriptor {
	if fd := fields.ByJSONName(k); fd != nil && explicitJSONName(fd) {
		return fd
	}
	if fd := fields.ByTextName(k); fd != nil && !explicitJSONName(fd) {
		return fd
	}
	return nil
}

// explicitJSONName tells a json_name option from the one protoc derives from every name.
func explicitJSONName(fd protoreflect.FieldDescriptor) bool {
	return fd.HasJSONName() && fd.JSONName() != jsonCamelCase(string(fd.Name()))
}

// jsonCamelCase is protoc's default json_name: each letter after "_" upper-cased, "_" dropped.
func jsonCamelCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' || i == len(s)-1 {
			if i > 0 && s[i-1] == '_' && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	return string(b)
}

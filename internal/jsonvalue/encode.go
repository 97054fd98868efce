package jsonvalue

import (
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Encode is the inverse of Decode: m as the JSON Nango sent, keys spelled as Nango spells
// them, extra's keys merged back in (they win), null and absent told apart by the rule
// Decode follows. It is how a test proves that a gRPC answer holds every key and null of
// Nango's, and how a caller gets Nango's object back from a typed answer.
func Encode(m proto.Message) ([]byte, error) {
	v, err := ToJSON(m)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// ToJSON is Encode before marshalling: maps, slices, strings, float64, bools and nil.
func ToJSON(m proto.Message) (any, error) {
	return encodeMessage(m.ProtoReflect())
}

func encodeMessage(m protoreflect.Message) (any, error) {
	md := m.Descriptor()
	if isWellKnown(md) {
		raw, err := protojson.Marshal(m.Interface())
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	out := map[string]any{}
	extraFD := extraField(md)
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd == extraFD {
			continue
		}
		v, emit, err := encodeField(m, fd)
		if err != nil {
			return nil, err
		}
		if emit {
			out[Key(fd)] = v
		}
	}
	if extraFD != nil && m.Has(extraFD) {
		extra, err := encodeMessage(m.Get(extraFD).Message())
		if err != nil {
			return nil, err
		}
		for k, v := range extra.(map[string]any) {
			out[k] = v
		}
	}
	return out, nil
}

// encodeField is fd's JSON value and whether its key is there at all.
func encodeField(m protoreflect.Message, fd protoreflect.FieldDescriptor) (any, bool, error) {
	switch {
	case fd.IsList():
		list := m.Get(fd).List()
		arr := make([]any, 0, list.Len())
		for i := range list.Len() {
			v, err := encodeSingular(fd, list.Get(i))
			if err != nil {
				return nil, false, err
			}
			arr = append(arr, v)
		}
		return arr, true, nil
	case fd.IsMap():
		obj := map[string]any{}
		var err error
		m.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			var ev any
			ev, err = encodeSingular(fd.MapValue(), v)
			obj[k.String()] = ev
			return err == nil
		})
		return obj, err == nil, err
	case fd.HasOptionalKeyword() || fd.ContainingOneof() != nil:
		if !m.Has(fd) {
			return nil, false, nil
		}
	case fd.Message() != nil:
		if !m.Has(fd) {
			return nil, true, nil // a null key
		}
	}
	v, err := encodeSingular(fd, m.Get(fd))
	return v, err == nil, err
}

func encodeSingular(fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	if fd.Message() != nil {
		return encodeMessage(v.Message())
	}
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name()), nil
		}
		return float64(v.Enum()), nil
	case protoreflect.BytesKind:
		return v.Interface(), nil // encoding/json writes []byte as base64, as protojson does
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return float64(v.Int()), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return float64(v.Uint()), nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float(), nil
	}
	return v.Interface(), nil
}

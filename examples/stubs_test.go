package examples_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// The Python stubs are committed; after a change to proto/ they must be regenerated
// (make generate-clients). Their descriptors must equal gen/'s, which CI keeps fresh.
func TestCommittedPythonStubsMatchTheProtos(t *testing.T) {
	python := pythonWithGRPC(t)
	want := map[string]*descriptorpb.FileDescriptorProto{}
	var names []string
	protoregistry.GlobalFiles.RangeFilesByPackage(gatewayv1.File_nango_gateway_v1_records_proto.Package(), func(fd protoreflect.FileDescriptor) bool {
		name := strings.TrimSuffix(path.Base(fd.Path()), ".proto")
		want[name] = normalized(protodesc.ToFileDescriptorProto(fd))
		names = append(names, name)
		return true
	})
	script := `import base64, importlib, sys
sys.path.insert(0, "../clients/python")
for name in sys.argv[1:]:
    try:
        m = importlib.import_module("nango_gateway._gen.nango.gateway.v1." + name + "_pb2")
        print(name, base64.b64encode(m.DESCRIPTOR.serialized_pb).decode())
    except ImportError:
        print(name, "-")
`
	out, err := exec.CommandContext(t.Context(), python, append([]string{"-c", script}, names...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	seen := 0
	for ; sc.Scan(); seen++ {
		name, b64, _ := strings.Cut(sc.Text(), " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		got := &descriptorpb.FileDescriptorProto{}
		if b64 == "-" || err != nil || proto.Unmarshal(raw, got) != nil {
			t.Errorf("clients/python has no stubs for %s.proto: run make generate-clients", name)
			continue
		}
		if !proto.Equal(normalized(got), want[name]) {
			t.Errorf("clients/python stubs of %s.proto differ from proto/: run make generate-clients", name)
		}
	}
	if seen != len(names) || seen < 12 {
		t.Fatalf("compared %d files of %d", seen, len(names))
	}
}

// normalized drops what protoc and protoc-gen-go record differently: json_name, which
// protoc fills only for its plugins, and source information.
func normalized(fd *descriptorpb.FileDescriptorProto) *descriptorpb.FileDescriptorProto {
	fd = proto.CloneOf(fd)
	fd.SourceCodeInfo = nil
	var walk func(msgs []*descriptorpb.DescriptorProto)
	walk = func(msgs []*descriptorpb.DescriptorProto) {
		for _, m := range msgs {
			for _, f := range m.Field {
				f.JsonName = nil
			}
			walk(m.NestedType)
		}
	}
	walk(fd.MessageType)
	return fd
}

// The Node stubs are committed too: every RPC of proto/ must have its path there, and every
// message its interface with each field (camelCase, as ts-proto names them).
func TestCommittedNodeStubsMatchTheProtos(t *testing.T) {
	var ts strings.Builder
	files, _ := filepath.Glob("../clients/node/src/gen/nango/gateway/v1/*.ts")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ts.Write(b)
	}
	src := ts.String()
	const regen = "run make generate-clients"
	var checkMessages func(prefix string, msgs protoreflect.MessageDescriptors)
	checkMessages = func(prefix string, msgs protoreflect.MessageDescriptors) {
		for i := range msgs.Len() {
			m := msgs.Get(i)
			name := prefix + string(m.Name())
			start := strings.Index(src, "\nexport interface "+name+" {\n")
			if start < 0 {
				t.Errorf("clients/node has no interface %s: %s", name, regen)
				continue
			}
			body := src[start:]
			body = body[:strings.Index(body, "\n}\n")]
			for j := range m.Fields().Len() {
				if f := m.Fields().Get(j).JSONName(); !strings.Contains(body, "\n  "+f+"?:") && !strings.Contains(body, "\n  "+f+":") {
					t.Errorf("clients/node interface %s has no field %s: %s", name, f, regen)
				}
			}
			checkMessages(name+"_", m.Messages())
		}
	}
	protoregistry.GlobalFiles.RangeFilesByPackage(gatewayv1.File_nango_gateway_v1_records_proto.Package(), func(fd protoreflect.FileDescriptor) bool {
		checkMessages("", fd.Messages())
		for i := range fd.Services().Len() {
			s := fd.Services().Get(i)
			for j := range s.Methods().Len() {
				if p := "\"/" + string(s.FullName()) + "/" + string(s.Methods().Get(j).Name()) + "\""; !strings.Contains(src, p) {
					t.Errorf("clients/node has no RPC %s: %s", p, regen)
				}
			}
		}
		return true
	})
}

// Command rpcdesc writes google/rpc/status.proto and error_details.proto as a
// FileDescriptorSet, taken from the Go modules this repository already pins, so the client
// generators (protoc --descriptor_set_in) get the error details without another download.
package main

import (
	"fmt"
	"os"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rpcdesc OUT.pb")
		os.Exit(2)
	}
	set := &descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{
		protodesc.ToFileDescriptorProto(rpcstatus.File_google_rpc_status_proto),
		protodesc.ToFileDescriptorProto(errdetails.File_google_rpc_error_details_proto),
	}}
	b, err := proto.Marshal(set)
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcdesc:", err)
		os.Exit(1)
	}
}

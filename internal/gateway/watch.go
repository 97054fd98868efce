package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

const recordWatchPath = "/v1/records/watch"

// recordWatch answers GET /v1/records/watch like recordStream answers /v1/records/stream:
// through the same client connection and header handling as grpc-gateway, each record is
// a line {"result":{"record":<its JSON as Nango sent it>}} rather than a batch with
// base64 bytes; caught_up and heartbeat lines are the messages themselves, so a reader
// tells the three apart by their one key.
type recordWatch struct {
	mux       *runtime.ServeMux
	client    gatewayv1.RecordsServiceClient
	marshaler runtime.Marshaler
}

var (
	watchRecordPrefix = []byte(`{"result":{"record":`)
	watchRecordSuffix = []byte("}}\n")
)

func (h *recordWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var req gatewayv1.WatchRecordsRequest
	ctx, err := streamRequest(ctx, h.mux, r, "/nango.gateway.v1.RecordsService/WatchRecords", recordWatchPath, &req)
	if err != nil {
		writeError(w, r, recordWatchPath, err)
		return
	}
	if req.GetRecordsPerMessage() == 0 {
		// Lines are one record each whatever the messages carry.
		req.RecordsPerMessage = restRecordsPerMessage
	}
	stream, err := h.client.WatchRecords(ctx, &req)
	if err != nil {
		writeError(w, r, recordWatchPath, err)
		return
	}
	// The first message (records or caught_up) decides between a stream and a refusal in
	// Nango's envelope.
	msg, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, r, recordWatchPath, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	out := newBatchWriter(w)
	defer out.close()
	for err == nil {
		if err = h.writeEvent(out, msg); err != nil {
			return // the client left
		}
		msg, err = stream.Recv()
	}
	if !errors.Is(err, io.EOF) {
		line, merr := h.marshaler.Marshal(map[string]proto.Message{"error": streamError(ctx, err).Proto()})
		if merr == nil {
			_ = out.write(line, []byte("\n"))
		}
	}
}

func (h *recordWatch) writeEvent(out *batchWriter, msg *gatewayv1.WatchRecordsResponse) error {
	if batch := msg.GetRecords(); batch != nil {
		for _, rec := range batch.GetRecords() {
			json := rec.GetJson()
			if len(json) == 0 {
				json = []byte("null") // never from Nango; keeps the line JSON
			}
			if err := out.write(watchRecordPrefix, json, watchRecordSuffix); err != nil {
				return err
			}
		}
		return nil
	}
	line, err := h.marshaler.Marshal(map[string]proto.Message{"result": msg})
	if err != nil {
		return err
	}
	return out.write(line, []byte("\n"))
}

package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// streamError keeps a stream's final error as the gRPC status, so the last NDJSON line
// carries its code and message.
func streamError(_ context.Context, err error) *status.Status {
	return status.Convert(err)
}

const recordStreamPath = "/v1/records/stream"

// recordStream answers GET /v1/records/stream. It calls StreamRecords through the same
// client connection and header handling as grpc-gateway (so every interceptor applies),
// but writes each record's JSON as Nango sent it — {"result":<record>} per line — instead
// of re-encoding the message through protojson, and flushes in batches instead of after
// every record. Refusals and the final error line are those of the other streams.
type recordStream struct {
	mux       *runtime.ServeMux
	client    gatewayv1.RecordsServiceClient
	marshaler runtime.Marshaler
}

// recordFlushInterval bounds how long a written record may wait in the buffer while the
// stream waits for the next one.
const recordFlushInterval = 20 * time.Millisecond

// recordBufferBytes is the write buffer: a few dozen records per write to the socket.
const recordBufferBytes = 32 << 10

// restRecordsPerMessage is the batch the REST stream asks StreamRecords for.
const restRecordsPerMessage = 1000

var (
	resultPrefix = []byte(`{"result":`)
	resultSuffix = []byte("}\n")
)

// streamRequest reads a stream's request from the query, as the generated handler
// would, and names the call in ctx for the interceptors.
func streamRequest(ctx context.Context, mux *runtime.ServeMux, r *http.Request, method, pattern string, req proto.Message) (context.Context, error) {
	ctx, err := runtime.AnnotateContext(ctx, mux, r, method, runtime.WithHTTPPathPattern(pattern))
	if err != nil {
		return nil, err
	}
	if err := r.ParseForm(); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := runtime.PopulateQueryParameters(req, r.Form, &utilities.DoubleArray{}); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return ctx, nil
}

func (h *recordStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var req gatewayv1.StreamRecordsRequest
	ctx, err := streamRequest(ctx, h.mux, r, "/nango.gateway.v1.RecordsService/StreamRecords", recordStreamPath, &req)
	if err != nil {
		writeError(w, r, recordStreamPath, err)
		return
	}
	if req.GetRecordsPerMessage() == 0 && !req.GetAsStruct() {
		// Lines are one record each whatever the messages carry: take records in batches
		// over the in-process connection, which spares a message per record.
		req.RecordsPerMessage = restRecordsPerMessage
	}
	stream, err := h.client.StreamRecords(ctx, &req, grpc.ForceCodecV2(recordLineCodec{encoding.GetCodecV2(grpcproto.Name)}))
	if err != nil {
		writeError(w, r, recordStreamPath, err)
		return
	}
	// One message, reused: each record is written out before the next is received.
	msg := &gatewayv1.StreamRecordsResponse{}
	// The first message decides between a stream and a refusal in Nango's envelope.
	err = stream.RecvMsg(msg)
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, r, recordStreamPath, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	out := newBatchWriter(w)
	defer out.close()
	for err == nil {
		if err = h.writeRecord(out, msg); err != nil {
			return // the client left
		}
		err = stream.RecvMsg(msg)
	}
	if !errors.Is(err, io.EOF) {
		line, merr := h.marshaler.Marshal(map[string]proto.Message{"error": streamError(ctx, err).Proto()})
		if merr == nil {
			_ = out.write(line, []byte("\n"))
		}
	}
}

// writeRecord writes one line: the JSON as Nango sent it, or the message as protojson when
// the caller asked for protobuf values (as_struct).
func (h *recordStream) writeRecord(out *batchWriter, msg *gatewayv1.StreamRecordsResponse) error {
	if batch := msg.GetRecords(); len(batch) > 0 {
		for _, rec := range batch {
			if err := h.writeLine(out, rec.GetJson(), rec.GetPayload() == nil, rec); err != nil {
				return err
			}
		}
		return nil
	}
	return h.writeLine(out, msg.GetJson(), msg.GetPayload() == nil, msg)
}

// writeLine writes the record's JSON as Nango sent it when there is one, or else msg as
// protojson (protobuf values, as_struct).
func (h *recordStream) writeLine(out *batchWriter, json []byte, asSent bool, msg proto.Message) error {
	if asSent && len(json) > 0 {
		return out.write(resultPrefix, json, resultSuffix)
	}
	line, err := h.marshaler.Marshal(map[string]proto.Message{"result": msg})
	if err != nil {
		return err
	}
	return out.write(line, []byte("\n"))
}

// recordLineCodec decodes, for the REST stream, only what a line needs: the record's JSON,
// in one copy out of the transport's buffers, without the id and metadata strings the line
// does not use. A message carrying protobuf values (as_struct) is decoded in full.
type recordLineCodec struct {
	encoding.CodecV2
}

func (c recordLineCodec) Unmarshal(data mem.BufferSlice, v any) error {
	msg, ok := v.(*gatewayv1.StreamRecordsResponse)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	b := data.Materialize()
	proto.Reset(msg)
	if json, ok := jsonField(b); ok {
		msg.Json = json
		return nil
	}
	if records, ok := batchJSON(b); ok {
		msg.Records = records
		return nil
	}
	return proto.Unmarshal(b, msg)
}

// batchJSON reads a batch (StreamRecordsResponse.records) keeping only each record's
// JSON; false when a record carries a payload or the message is not a batch.
func batchJSON(b []byte) ([]*gatewayv1.Record, bool) {
	var jsons [][]byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 5 || typ != protowire.BytesType {
			return nil, false
		}
		rec, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return nil, false
		}
		b = b[n+m:]
		json, ok := recordJSON(rec)
		if !ok {
			return nil, false
		}
		jsons = append(jsons, json)
	}
	if len(jsons) == 0 {
		return nil, false
	}
	// One allocation for the batch's messages, not one per record.
	all := make([]gatewayv1.Record, len(jsons))
	out := make([]*gatewayv1.Record, len(jsons))
	for i, json := range jsons {
		all[i].Json = json
		out[i] = &all[i]
	}
	return out, true
}

// recordJSON finds Record.json (field 1) in the wire form of a Record; false when it
// carries a payload (field 4) instead.
func recordJSON(b []byte) ([]byte, bool) {
	var json []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num == 4 {
			return nil, false
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			json, b = v, b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, false
		}
		b = b[m:]
	}
	return json, json != nil
}

// jsonField finds StreamRecordsResponse.json in the wire form; false when the message
// carries a payload, or is not what it should be, and must be decoded in full.
func jsonField(b []byte) ([]byte, bool) {
	var json []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		switch {
		case num == 4 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			json, b = v, b[m:]
			continue
		case num == 1:
			return nil, false // payload: protobuf values
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, false
		}
		b = b[m:]
	}
	return json, json != nil
}

// batchWriter buffers lines and sends them when the buffer fills, or at the latest
// recordFlushInterval after they were written: a record is not held back while the
// stream waits for the next page, and a busy stream makes one write per buffer, not one
// per record. The flush timer runs only while something waits in the buffer, so a quiet
// stream (a watch between changes) costs nothing.
type batchWriter struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	rc     *http.ResponseController
	timer  *time.Timer
	dirty  bool // written since the last flush; the timer is armed
	closed bool
	err    error
}

func newBatchWriter(w http.ResponseWriter) *batchWriter {
	b := &batchWriter{
		buf: bufio.NewWriterSize(w, recordBufferBytes),
		rc:  http.NewResponseController(w), // reaches the Flusher behind wrappers
	}
	b.timer = time.AfterFunc(time.Hour, b.flushDue)
	b.timer.Stop()
	return b
}

func (b *batchWriter) write(parts ...[]byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range parts {
		if b.err != nil {
			return b.err
		}
		_, b.err = b.buf.Write(p)
	}
	if !b.dirty {
		b.dirty = true
		b.timer.Reset(recordFlushInterval)
	}
	return b.err
}

// flushDue runs on the timer: it sends what waited recordFlushInterval.
func (b *batchWriter) flushDue() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirty && !b.closed && b.err == nil {
		b.flushLocked()
	}
}

func (b *batchWriter) flushLocked() {
	b.dirty = false
	if b.err = b.buf.Flush(); b.err == nil {
		b.err = b.rc.Flush()
	}
}

// close sends what is left; the handler must not use the ResponseWriter after it
// returns, so a timer that fires later finds the writer closed and does nothing.
func (b *batchWriter) close() {
	b.timer.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.err == nil {
		b.flushLocked()
	}
}

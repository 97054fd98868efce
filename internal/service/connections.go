package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

const (
	// defaultWaitPollInterval is the SDK's pause between two polls of waitForConnection.
	defaultWaitPollInterval = 2 * time.Second
	// waitForConnectionMaxWait bounds a wait whose caller set no deadline, so a forgotten
	// call cannot poll Nango forever.
	waitForConnectionMaxWait = 5 * time.Minute
)

// connectionsService implements gatewayv1.ConnectionsServiceServer.
type connectionsService struct {
	gatewayv1.UnimplementedConnectionsServiceServer
	deps Deps
}

// NewConnectionsService returns the ConnectionsService.
func NewConnectionsService(d Deps) *connectionsService { return &connectionsService{deps: d} }

// ListConnections sends GET /connections with the query names of both SDK forms, in the
// SDK's order, encoded the way URLSearchParams encodes them.
func (s *connectionsService) ListConnections(ctx context.Context, req *gatewayv1.ListConnectionsRequest) (*gatewayv1.ListConnectionsResponse, error) {
	q := &formQuery{}
	// The SDK sends a string only when it is truthy, so an empty search goes nowhere.
	if req.GetConnectionId() != "" {
		q.add("connectionId", req.GetConnectionId())
	}
	if req.GetSearch() != "" {
		q.add("search", req.GetSearch())
	}
	if req.GetEndUserId() != "" {
		q.add("endUserId", req.GetEndUserId())
	}
	if req.GetEndUserOrganizationId() != "" {
		q.add("endUserOrganizationId", req.GetEndUserOrganizationId())
	}
	// The REST face hands over "a,b" as one entry and repeated parameters as several;
	// Nango wants one comma-joined value either way.
	var integrations []string
	for _, entry := range req.GetIntegrationId() {
		for _, key := range strings.Split(entry, ",") {
			if key != "" {
				integrations = append(integrations, key)
			}
		}
	}
	if len(integrations) > 0 {
		q.add("integrationId", strings.Join(integrations, ","))
	}
	// Map order is random; sorted keys keep the request stable. The SDK and Nango both
	// lower-case tag keys.
	for _, k := range connectSortedKeys(req.GetTags()) {
		q.add("tags["+strings.ToLower(k)+"]", req.GetTags()[k])
	}
	if req.Limit != nil {
		q.add("limit", strconv.Itoa(int(req.GetLimit())))
	}
	if req.Page != nil {
		q.add("page", strconv.Itoa(int(req.GetPage())))
	}

	out := &gatewayv1.ListConnectionsResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, listConnectionsRequest(q.encode()), out); err != nil {
		return nil, err
	}
	return out, nil
}

// listConnectionsRequest is GET /connections as the SDK sends it, Content-Type included.
func listConnectionsRequest(rawQuery string) *nangohttp.Request {
	return &nangohttp.Request{
		Method:   http.MethodGet,
		Path:     nangohttp.PathOf("connections"),
		RawQuery: rawQuery,
		Header:   http.Header{"Content-Type": {"application/json"}},
	}
}

// GetConnection sends GET /connections/{connectionId} with the four flags the SDK always sends.
func (s *connectionsService) GetConnection(ctx context.Context, req *gatewayv1.GetConnectionRequest) (*gatewayv1.GetConnectionResponse, error) {
	conn, err := getConnectionFull(ctx, s.deps.Upstream, req.GetProviderConfigKey(), req.GetConnectionId(),
		req.GetForceRefresh(), req.GetRefreshToken(), req.GetRefreshGithubAppJwtToken())
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetConnectionResponse{Connection: conn}, nil
}

// GetToken is the SDK's getToken: the connection with refresh_token=false, reduced to what
// the auth mode calls a token.
func (s *connectionsService) GetToken(ctx context.Context, req *gatewayv1.GetTokenRequest) (*gatewayv1.GetTokenResponse, error) {
	conn, err := getConnectionFull(ctx, s.deps.Upstream, req.GetProviderConfigKey(), req.GetConnectionId(),
		req.GetForceRefresh(), false, req.GetRefreshGithubAppJwtToken())
	if err != nil {
		return nil, err
	}
	creds := conn.GetCredentials()
	switch creds.GetType() {
	case "OAUTH2":
		return &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_AccessToken{AccessToken: creds.GetAccessToken()}}, nil
	case "OAUTH1":
		return &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Oauth1{Oauth1: &gatewayv1.OAuth1Token{
			OAuthToken:       creds.GetOauthToken(),
			OAuthTokenSecret: creds.GetOauthTokenSecret(),
		}}}, nil
	}
	if creds == nil {
		// A key without read_credentials gets no credentials at all; the SDK then
		// returns that (empty) object.
		creds = &gatewayv1.ConnectionCredentials{}
	}
	return &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Credentials{Credentials: creds}}, nil
}

// GetRawTokenResponse is the SDK's getRawTokenResponse: credentials.raw of the connection.
func (s *connectionsService) GetRawTokenResponse(ctx context.Context, req *gatewayv1.GetRawTokenResponseRequest) (*gatewayv1.GetRawTokenResponseResponse, error) {
	conn, err := getConnectionFull(ctx, s.deps.Upstream, req.GetProviderConfigKey(), req.GetConnectionId(),
		req.GetForceRefresh(), false, false)
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetRawTokenResponseResponse{Raw: conn.GetCredentials().GetRaw()}, nil
}

// getConnectionFull is the SDK's getConnectionDetails, shared by GetConnection, GetToken,
// GetRawTokenResponse and GetMetadata. The reply holds credentials: it is decoded, never logged.
func getConnectionFull(ctx context.Context, up *nangohttp.Client, providerConfigKey, connectionID string, forceRefresh, refreshToken, refreshGithubAppJwtToken bool) (*gatewayv1.ConnectionFull, error) {
	// axios params: these four, in this order, booleans as true/false.
	q := &formQuery{axios: true}
	q.add("provider_config_key", providerConfigKey)
	q.add("force_refresh", strconv.FormatBool(forceRefresh))
	q.add("refresh_token", strconv.FormatBool(refreshToken))
	q.add("refresh_github_app_jwt_token", strconv.FormatBool(refreshGithubAppJwtToken))
	out := &gatewayv1.ConnectionFull{}
	_, err := doJSON(ctx, up, &nangohttp.Request{
		Method:   http.MethodGet,
		Path:     nangohttp.PathOf("connections", connectionID),
		RawQuery: q.encode(),
	}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportConnection sends POST /connections with only the keys the caller set; Nango
// answers 201 with the new connection. Not retried: a second import could overwrite a
// connection changed in between.
func (s *connectionsService) ImportConnection(ctx context.Context, req *gatewayv1.ImportConnectionRequest) (*gatewayv1.ImportConnectionResponse, error) {
	if err := checkEndUserInput("end_user", req.GetEndUser()); err != nil {
		return nil, err
	}
	body := &jsonObject{}
	body.set("provider_config_key", req.GetProviderConfigKey())
	if req.ConnectionId != nil {
		body.set("connection_id", req.GetConnectionId())
	}
	if req.GetMetadata() != nil {
		body.set("metadata", req.GetMetadata())
	}
	if req.GetConnectionConfig() != nil {
		body.set("connection_config", req.GetConnectionConfig())
	}
	if req.WebhookUrlOverride != nil {
		body.set("webhook_url_override", req.GetWebhookUrlOverride())
	}
	// protojson writes only the credentials' keys that are set, by proto name (Nango's).
	body.set("credentials", req.GetCredentials())
	if req.GetEndUser() != nil {
		body.set("end_user", endUserBody(req.GetEndUser()))
	}
	if len(req.GetTags()) > 0 {
		body.set("tags", req.GetTags())
	}
	raw, err := body.bytes()
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.ConnectionFull{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("connections"),
		JSON:   raw,
	}, out); err != nil {
		return nil, err
	}
	return &gatewayv1.ImportConnectionResponse{Connection: out}, nil
}

// PatchConnection sends PATCH /connections/{connectionId}?provider_config_key=<key> with
// only the keys the caller set.
func (s *connectionsService) PatchConnection(ctx context.Context, req *gatewayv1.PatchConnectionRequest) (*gatewayv1.PatchConnectionResponse, error) {
	patch := req.GetPatch()
	if err := checkEndUserInput("patch.end_user", patch.GetEndUser()); err != nil {
		return nil, err
	}
	body := &jsonObject{}
	if patch.GetEndUser() != nil {
		body.set("end_user", endUserBody(patch.GetEndUser()))
	}
	switch {
	case patch.GetClearTags() && len(patch.GetTags()) > 0:
		return nil, status.Error(codes.InvalidArgument, "patch.clear_tags: cannot be set together with patch.tags")
	case patch.GetClearTags():
		// Nango replaces the tags with what it is sent: {} removes them all.
		body.set("tags", json.RawMessage("{}"))
	case len(patch.GetTags()) > 0:
		body.set("tags", patch.GetTags())
	}
	if patch.WebhookUrlOverride != nil {
		// "" is meaningful: it clears the override.
		body.set("webhook_url_override", patch.GetWebhookUrlOverride())
	}
	raw, err := body.bytes()
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.PatchConnectionResponse{}
	_, err = doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method:   http.MethodPatch,
		Path:     nangohttp.PathOf("connections", req.GetConnectionId()),
		RawQuery: "provider_config_key=" + handBuiltQueryValue(req.GetProviderConfigKey()),
		JSON:     raw,
	}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConnection sends DELETE /connections/{connectionId}?provider_config_key=<key>.
func (s *connectionsService) DeleteConnection(ctx context.Context, req *gatewayv1.DeleteConnectionRequest) (*gatewayv1.DeleteConnectionResponse, error) {
	out := &gatewayv1.DeleteConnectionResponse{}
	_, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method:   http.MethodDelete,
		Path:     nangohttp.PathOf("connections", req.GetConnectionId()),
		RawQuery: "provider_config_key=" + handBuiltQueryValue(req.GetProviderConfigKey()),
		// The SDK sends it on this bodiless DELETE; Nango accepts it.
		Header: http.Header{"Content-Type": {"application/json"}},
	}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WaitForConnection runs the SDK's waitForConnection loop here: GET /connections?endUserId=
// at once, then every poll interval, until a connection of the integration shows up. It
// stays within the caller's deadline (or waitForConnectionMaxWait without one), stops as
// soon as the caller gives up, and rides out transient upstream failures.
func (s *connectionsService) WaitForConnection(ctx context.Context, req *gatewayv1.WaitForConnectionRequest) (*gatewayv1.WaitForConnectionResponse, error) {
	interval := s.deps.WaitPollInterval
	if interval <= 0 {
		interval = defaultWaitPollInterval
	}
	capped := false
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, waitForConnectionMaxWait)
		defer cancel()
		capped = true
	}
	q := &formQuery{}
	q.add("endUserId", req.GetUserId())
	rawQuery := q.encode()
	logger := s.deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	timer := time.NewTimer(0) // the first poll goes out at once
	defer timer.Stop()
	var lastErr error
	for polls := 0; ; {
		select {
		case <-ctx.Done():
			return nil, waitForConnectionEnded(ctx, req, capped, polls, lastErr)
		case <-timer.C:
		}
		polls++
		list := &gatewayv1.ListConnectionsResponse{}
		_, err := doJSON(ctx, s.deps.Upstream, listConnectionsRequest(rawQuery), list)
		next := interval
		switch {
		case err == nil:
			lastErr = nil
			for _, c := range list.GetConnections() {
				if c.GetProviderConfigKey() == req.GetIntegrationKey() {
					return &gatewayv1.WaitForConnectionResponse{Connection: c}, nil
				}
			}
		case ctx.Err() != nil:
			return nil, waitForConnectionEnded(ctx, req, capped, polls, lastErr)
		case isTransient(err):
			lastErr = err
			// Nango's rate limit says when to come back; polling sooner only burns quota.
			if d, ok := nangohttp.RetryDelayFromError(err); ok && d > next {
				next = d
			}
			logger.WarnContext(ctx, "wait for connection: transient upstream error, polling again",
				"integration_key", req.GetIntegrationKey(), "poll", polls, "code", status.Code(err).String(), "retry_in", next)
		default:
			return nil, err
		}
		timer.Reset(next)
	}
}

// isTransient reports an upstream failure that a later poll may not meet again.
func isTransient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted:
		return true
	}
	return false
}

// waitForConnectionEnded is the error of a wait whose context ended: Canceled when the
// caller went away, DeadlineExceeded when time ran out, saying which limit applied.
func waitForConnectionEnded(ctx context.Context, req *gatewayv1.WaitForConnectionRequest, capped bool, polls int, lastErr error) error {
	what := fmt.Sprintf("no connection of integration %q for end user %q", req.GetIntegrationKey(), req.GetUserId())
	if errors.Is(ctx.Err(), context.Canceled) {
		return waitStatus(codes.Canceled, nangohttp.ReasonCanceled,
			fmt.Sprintf("wait for connection canceled by the caller after %d poll(s): %s yet", polls, what))
	}
	msg := fmt.Sprintf("wait for connection: deadline exceeded after %d poll(s), %s", polls, what)
	if capped {
		msg = fmt.Sprintf("wait for connection: %s within %s, the longest wait when the caller sets no deadline (set a deadline to wait longer)",
			what, waitForConnectionMaxWait)
	}
	if lastErr != nil {
		msg += "; the last poll failed: " + status.Convert(lastErr).Message()
	}
	return waitStatus(codes.DeadlineExceeded, nangohttp.ReasonDeadlineExceeded, msg)
}

func waitStatus(code codes.Code, reason, msg string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: nangohttp.Domain}); err == nil {
		st = d
	}
	return st.Err()
}

// checkEndUserInput applies Nango's EndUserInput rules that the proto cannot state (the
// message is shared by requests where it is optional): an id of 1 to 255 characters and a
// display name of at most 255. field names the message in the request.
func checkEndUserInput(field string, u *gatewayv1.EndUserInput) error {
	if u == nil {
		return nil
	}
	if n := len([]rune(u.GetId())); n == 0 || n > 255 {
		return status.Errorf(codes.InvalidArgument, "%s.id: must be 1 to 255 characters", field)
	}
	if u.DisplayName != nil && len([]rune(u.GetDisplayName())) > 255 {
		return status.Errorf(codes.InvalidArgument, "%s.display_name: must be at most 255 characters", field)
	}
	if u.Email != nil && u.GetEmail() == "" {
		return status.Errorf(codes.InvalidArgument, "%s.email: must be an email address when set", field)
	}
	return nil
}

// endUserBody is Nango's EndUserInput JSON: id, then only the optional keys that are set.
func endUserBody(u *gatewayv1.EndUserInput) json.RawMessage {
	o := &jsonObject{}
	o.set("id", u.GetId())
	if u.Email != nil {
		o.set("email", u.GetEmail())
	}
	if u.DisplayName != nil {
		o.set("display_name", u.GetDisplayName())
	}
	if len(u.GetTags()) > 0 {
		o.set("tags", u.GetTags())
	}
	raw, _ := o.bytes() // strings and a string map always encode
	return raw
}

// jsonObject writes a JSON object with its keys in the order they are set, so a body has
// the key order of the SDK's, and without HTML escaping, as JSON.stringify writes it.
// Values are proto messages (protojson, proto names) or plain Go values.
type jsonObject struct {
	buf bytes.Buffer
	err error
}

func (o *jsonObject) set(key string, v any) {
	if o.err != nil {
		return
	}
	val, err := encodeWireJSON(v)
	if err != nil {
		o.err = err
		return
	}
	if o.buf.Len() == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	k, _ := encodeWireJSON(key)
	o.buf.Write(k)
	o.buf.WriteByte(':')
	o.buf.Write(val)
}

// setObject sets key to the object v.
func (o *jsonObject) setObject(key string, v *jsonObject) {
	raw, err := v.bytes()
	if err != nil {
		o.err = err
		return
	}
	o.set(key, raw)
}

// bytes returns the object, {} when nothing was set.
func (o *jsonObject) bytes() (json.RawMessage, error) {
	if o.err != nil {
		return nil, status.Errorf(codes.Internal, "cannot encode the request body as JSON: %v", o.err)
	}
	if o.buf.Len() == 0 {
		return json.RawMessage("{}"), nil
	}
	return json.RawMessage(append(bytes.Clone(o.buf.Bytes()), '}')), nil
}

func encodeWireJSON(v any) ([]byte, error) {
	var out bytes.Buffer
	switch v := v.(type) {
	case json.RawMessage:
		if err := json.Compact(&out, v); err != nil {
			return nil, err
		}
	case proto.Message:
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(v)
		if err != nil {
			return nil, err
		}
		// protojson varies its whitespace on purpose.
		if err := json.Compact(&out, b); err != nil {
			return nil, err
		}
	default:
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		out.Truncate(out.Len() - 1) // Encode's newline
	}
	return out.Bytes(), nil
}

// formQuery builds a query string in the order parameters are added, encoded either as
// URLSearchParams does (listConnections) or as axios encodes params (getConnection).
type formQuery struct {
	axios bool
	b     strings.Builder
}

func (q *formQuery) add(key, value string) {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	enc := urlSearchParamsEscape
	if q.axios {
		enc = axiosParamEscape
	}
	q.b.WriteString(enc(key))
	q.b.WriteByte('=')
	q.b.WriteString(enc(value))
}

func (q *formQuery) encode() string { return q.b.String() }

// handBuiltQueryValue reproduces the SDK's unencoded "?provider_config_key=<raw>" as Node's
// URL parser sends it: the characters a valid key may hold stay as they are, a space
// becomes %20. Anything that would change the query's structure is escaped too.
func handBuiltQueryValue(s string) string { return percentEncode(s, "\"#<>'&=+%") }

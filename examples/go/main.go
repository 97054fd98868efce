// Command example calls the gateway the way a Go service would: a unary call with a deadline
// and the service's token, every record of a model read as one stream and resumed from a
// saved cursor, and webhook events received through a filter and resumed after the last
// sequence seen.
//
// It reads GATEWAY_ADDR (host:port of the gRPC listener), GATEWAY_TOKEN, and, to post
// webhooks the way Nango would, GATEWAY_WEBHOOK_URL and NANGO_WEBHOOK_SIGNING_KEY. It prints
// one JSON summary and exits 1 when a check fails.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/nango-gateway/nango-gateway/client"
	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

type summary struct {
	Connection     string   `json:"connection"`
	Provider       string   `json:"provider"`
	Records        int      `json:"records"`
	ResumedAt      int      `json:"resumed_at"`
	ResumedRecords int      `json:"resumed_records"`
	Events         []string `json:"events"`
	ResumedEvents  []string `json:"resumed_events"`
	Missing        string   `json:"missing"` // gRPC code, Nango's code and HTTP status of a failed call
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// [connect]
	conn, err := client.New(os.Getenv("GATEWAY_ADDR"), client.Options{
		Token:    os.Getenv("GATEWAY_TOKEN"),
		Insecure: true, // loopback only; give TLS: &tls.Config{…} across a network
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	// [/connect]
	var out summary

	// [unary]
	callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := gatewayv1.NewConnectionsServiceClient(conn).GetConnection(callCtx, &gatewayv1.GetConnectionRequest{
		ProviderConfigKey: "github",
		ConnectionId:      "conn-github-1",
	})
	if e, ok := client.AsError(err); ok {
		return fmt.Errorf("GetConnection: %s (nango code %q, HTTP %d)", e.Code, e.Reason, e.HTTPStatus)
	}
	// [/unary]
	out.Connection, out.Provider = got.GetConnection().GetConnectionId(), got.GetConnection().GetProvider()

	// [error]
	_, err = gatewayv1.NewConnectionsServiceClient(conn).GetConnection(callCtx, &gatewayv1.GetConnectionRequest{
		ProviderConfigKey: "github",
		ConnectionId:      "no-such-connection",
	})
	if e, ok := client.AsError(err); ok {
		out.Missing = fmt.Sprintf("%s %s %d", e.Code, e.Reason, e.HTTPStatus) // NotFound not_found 404
	}
	// [/error]

	if err := readRecords(ctx, gatewayv1.NewRecordsServiceClient(conn), &out); err != nil {
		return err
	}
	if err := followEvents(ctx, gatewayv1.NewWebhooksServiceClient(conn), &out); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// readRecords reads every GithubIssue, saving the cursor halfway, then resumes from that
// cursor and checks it gets exactly the records after it.
func readRecords(ctx context.Context, records gatewayv1.RecordsServiceClient, out *summary) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req := &gatewayv1.StreamRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"}

	// [records]
	var ids []string
	var saved string // what a service would persist to carry on later
	s := client.StreamRecords(ctx, records, req, client.Resume{})
	for s.Next() {
		var rec map[string]any // the record as Nango sent it
		if err := json.Unmarshal(s.Record().GetJson(), &rec); err != nil {
			return err
		}
		ids = append(ids, rec["id"].(string))
		if len(ids) == 1000 {
			saved = s.Cursor()
		}
	}
	if err := s.Err(); err != nil {
		return err
	}

	req.Cursor = &saved // later: carry on after the saved record
	var rest []string
	s = client.StreamRecords(ctx, records, req, client.Resume{})
	for s.Next() {
		rest = append(rest, s.Record().GetId())
	}
	// [/records]
	if err := s.Err(); err != nil {
		return err
	}
	if !slices.Equal(rest, ids[1000:]) {
		return fmt.Errorf("resumed stream gave %d records, want the %d after the saved cursor", len(rest), len(ids)-1000)
	}
	out.Records, out.ResumedAt, out.ResumedRecords = len(ids), 1000, len(rest)
	return nil
}

// followEvents posts sync webhooks for a connection of its own, reads them through a filter,
// stops, posts more, and resumes after the last sequence it saw.
func followEvents(ctx context.Context, hooks gatewayv1.WebhooksServiceClient, out *summary) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	connection := "example-go-" + rand.Text()[:8] // this run's events only
	post := func(names ...string) error {
		for _, n := range names {
			// Noise the filter must drop: another type, another connection.
			for _, ev := range []map[string]any{
				{"type": "sync", "from": "nango", "connectionId": connection, "providerConfigKey": "github", "syncName": n, "model": "GithubIssue", "success": true},
				{"type": "auth", "from": "nango", "connectionId": connection, "providerConfigKey": "github", "operation": "refresh", "success": true, "authMode": n},
				{"type": "sync", "from": "nango", "connectionId": connection + "-other", "providerConfigKey": "github", "syncName": n, "model": "GithubIssue", "success": true},
			} {
				if err := postWebhook(ctx, ev); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := post("e1", "e2"); err != nil {
		return err
	}

	// [events]
	req := &gatewayv1.StreamWebhookEventsRequest{
		Types:        []string{"sync"},
		ConnectionId: &connection,
		Start:        &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true},
	}
	first, stop := context.WithCancel(ctx)
	s := client.StreamWebhookEvents(first, hooks, req, client.Resume{})
	for len(out.Events) < 2 && s.Next() {
		out.Events = append(out.Events, s.Event().GetEvent().GetSync().GetSyncName())
	}
	stop() // the service goes away; it keeps s.Sequence()
	last := s.Sequence()

	// [/events]
	if err := post("e3", "e4"); err != nil {
		return err
	}
	// [resume]
	req.Start = &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: last}
	s = client.StreamWebhookEvents(ctx, hooks, req, client.Resume{})
	for len(out.ResumedEvents) < 2 && s.Next() {
		out.ResumedEvents = append(out.ResumedEvents, s.Event().GetEvent().GetSync().GetSyncName())
	}
	// [/resume]
	if err := s.Err(); err != nil {
		return err
	}
	if !slices.Equal(out.Events, []string{"e1", "e2"}) || !slices.Equal(out.ResumedEvents, []string{"e3", "e4"}) {
		return fmt.Errorf("events %v then %v, want [e1 e2] then [e3 e4]", out.Events, out.ResumedEvents)
	}
	return nil
}

// postWebhook sends ev to the gateway signed as Nango signs it; here the program stands in
// for Nango.
func postWebhook(ctx context.Context, ev map[string]any) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, []byte(os.Getenv("NANGO_WEBHOOK_SIGNING_KEY")))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv("GATEWAY_WEBHOOK_URL"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Nango-Hmac-Sha256", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errors.New("webhook post: " + resp.Status)
	}
	return nil
}

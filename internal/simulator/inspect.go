package simulator

import (
	"encoding/json"
	"sort"
)

// ConnectionInfo describes one stored connection, for tests and the demo.
type ConnectionInfo struct {
	ID             int
	IntegrationKey string
	ConnectionID   string
	Provider       string
	AuthMode       string
	EndUserID      string
	Tags           map[string]string
	Metadata       json.RawMessage // null when unset
}

// Connections lists the stored connections in creation order.
func (s *Simulator) Connections() []ConnectionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnectionInfo, 0, len(s.st.connections))
	for _, c := range s.st.connections {
		ci := ConnectionInfo{ID: c.id, IntegrationKey: c.integrationKey, ConnectionID: c.connectionID, Provider: c.provider, Tags: map[string]string{}}
		if c.creds != nil {
			ci.AuthMode = c.creds.typ
		}
		if c.endUser != nil {
			ci.EndUserID = c.endUser.id
		}
		for k, v := range c.tags {
			ci.Tags[k] = v
		}
		ci.Metadata, _ = marshal(c.metadataOut())
		out = append(out, ci)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RecordCount is the number of records of model (or "model::variant") of a
// connection that are not deleted; -1 when the connection does not exist.
func (s *Simulator) RecordCount(integrationKey, connectionID, model string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.connection(integrationKey, connectionID)
	if c == nil {
		return -1
	}
	rs := s.st.recordSet(c.id, model, false)
	if rs == nil {
		return 0
	}
	return rs.live()
}

// EnvironmentUUID is the environment's id, part of integrations' webhook_url.
func (s *Simulator) EnvironmentUUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.envUUID
}

// WebhookSigningKey is the key the simulator signs its webhooks with.
func (s *Simulator) WebhookSigningKey() string { return s.opts.WebhookSigningKey }

package simulator

import (
	"encoding/json"
	"sort"
	"time"
)

// state is everything the simulator remembers; Simulator.mu guards it.
type state struct {
	ids          *idGen
	envUUID      string
	integrations []*integration
	connections  []*connection
	nextConnID   int
	nextFuncID   int
	records      map[recKey]*recordSet
	syncs        []*syncRun
	envVars      []envVar
	actions      map[string]*asyncAction
	sessions     []*connectSession
}

func newState() *state {
	ids := newIDGen(20240917)
	return &state{
		ids:        ids,
		envUUID:    ids.uuid(),
		nextConnID: 1,
		nextFuncID: 1,
		records:    map[recKey]*recordSet{},
		actions:    map[string]*asyncAction{},
	}
}

// tick returns the current time, strictly after every time tick handed out
// before, at Postgres' microsecond precision: records written later always
// sort after earlier ones.
func (s *Simulator) tick() time.Time {
	t := s.now().UTC().Truncate(time.Microsecond)
	if !t.After(s.clock) {
		t = s.clock.Add(time.Microsecond)
	}
	s.clock = t
	return t
}

type integration struct {
	uniqueKey         string
	provider          string
	displayName       string
	forwardWebhooks   bool
	createdAt         time.Time
	updatedAt         time.Time
	creds             *integrationCreds
	integrationConfig map[string]string
	custom            map[string]string
	shared            bool // quickstart: Nango's developer app, credentials hidden
	functions         []*function
}

type integrationCreds struct {
	typ           string
	clientID      string
	clientSecret  string
	scopes        *string
	webhookSecret *string
	appID         string
	appLink       string
	privateKey    string
}

// function is a deployed (or catalog template) sync, action or on-event script.
type function struct {
	id           int
	name         string
	typ          string // sync, action, on-event
	description  string
	scopes       []string
	input        string
	returns      []string
	runs         string
	autoStart    bool
	trackDeletes bool
	event        string
	enabled      bool
	lastDeployed time.Time
	source       string // repo, standalone, catalog
	version      string
	code         string
}

func (st *state) integration(key string) *integration {
	for _, i := range st.integrations {
		if i.uniqueKey == key {
			return i
		}
	}
	return nil
}

func (i *integration) function(name, typ string) *function {
	for _, f := range i.functions {
		if f.name == name && (typ == "" || f.typ == typ) {
			return f
		}
	}
	return nil
}

func (i *integration) syncFunctions() []*function {
	var out []*function
	for _, f := range i.functions {
		if f.typ == "sync" {
			out = append(out, f)
		}
	}
	return out
}

type connection struct {
	id                 int
	connectionID       string
	integrationKey     string
	provider           string
	createdAt          time.Time
	updatedAt          time.Time
	lastFetchedAt      *time.Time
	creds              *credentials
	config             map[string]json.RawMessage
	metadata           map[string]json.RawMessage // nil = null
	tags               map[string]string
	endUser            *endUser
	errors             []connError
	webhookURLOverride string
}

type connError struct {
	typ   string
	logID string
}

type endUser struct {
	id             string
	email          string
	displayName    string
	tags           map[string]string
	orgID          string
	orgDisplayName string
}

// credentials holds any auth mode's secrets; typ selects the fields shown.
// The typed fields serve the modes the simulator refreshes or reads; fields
// carries the members of every other mode, in Nango's order, so open shapes
// (JWT, TWO_STEP, install plugin) keep any key.
type credentials struct {
	typ              string
	accessToken      string
	refreshToken     string
	expiresAt        *time.Time
	raw              json.RawMessage
	oauthToken       string
	oauthTokenSecret string
	token            string
	clientID         string
	clientSecret     string
	apiKey           string
	username         string
	password         string
	jwtToken         string
	// configOverride is OAUTH2's optional config_override (nil = absent).
	configOverride obj
	// clientCertificate and clientPrivateKey are OAUTH2_CC's optional mTLS pair.
	clientCertificate, clientPrivateKey string
	// app and user make a CUSTOM credential the GitHub App + OAuth
	// combination: an APP object and an OAUTH2 object (nil user = null).
	app, user *credentials
	// fields are the members after "type" of the modes rendered verbatim.
	fields obj
}

func (st *state) connection(integrationKey, connectionID string) *connection {
	for _, c := range st.connections {
		if c.integrationKey == integrationKey && c.connectionID == connectionID {
			return c
		}
	}
	return nil
}

func (st *state) removeConnection(c *connection) {
	out := st.connections[:0]
	for _, x := range st.connections {
		if x != c {
			out = append(out, x)
		}
	}
	st.connections = out
	for k := range st.records {
		if k.connID == c.id {
			delete(st.records, k)
		}
	}
	runs := st.syncs[:0]
	for _, r := range st.syncs {
		if r.connID != c.id {
			runs = append(runs, r)
		}
	}
	st.syncs = runs
}

type envVar struct {
	name, value string
}

// recKey identifies the records of one model (or model::variant) of a connection.
type recKey struct {
	connID int
	model  string
}

// recordSet keeps records ordered by (updated_at, uuid), the order of GET /records.
type recordSet struct {
	recs  []*record
	byExt map[string]*record
}

type record struct {
	uuid       string
	externalID string
	payload    json.RawMessage // JSON object, "id" first
	createdAt  time.Time
	updatedAt  time.Time
	deletedAt  *time.Time
	prunedAt   *time.Time
}

func recordLess(a, b *record) bool {
	if !a.updatedAt.Equal(b.updatedAt) {
		return a.updatedAt.Before(b.updatedAt)
	}
	return a.uuid < b.uuid
}

func (st *state) recordSet(connID int, model string, create bool) *recordSet {
	k := recKey{connID, model}
	rs := st.records[k]
	if rs == nil && create {
		rs = &recordSet{byExt: map[string]*record{}}
		st.records[k] = rs
	}
	return rs
}

// put adds or replaces records and restores the order.
func (rs *recordSet) put(recs ...*record) {
	changed := map[*record]bool{}
	for _, r := range recs {
		if old := rs.byExt[r.externalID]; old != nil {
			changed[old] = true
		}
		rs.byExt[r.externalID] = r
	}
	if len(changed) > 0 {
		kept := rs.recs[:0]
		for _, r := range rs.recs {
			if !changed[r] {
				kept = append(kept, r)
			}
		}
		rs.recs = kept
	}
	rs.recs = append(rs.recs, recs...)
	sort.SliceStable(rs.recs, func(i, j int) bool { return recordLess(rs.recs[i], rs.recs[j]) })
}

func (rs *recordSet) live() int {
	n := 0
	for _, r := range rs.recs {
		if r.deletedAt == nil {
			n++
		}
	}
	return n
}

// syncRun is one sync (or sync variant) of one connection.
type syncRun struct {
	id             string
	connID         int
	integrationKey string
	name           string
	variant        string
	status         string // RUNNING, SUCCESS, ERROR, PAUSED, STOPPED
	frequency      string // per-connection override; "" = the function's runs
	finishedAt     *time.Time
	latestResult   map[string][3]int // model -> added, updated, deleted
	latestStatus   string
	checkpoint     json.RawMessage
	createdAt      time.Time
}

type asyncAction struct {
	id      string
	readyAt time.Time
	output  json.RawMessage
	err     *apiError
}

type connectSession struct {
	token       string
	expiresAt   time.Time
	connID      int // reconnect sessions
	endUserID   string
	integration string
}

package access

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Policy is one parsed clients file.
type Policy struct {
	clients []*Client
}

// Client is a caller the policy knows.
type Client struct {
	Name        string
	tokenSHA256 []byte
	identity    string // a verified client certificate's URI SAN, DNS SAN or common name
	allow       []string
	// RateWeight is the client's share of Nango's rate limit when calls wait
	// for it: a client of weight 2 gets two turns for another's one.
	RateWeight int
	// RateQuota caps the client's calls to Nango per rate-limit window on
	// each replica; 0 for none.
	RateQuota int
}

type fileFormat struct {
	Clients []struct {
		Name                string   `yaml:"name"`
		TokenSHA256         string   `yaml:"token_sha256"`
		CertificateIdentity string   `yaml:"certificate_identity"`
		Allow               []string `yaml:"allow"`
		RateWeight          *int     `yaml:"rate_weight"`
		RateQuota           int      `yaml:"rate_quota"`
	} `yaml:"clients"`
}

// ParsePolicy reads a clients file strictly: an unknown key, a missing name, a
// hash that is not 64 hex digits, a name or hash listed twice or a malformed
// rule is an error naming the entry, so a typo never widens or silently drops
// access.
func ParsePolicy(data []byte) (*Policy, error) {
	var f fileFormat
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("clients file: %w", err)
	}
	p := &Policy{}
	names, hashes, identities := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, c := range f.Clients {
		where := fmt.Sprintf("clients[%d]", i)
		if c.Name == "" {
			return nil, fmt.Errorf("clients file: %s: name is required", where)
		}
		where += " (" + c.Name + ")"
		if names[c.Name] {
			return nil, fmt.Errorf("clients file: %s: name listed twice", where)
		}
		if c.TokenSHA256 == "" && c.CertificateIdentity == "" {
			return nil, fmt.Errorf("clients file: %s: give token_sha256, certificate_identity or both", where)
		}
		var sum []byte
		if c.TokenSHA256 != "" {
			var err error
			sum, err = hex.DecodeString(strings.ToLower(c.TokenSHA256))
			if err != nil || len(sum) != sha256.Size {
				return nil, fmt.Errorf("clients file: %s: token_sha256 must be 64 hex digits (the SHA-256 of the token)", where)
			}
			if hashes[string(sum)] {
				return nil, fmt.Errorf("clients file: %s: token_sha256 listed twice", where)
			}
		}
		if id := c.CertificateIdentity; id != "" && identities[id] {
			return nil, fmt.Errorf("clients file: %s: certificate_identity listed twice", where)
		}
		for _, rule := range c.Allow {
			if err := checkRule(rule); err != nil {
				return nil, fmt.Errorf("clients file: %s: allow %q: %w", where, rule, err)
			}
		}
		weight := 1
		if c.RateWeight != nil {
			if *c.RateWeight < 1 || *c.RateWeight > MaxRateWeight {
				return nil, fmt.Errorf("clients file: %s: rate_weight must be between 1 and %d", where, MaxRateWeight)
			}
			weight = *c.RateWeight
		}
		if c.RateQuota < 0 {
			return nil, fmt.Errorf("clients file: %s: rate_quota must not be negative (0 or absent: no quota)", where)
		}
		names[c.Name] = true
		if sum != nil {
			hashes[string(sum)] = true
		}
		if c.CertificateIdentity != "" {
			identities[c.CertificateIdentity] = true
		}
		p.clients = append(p.clients, &Client{Name: c.Name, tokenSHA256: sum, identity: c.CertificateIdentity, allow: c.Allow,
			RateWeight: weight, RateQuota: c.RateQuota})
	}
	return p, nil
}

// checkRule accepts "*", "Service/*" and full names; a "*" anywhere else would
// read as a pattern it is not.
func checkRule(rule string) error {
	switch {
	case rule == "*":
		return nil
	case rule == "":
		return errors.New("empty rule")
	case strings.HasPrefix(rule, "/"):
		return errors.New("write the name without a leading slash")
	}
	body := strings.TrimSuffix(rule, "/*")
	if strings.HasPrefix(rule, RelayPrefix) && body != rule {
		return errors.New("a relayed route is allowed by its exact name or by \"*\"")
	}
	if strings.Contains(body, "*") {
		return errors.New(`"*" is allowed only alone or as the last segment ("Service/*")`)
	}
	if !strings.Contains(rule, "/") {
		return errors.New(`want a full method ("pkg.Service/Method"), "pkg.Service/*" or "*"`)
	}
	return nil
}

// Authenticate finds the client whose token this is. Every client's hash is
// compared, in constant time, so the answer's timing says nothing about which
// entry matched or how close a guess was.
func (p *Policy) Authenticate(token string) (*Client, bool) {
	sum := sha256.Sum256([]byte(token))
	var found *Client
	for _, c := range p.clients {
		if c.tokenSHA256 != nil && subtle.ConstantTimeCompare(sum[:], c.tokenSHA256) == 1 {
			found = c
		}
	}
	return found, found != nil
}

// AuthenticateCertificate finds the client named by one of a verified client
// certificate's identities (its URI SANs, DNS SANs, common name, in that order).
func (p *Policy) AuthenticateCertificate(identities []string) (*Client, bool) {
	for _, id := range identities {
		for _, c := range p.clients {
			if c.identity != "" && c.identity == id {
				return c, true
			}
		}
	}
	return nil, false
}

// MaxRateWeight bounds rate_weight: a larger weight would let one client's
// turn outlast a window.
const MaxRateWeight = 1000

// RateShare is the rate weight and quota of the client named name; a name
// the policy does not know gets weight 1 and no quota.
func (p *Policy) RateShare(name string) (weight, quota int) {
	for _, c := range p.clients {
		if c.Name == name {
			return c.RateWeight, c.RateQuota
		}
	}
	return 1, 0
}

// Len is the number of clients.
func (p *Policy) Len() int { return len(p.clients) }

// Allows reports whether the client may make the call named name (a full gRPC
// method without its leading slash, or a relay name).
func (c *Client) Allows(name string) bool {
	for _, rule := range c.allow {
		if rule == "*" || rule == name {
			return true
		}
		if prefix, ok := strings.CutSuffix(rule, "*"); ok && strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// RelayPrefix starts the name of a relayed route that no RPC corresponds to; only
// "*" or a rule naming the route exactly allows it.
const RelayPrefix = "relay/"

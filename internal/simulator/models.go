package simulator

// field is one field of a function model, enough to derive a JSON schema.
type field struct {
	name     string
	typ      string // string, number, boolean, string[], object
	optional bool
}

type model struct {
	name   string
	fields []field
}

// Models of the seeded functions. Record payloads follow them.
var models = map[string]model{
	"GithubIssue": {"GithubIssue", []field{
		{"id", "string", false}, {"number", "number", false}, {"title", "string", false},
		{"state", "string", false}, {"author", "string", false}, {"labels", "string[]", false},
		{"created_at", "string", false}, {"updated_at", "string", false}, {"url", "string", false},
	}},
	"GithubCreateIssueInput": {"GithubCreateIssueInput", []field{
		{"title", "string", false}, {"body", "string", true}, {"labels", "string[]", true},
	}},
	"GithubRepo": {"GithubRepo", []field{
		{"id", "string", false}, {"name", "string", false}, {"full_name", "string", false},
		{"private", "boolean", false}, {"stars", "number", false},
	}},
	"GithubRepoFilter": {"GithubRepoFilter", []field{{"owner", "string", true}}},
	"SlackMessage": {"SlackMessage", []field{
		{"id", "string", false}, {"channel", "string", false}, {"user", "string", false},
		{"text", "string", false}, {"ts", "string", false}, {"thread_ts", "string", true},
	}},
	"SlackUser": {"SlackUser", []field{
		{"id", "string", false}, {"name", "string", false}, {"real_name", "string", false},
		{"email", "string", true}, {"is_admin", "boolean", false},
	}},
	"SlackSendMessageInput": {"SlackSendMessageInput", []field{
		{"channel", "string", false}, {"text", "string", false},
	}},
	"SlackSendMessageOutput": {"SlackSendMessageOutput", []field{
		{"ok", "boolean", false}, {"channel", "string", false}, {"ts", "string", false}, {"text", "string", false},
	}},
	"HubspotContact": {"HubspotContact", []field{
		{"id", "string", false}, {"email", "string", false}, {"first_name", "string", false},
		{"last_name", "string", false}, {"company", "string", true}, {"lifecycle_stage", "string", false},
	}},
	"HubspotCreateContactInput": {"HubspotCreateContactInput", []field{
		{"email", "string", false}, {"first_name", "string", true}, {"last_name", "string", true},
	}},
	"EchoInput":       {"EchoInput", []field{{"message", "string", true}, {"data", "object", true}}},
	"UppercaseInput":  {"UppercaseInput", []field{{"text", "string", false}}},
	"UppercaseOutput": {"UppercaseOutput", []field{{"text", "string", false}, {"length", "number", false}}},
	"SleepInput":      {"SleepInput", []field{{"ms", "number", false}}},
	"SleepOutput":     {"SleepOutput", []field{{"slept_ms", "number", false}}},
	"FailInput":       {"FailInput", []field{{"status", "number", true}, {"message", "string", true}}},
}

// propertySchema is the JSON schema of one field.
func (f field) propertySchema() obj {
	switch f.typ {
	case "string[]":
		return obj{{"type", "array"}, {"items", obj{{"type", "string"}}}}
	case "object":
		return obj{{"type", "object"}, {"additionalProperties", true}}
	}
	return obj{{"type", f.typ}}
}

// objectSchema is {type, properties, required} of a model.
func (m model) objectSchema(additional bool) obj {
	props := obj{}
	required := []string{}
	for _, f := range m.fields {
		props = append(props, kv{f.name, f.propertySchema()})
		if !f.optional {
			required = append(required, f.name)
		}
	}
	o := obj{{"type", "object"}, {"properties", props}, {"required", required}}
	if !additional {
		o = append(o, kv{"additionalProperties", false})
	}
	return o
}

// jsonSchema is the json_schema of a function: a draft-07 document whose
// definitions hold every model the function reads or returns.
func jsonSchema(names ...string) any {
	defs := obj{}
	for _, n := range names {
		if n == "" {
			continue
		}
		if m, ok := models[n]; ok {
			defs = append(defs, kv{n, m.objectSchema(false)})
		}
	}
	if len(defs) == 0 {
		return nil
	}
	return obj{{"$schema", "http://json-schema.org/draft-07/schema#"}, {"definitions", defs}}
}

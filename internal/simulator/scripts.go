package simulator

import (
	"net/http"
	"strings"
)

// modelFields is the NangoModel shape: {name, fields[{name, value, ...}]}.
func modelFields(name string) obj {
	m, ok := models[name]
	if !ok {
		return obj{{"name", name}, {"fields", []obj{}}}
	}
	fields := []obj{}
	for _, f := range m.fields {
		fo := obj{{"name", f.name}}
		switch f.typ {
		case "string[]":
			fo = append(fo, kv{"value", "string"}, kv{"array", true})
		case "object":
			fo = append(fo, kv{"value", "object"}, kv{"dynamic", true})
		default:
			fo = append(fo, kv{"value", f.typ})
		}
		if f.optional {
			fo = append(fo, kv{"optional", true})
		}
		fields = append(fields, fo)
	}
	return obj{{"name", name}, {"fields", fields}}
}

// nangoConfig is a function as NangoSyncConfig, the items of StandardNangoConfig.
func (f *function) nangoConfig(integrationKey string) obj {
	names := append([]string{}, f.returns...)
	if f.input != "" {
		names = append(names, f.input)
	}
	ms := []obj{}
	for _, n := range names {
		ms = append(ms, modelFields(n))
	}
	method, group := "POST", ""
	if f.typ == "sync" {
		method = "GET"
	}
	if len(f.returns) > 0 {
		group = f.returns[0]
	}
	endpoint := obj{{"method", method}, {"path", "/" + integrationKey + "/" + f.name}}
	if group != "" {
		endpoint = append(endpoint, kv{"group", group})
	}
	returns := f.returns
	if returns == nil {
		returns = []string{}
	}
	scopes := f.scopes
	if scopes == nil {
		scopes = []string{}
	}
	var input any
	if f.input != "" {
		input = f.input
	}
	o := obj{
		{"id", f.id},
		{"name", f.name},
		{"type", f.typ},
		{"description", f.description},
		{"endpoints", []obj{endpoint}},
		{"scopes", scopes},
		{"input", input},
		{"returns", returns},
		{"models", ms},
		{"json_schema", jsonSchema(append([]string{f.input}, f.returns...)...)},
		{"version", f.version},
		{"enabled", f.enabled},
		{"last_deployed", isoTime(f.lastDeployed)},
		{"attributes", obj{}},
		{"is_public", f.source == "catalog"},
		{"pre_built", f.source == "catalog"},
	}
	if f.typ == "sync" {
		o = append(o,
			kv{"sync_type", "incremental"},
			kv{"runs", f.runs},
			kv{"auto_start", f.autoStart},
			kv{"track_deletes", f.trackDeletes},
			kv{"webhookSubscriptions", []string{}},
		)
	}
	return o
}

// scriptsConfig is GET /scripts/config. Nango reads format without
// validating the query: with nothing deployed it answers [] whatever the
// format, and any format but openai gives the nango one.
func (c *call) scriptsConfig() {
	format := ""
	if v := c.q.values("format"); len(v) == 1 {
		format = v[0]
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var configs []*integration
	for _, i := range s.st.integrations {
		for _, f := range i.functions {
			if f.typ == "sync" || f.typ == "action" || f.typ == "on-event" {
				configs = append(configs, i)
				break
			}
		}
	}
	if len(configs) == 0 {
		c.json(http.StatusOK, []obj{})
		return
	}
	if format == "openai" {
		data := []obj{}
		for _, i := range configs {
			for _, f := range i.functions {
				if f.typ == "sync" {
					data = append(data, obj{{"name", f.name}, {"description", orDefault(f.description, "Execute the "+f.name+" sync for "+i.provider)},
						{"parameters", obj{{"type", "object"}, {"properties", obj{}}, {"required", []string{}}}}})
				}
			}
			for _, f := range i.functions {
				if f.typ == "action" {
					data = append(data, obj{{"name", f.name}, {"description", orDefault(f.description, "Execute the "+f.name+" action for "+i.provider)},
						{"parameters", f.openAIParameters()}})
				}
			}
		}
		c.json(http.StatusOK, obj{{"data", data}})
		return
	}
	out := []obj{}
	for _, i := range configs {
		syncs, actions, onEvents := []obj{}, []obj{}, []string{}
		for _, f := range i.functions {
			switch f.typ {
			case "sync":
				syncs = append(syncs, f.nangoConfig(i.uniqueKey))
			case "action":
				actions = append(actions, f.nangoConfig(i.uniqueKey))
			case "on-event":
				onEvents = append(onEvents, f.name)
			}
		}
		out = append(out, obj{
			{"providerConfigKey", i.uniqueKey},
			{"provider", i.provider},
			{"syncs", syncs},
			{"actions", actions},
			{"on-events", onEvents},
		})
	}
	c.json(http.StatusOK, out)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// openAIParameters is an action's input model as OpenAI function
// parameters; "- name: text" lines of the description describe fields.
func (f *function) openAIParameters() obj {
	m, ok := models[f.input]
	if !ok {
		return obj{{"type", "object"}, {"properties", obj{}}, {"required", []string{}}}
	}
	described := map[string]string{}
	for _, line := range strings.Split(f.description, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-") {
			continue
		}
		if name, text, ok := strings.Cut(strings.TrimSpace(line[1:]), ":"); ok {
			described[strings.TrimSpace(name)] = strings.TrimSpace(text)
		}
	}
	props := obj{}
	required := []string{}
	for _, fd := range m.fields {
		p := fd.propertySchema()
		if d, ok := described[fd.name]; ok {
			p = append(p, kv{"description", d})
		}
		props = append(props, kv{fd.name, p})
		if !fd.optional {
			required = append(required, fd.name)
		}
	}
	return obj{{"type", "object"}, {"properties", props}, {"required", required}}
}

func (c *call) environmentVariables() {
	if !c.emptyQuery() {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []obj{}
	for _, v := range s.st.envVars {
		out = append(out, obj{{"name", v.name}, {"value", v.value}})
	}
	c.json(http.StatusOK, out)
}

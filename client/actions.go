package client

import "google.golang.org/grpc/metadata"

// ActionIDMetadata is the metadata key under which TriggerActionAndWait sends the id of the
// action it queued: in the response headers as soon as Nango has queued it, and again in the
// trailer.
const ActionIDMetadata = "nango-action-id"

// ActionID returns the id of the action a TriggerActionAndWait call queued, from the metadata
// collected with the grpc.Header and grpc.Trailer call options; "" when neither holds one (the
// call failed before Nango queued the action). It is there when the call itself failed, past
// its deadline for instance: GetAsyncActionResult then fetches the result later.
func ActionID(header, trailer metadata.MD) string {
	for _, md := range []metadata.MD{header, trailer} {
		if v := md.Get(ActionIDMetadata); len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

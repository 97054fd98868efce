package gateway

import "net/http"

// The /v1 mapping answers browsers as Nango's REST API does (the relay passes Nango's own
// CORS headers through): any origin, preflights answered 204 without reaching a service.
const (
	corsAllowMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"
	corsAllowHeaders = "Authorization, Content-Type, Accept, Origin, X-Requested-With, Provider-Config-Key, Connection-Id"
)

func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			if requested := r.Header.Get("Access-Control-Request-Headers"); requested != "" {
				h.Set("Access-Control-Allow-Headers", requested)
			} else {
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			}
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

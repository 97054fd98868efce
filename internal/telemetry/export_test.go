package telemetry

// RouteLabelForTest is routeLabel, which a span's or metric's route passes through.
func RouteLabelForTest(route string) string { return routeLabel(route) }

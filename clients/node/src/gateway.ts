// Every generated message and client of nango.gateway.v1 in one namespace.
export * from "./gen/nango/gateway/v1/actions";
export * from "./gen/nango/gateway/v1/connect";
export * from "./gen/nango/gateway/v1/connections";
export * from "./gen/nango/gateway/v1/environment";
export * from "./gen/nango/gateway/v1/errors";
export * from "./gen/nango/gateway/v1/integrations";
export * from "./gen/nango/gateway/v1/metadata";
export * from "./gen/nango/gateway/v1/providers";
export * from "./gen/nango/gateway/v1/proxy";
export * from "./gen/nango/gateway/v1/records";
export * from "./gen/nango/gateway/v1/scripts";
export * from "./gen/nango/gateway/v1/syncs";
export * from "./gen/nango/gateway/v1/types";
export * from "./gen/nango/gateway/v1/webhooks";

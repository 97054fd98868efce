// Package natstest runs in-process NATS servers with JetStream for tests: no external
// service, random ports, and stores in directories the test owns, so a test can restart a
// server and find its streams again. RunCluster starts a cluster of them, for streams
// with replicas and tests that stop a server while it is in use.
package natstest

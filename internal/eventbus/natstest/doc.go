// Package natstest runs an in-process NATS server with JetStream for tests: no external
// service, a random port, and the store in a directory the test owns, so a test can
// restart the server and find its streams again.
package natstest

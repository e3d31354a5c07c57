// Package testenv starts the local AWS emulator (moto_server) that collector,
// verify and fix tests run the real AWS SDK against, and builds SDK
// configurations that point at it.
//
// A missing emulator is a test failure, never a skip: CI must not go green
// on tests that did not run.
package testenv

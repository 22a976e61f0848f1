// Package kscenario runs the map statements of a parsed scenario
// (sim/scenario) on the real kernel through internal/kernel, so that lesson
// claims and selftest scenarios can be checked statement by statement
// against Linux. It builds on Linux only; this file names the package
// everywhere.
package kscenario

//go:build !race

package chat_test

// leakCycles is how many subscribe/abrupt-disconnect cycles the leak test runs (the issue's
// 10,000; see race_test.go for the race-detector build).
const leakCycles = 10000

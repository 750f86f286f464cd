//go:build race

package chat_test

// leakCycles is smaller under the race detector, which makes each cycle about ten times slower:
// a leak of anything per cycle still shows far above the test's tolerances.
const leakCycles = 2000

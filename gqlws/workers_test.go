package gqlws

import (
	"testing"
	"time"
)

func TestWorkersReuseIdleOnesAndNeverMakeATaskWait(t *testing.T) {
	w := newWorkers(200 * time.Millisecond)
	done := make(chan int, 10)

	// A finished worker takes the next task: still one goroutine.
	w.run(func() { done <- 1 })
	<-done
	waitFor(t, "the first worker to wait for work", func() bool { live, idle := w.count(); return live == 1 && idle == 1 })
	w.run(func() { done <- 2 })
	if got := <-done; got != 2 {
		t.Fatalf("second task sent %d", got)
	}
	if live, _ := w.count(); live != 1 {
		t.Fatalf("%d workers after two tasks in a row, want the idle one reused", live)
	}

	// A blocked task does not hold up another one: it gets a worker of its own.
	release := make(chan struct{})
	waitFor(t, "the worker to wait again", func() bool { _, idle := w.count(); return idle == 1 })
	w.run(func() { <-release })
	w.run(func() { done <- 3 })
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a task waited for a busy worker")
	}
	if live, _ := w.count(); live != 2 {
		t.Fatalf("%d workers for one busy and one finished task, want 2", live)
	}
	close(release)

	// Idle workers leave after the timeout.
	waitFor(t, "idle workers to exit", func() bool { live, _ := w.count(); return live == 0 })
}

// waitFor polls cond, then leaves a moment for a worker counted idle to reach its select.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}

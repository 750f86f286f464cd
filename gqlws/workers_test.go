package gqlws

import (
	"testing"
	"time"
)

func TestWorkersReuseIdleOnesAndNeverMakeATaskWait(t *testing.T) {
	// Long enough that a worker cannot time out between two steps on a loaded machine.
	w := newWorkers(2 * time.Second)
	done := make(chan int, 10)

	// A finished worker takes the next task: still one goroutine.
	w.run(func() { done <- 1 })
	<-done
	handToIdle(t, w, func() { done <- 2 })
	if got := <-done; got != 2 {
		t.Fatalf("second task sent %d", got)
	}
	if live, _ := w.count(); live != 1 {
		t.Fatalf("%d workers after two tasks in a row, want the idle one reused", live)
	}

	// A blocked task does not hold up another one: it gets a worker of its own.
	release := make(chan struct{})
	handToIdle(t, w, func() { <-release })
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

// handToIdle gives task to the idle worker the way run does (a send that succeeds only when a
// worker waits for one), retrying until that worker reaches its wait: a worker is counted idle
// a moment before it waits, and run would start a new goroutine in that moment. It fails when
// the task would need a new goroutine, or when no worker is waiting after a generous deadline.
func handToIdle(t *testing.T, w *workers, task func()) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live, idle := w.count()
		if live != 1 {
			t.Fatalf("%d workers, want the one that finished its task", live)
		}
		if idle == 1 {
			select {
			case w.tasks <- task:
				return
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle worker never waited for a task")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond under a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package gqlws

import (
	"sync"
	"time"
)

// workers runs deliveries on goroutines that outlive them. A fresh goroutine starts with a small
// stack and gqlgen's response handler is deep, so every fresh one grows (copies) its stack
// several times before the first frame is written: a fifth of a delivery's CPU in profiles.
// A worker that finished keeps its grown stack and waits idleTimeout for the next task, then
// exits, so a quiet server holds none. A task never waits for a busy worker: with none idle it
// gets a new goroutine, so a slow client's write cannot hold up anyone else's delivery.
type workers struct {
	idleTimeout time.Duration
	tasks       chan func() // unbuffered: a send succeeds only when a worker is idle

	mu   sync.Mutex
	live int
	idle int
}

func newWorkers(idleTimeout time.Duration) *workers {
	return &workers{idleTimeout: idleTimeout, tasks: make(chan func())}
}

// run runs task on an idle worker, or on a new one.
func (w *workers) run(task func()) {
	select {
	case w.tasks <- task:
	default:
		w.mu.Lock()
		w.live++
		w.mu.Unlock()
		go w.loop(task)
	}
}

func (w *workers) loop(task func()) {
	idle := time.NewTimer(w.idleTimeout)
	defer func() {
		idle.Stop()
		w.mu.Lock()
		w.live--
		w.mu.Unlock()
	}()
	for {
		task()
		task = nil // let it be collected while idle
		idle.Reset(w.idleTimeout)
		w.mu.Lock()
		w.idle++
		w.mu.Unlock()
		select {
		case task = <-w.tasks:
		case <-idle.C:
		}
		w.mu.Lock()
		w.idle--
		w.mu.Unlock()
		if task == nil {
			return
		}
	}
}

// count returns the number of worker goroutines, and how many of them wait for a task.
func (w *workers) count() (live, idle int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live, w.idle
}

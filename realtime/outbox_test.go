package realtime_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/realtime"
)

// delivery records what an outbox tells a transport.
type delivery struct {
	mu       sync.Mutex
	ready    int
	consumed func()
}

func (d *delivery) Attach(consumed func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.consumed != nil {
		return false
	}
	d.consumed = consumed
	return true
}

func (d *delivery) Ready() {
	d.mu.Lock()
	d.ready++
	d.mu.Unlock()
}

func (d *delivery) readyCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready
}

func TestOutboxUnderADelivery(t *testing.T) {
	d := &delivery{}
	ctx := realtime.WithDelivery(context.Background(), d)
	rooms := 0
	o := realtime.NewOutbox[int](2, func() { rooms++ })
	one, two, three := 1, 2, 3
	if !o.Offer(&one) {
		t.Fatal("offer before start refused")
	}
	if d.readyCount() != 0 {
		t.Fatal("ready before start: a failing resolver would leave the transport waiting")
	}
	ch := o.Start(ctx)
	if d.readyCount() != 1 {
		t.Fatalf("ready %d after start with one value queued, want 1", d.readyCount())
	}
	if !o.Offer(&two) || o.Offer(&three) {
		t.Fatal("capacity 2: the second offer must pass and the third be refused")
	}
	if d.readyCount() != 2 || o.Room() != 0 {
		t.Fatalf("ready %d room %d", d.readyCount(), o.Room())
	}
	// The transport takes one value per Ready and says so.
	if v := <-ch; *v != 1 {
		t.Fatalf("got %d", *v)
	}
	d.consumed()
	if rooms != 1 || o.Room() != 1 {
		t.Fatalf("onRoom calls %d, room %d", rooms, o.Room())
	}
	o.Close()
	if d.readyCount() != 3 {
		t.Fatalf("close must be announced like a value: ready %d", d.readyCount())
	}
	if v := <-ch; *v != 2 {
		t.Fatalf("got %d", *v)
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel open after close")
	}
	if o.Offer(&three) {
		t.Fatal("offer after close accepted")
	}
}

func TestOutboxBridgesToABlockingConsumer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rooms := make(chan struct{}, 10)
	o := realtime.NewOutbox[int](4, func() { rooms <- struct{}{} })
	ch := o.Start(ctx)
	for i := range 3 {
		if !o.Offer(&i) {
			t.Fatalf("offer %d refused", i)
		}
	}
	o.Close()
	var got []int
	for v := range ch {
		got = append(got, *v)
	}
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("got %v", got)
	}
	for range 3 {
		select {
		case <-rooms:
		case <-time.After(5 * time.Second):
			t.Fatal("onRoom not called for each value taken")
		}
	}
}

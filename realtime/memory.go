package realtime

import (
	"context"
	"sync"
)

// Memory is an in-process Broker for a single instance (no Redis configured).
type Memory struct {
	mu     sync.RWMutex
	nextID int
	subs   map[string]map[int]chan []byte
}

// NewMemory returns an empty in-process broker.
func NewMemory() *Memory {
	return &Memory{subs: map[string]map[int]chan []byte{}}
}

// memoryBuffer bounds each subscription's queue; when a handler falls this far behind, newer
// messages are dropped (at-most-once, like Redis pub/sub) rather than blocking publishers.
const memoryBuffer = 256

// Publish implements Broker.
func (m *Memory) Publish(_ context.Context, topic string, payload []byte) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, ch := range m.subs[topic] {
		select {
		case ch <- payload:
		default:
		}
	}
	return nil
}

// Subscribe implements Broker.
func (m *Memory) Subscribe(_ context.Context, topic string, handle func([]byte)) (func(), error) {
	ch := make(chan []byte, memoryBuffer)
	m.mu.Lock()
	m.nextID++
	id := m.nextID
	if m.subs[topic] == nil {
		m.subs[topic] = map[int]chan []byte{}
	}
	m.subs[topic][id] = ch
	m.mu.Unlock()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			handle(p)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs[topic], id)
			if len(m.subs[topic]) == 0 {
				delete(m.subs, topic)
			}
			m.mu.Unlock()
			close(ch)
			<-done
		})
	}, nil
}

// Ping implements Broker; the in-process broker is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Broker.
func (m *Memory) Close() error { return nil }

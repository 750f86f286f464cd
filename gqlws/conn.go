package gqlws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// errWriterClosed is returned for writes after the close frame (or a failed write).
var errWriterClosed = errors.New("gqlws: connection closing")

// closeGrace is how long a closing connection waits for the client's close frame before
// dropping the TCP connection.
const closeGrace = 2 * time.Second

// conn is one WebSocket connection. Its reader goroutine owns the read side; writes come from
// operations, timers and the reader, serialised by wmu.
type conn struct {
	s      *Server
	nc     net.Conn
	src    io.Reader
	exec   graphql.GraphExecutor
	strict bool // graphql-transport-ws; otherwise the legacy protocol
	base   context.Context

	wmu     sync.Mutex
	wclosed bool

	mu          sync.Mutex
	ctx         context.Context // the operations' context, once connection_init was accepted
	cancel      context.CancelFunc
	initSeen    bool
	acked       bool
	closing     bool
	finished    bool
	ops         map[string]*operation
	windowStart time.Time
	windowCount int
	initTimer   *time.Timer
	pingTimer   *time.Timer
	cleanups    []func()

	lastRead atomic.Int64 // unix nanoseconds of the last frame received
}

func newConn(s *Server, nc net.Conn, br *bufio.Reader, protocol string, exec graphql.GraphExecutor, base context.Context) *conn {
	var src io.Reader = nc
	if n := br.Buffered(); n > 0 {
		// The client wrote before reading the handshake's answer; keep those bytes, not the
		// 4 KiB buffer they sit in.
		early, _ := br.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), nc)
	}
	c := &conn{
		s: s, nc: nc, src: src, exec: exec, base: base,
		strict:      protocol == ProtocolTransportWS,
		windowStart: time.Now(),
	}
	c.lastRead.Store(time.Now().UnixNano())
	if s.cfg.InitTimeout > 0 {
		c.initTimer = time.AfterFunc(s.cfg.InitTimeout, c.initTimedOut)
	}
	return c
}

func (c *conn) initTimedOut() {
	c.mu.Lock()
	seen := c.initSeen
	c.mu.Unlock()
	if !seen {
		c.CloseWith(CloseInitTimeout, "Connection initialisation timeout")
	}
}

// readLoop reads client frames until the connection ends, then tears it down.
func (c *conn) readLoop() {
	defer c.finish()
	rd := &wsutil.Reader{
		Source:         c.src,
		State:          ws.StateServerSide,
		CheckUTF8:      true,
		MaxFrameSize:   c.s.cfg.ReadLimit,
		MaxMessageSize: c.s.cfg.ReadLimit,
		OnIntermediate: c.control,
	}
	for {
		hdr, err := rd.NextFrame()
		if err != nil {
			c.readFailed(err)
			return
		}
		c.lastRead.Store(time.Now().UnixNano())
		if hdr.OpCode.IsControl() {
			if err := c.control(hdr, rd); err != nil {
				c.readFailed(err)
				return
			}
			continue
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			c.readFailed(err)
			return
		}
		if c.isClosing() {
			// Only the client's close frame matters now.
			continue
		}
		if hdr.OpCode != ws.OpText {
			c.closeNow(CloseBadRequest, "Invalid message received: binary frames are not accepted")
			continue
		}
		c.handle(data)
	}
}

// readFailed closes the connection with the code that fits a read error.
func (c *conn) readFailed(err error) {
	var closed wsutil.ClosedError
	var perr ws.ProtocolError
	switch {
	case errors.As(err, &closed):
		// The client closed; control already answered its close frame.
		return
	case errors.Is(err, wsutil.ErrFrameTooLarge), errors.Is(err, wsutil.ErrMessageTooLarge):
		c.closeNow(CloseTooBig, "Message too big")
	case errors.Is(err, wsutil.ErrInvalidUTF8), errors.As(err, &perr):
		c.closeNow(CloseProtocolError, "Protocol error")
	default:
		return
	}
	// The rest of the offending frame is still coming: closing the socket with unread bytes
	// would reset it, and the client would never read the close frame. Discard until the client
	// closes or closeGrace ends (sendClose set the deadline).
	_, _ = io.Copy(io.Discard, c.src)
}

// control answers a control frame: pong for ping, the closing handshake for close.
func (c *conn) control(hdr ws.Header, r io.Reader) error {
	payload := make([]byte, hdr.Length)
	if _, err := io.ReadFull(r, payload); err != nil {
		return err
	}
	switch hdr.OpCode {
	case ws.OpPing:
		if err := c.writeFrame(ws.OpPong, payload); err != nil && !errors.Is(err, errWriterClosed) {
			return err
		}
		return nil
	case ws.OpClose:
		code, _ := ws.ParseCloseFrameData(payload)
		if code == 0 {
			code = CloseNormal
		}
		c.mu.Lock()
		replied := c.closing
		c.closing = true
		c.mu.Unlock()
		if !replied {
			_ = c.writeClose(int(code), "")
		}
		return wsutil.ClosedError{Code: code}
	}
	return nil
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// CloseWith closes the connection with code and reason. It does not wait for the close frame
// to be written (a stuck client could hold the writer for WriteTimeout), so it is safe from
// broker callbacks and timers.
func (c *conn) CloseWith(code int, reason string) {
	if c.beginClose() {
		go c.sendClose(code, reason)
	}
}

// closeNow is CloseWith waiting for the close frame to be written (the reader, shutdown).
func (c *conn) closeNow(code int, reason string) {
	if c.beginClose() {
		c.sendClose(code, reason)
	}
}

// beginClose marks the connection closing and ends its operations; it reports false if it
// already was.
func (c *conn) beginClose() bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	c.closing = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return true
}

// sendClose writes the close frame, then gives the client closeGrace to answer before the TCP
// connection is dropped (closing at once could reset it before the close frame is read).
func (c *conn) sendClose(code int, reason string) {
	if err := c.writeClose(code, reason); err != nil {
		_ = c.nc.Close()
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(closeGrace))
}

// OnClose runs fn when the connection ends.
func (c *conn) OnClose(fn func()) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		fn()
		return
	}
	c.cleanups = append(c.cleanups, fn)
	c.mu.Unlock()
}

// finish tears the connection down once its reader has stopped.
func (c *conn) finish() {
	c.mu.Lock()
	c.finished = true
	c.closing = true
	cancel, cleanups := c.cancel, c.cleanups
	c.cleanups = nil
	for _, t := range []*time.Timer{c.initTimer, c.pingTimer} {
		if t != nil {
			t.Stop()
		}
	}
	c.ops = nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	c.wmu.Lock()
	c.wclosed = true
	c.wmu.Unlock()
	_ = c.nc.Close()
	for _, fn := range cleanups {
		fn()
	}
	c.s.remove(c)
}

// clientMessage is a message of either protocol.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// handle applies one client message.
func (c *conn) handle(data []byte) {
	if !c.allowMessage() {
		c.closeNow(ClosePolicyViolation, "Too many messages")
		return
	}
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		c.refuse("Invalid message received")
		return
	}
	switch m.Type {
	case "connection_init":
		c.mu.Lock()
		again := c.initSeen
		c.initSeen = true
		if c.initTimer != nil {
			c.initTimer.Stop()
		}
		c.mu.Unlock()
		if again {
			if c.strict {
				c.closeNow(CloseTooManyInitRequest, "Too many initialisation requests")
			}
			return
		}
		// The reader waits for the verdict, so a subscribe sent right behind connection_init is
		// judged after it (gqlgen did the same); init runs on its own goroutine only to keep the
		// deep stack of authentication off the long-lived reader's.
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.init(m.Payload)
		}()
		<-done
	case "subscribe", "start":
		if (m.Type == "subscribe") != c.strict {
			c.refuse("Invalid message received: unexpected type " + truncate(m.Type, 32))
			return
		}
		c.subscribe(m.ID, m.Payload)
	case "complete", "stop":
		if (m.Type == "complete") != c.strict {
			c.refuse("Invalid message received: unexpected type " + truncate(m.Type, 32))
			return
		}
		c.stop(m.ID)
	case "ping":
		if c.strict {
			c.sendMessage("pong", "", m.Payload)
		}
	case "pong":
	case "connection_terminate":
		if !c.strict {
			c.closeNow(CloseNormal, "terminated")
			return
		}
		c.refuse("Invalid message received: unexpected type " + truncate(m.Type, 32))
	default:
		c.refuse("Invalid message received: unexpected type " + truncate(m.Type, 32))
	}
}

// refuse answers a message the protocol does not allow: 4400 under graphql-transport-ws, a
// connection_error and 1002 under the legacy protocol.
func (c *conn) refuse(reason string) {
	if !c.strict {
		c.sendConnectionError(reason)
		c.closeNow(CloseProtocolError, reason)
		return
	}
	c.closeNow(CloseBadRequest, reason)
}

func (c *conn) allowMessage() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Sub(c.windowStart) >= time.Minute {
		c.windowStart, c.windowCount = now, 0
	}
	c.windowCount++
	return c.s.cfg.MaxMessagesPerMinute <= 0 || c.windowCount <= c.s.cfg.MaxMessagesPerMinute
}

// init authenticates connection_init on its own goroutine (it may read the database) and acks.
func (c *conn) init(raw json.RawMessage) {
	var payload map[string]any
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &payload); err != nil {
			c.refuse("Invalid message received: connection_init payload must be an object")
			return
		}
	}
	ctx := c.base
	if c.s.cfg.Init != nil {
		var err error
		ctx, err = c.s.cfg.Init(c.base, c, payload)
		if err != nil {
			code, reason := CloseForbidden, "Forbidden: "+err.Error()
			var ce *CloseError
			if errors.As(err, &ce) {
				code, reason = ce.Code, ce.Reason
			}
			if !c.strict {
				c.sendConnectionError(err.Error())
			}
			c.closeNow(code, reason)
			return
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		cancel()
		return
	}
	c.ctx, c.cancel = ctx, cancel
	c.mu.Unlock()
	c.sendMessage("connection_ack", "", nil)
	c.mu.Lock()
	// Acked only once the ack is written: an operation's first answer must not overtake it.
	c.acked = true
	if iv := c.s.cfg.PingInterval; iv > 0 && !c.closing {
		c.pingTimer = time.AfterFunc(iv, c.ping)
	}
	c.mu.Unlock()
	if !c.strict {
		c.sendMessage("ka", "", nil)
	}
}

// ping keeps the connection alive and drops a graphql-transport-ws client that stopped
// answering (it pongs every ping; any message counts).
func (c *conn) ping() {
	iv := c.s.cfg.PingInterval
	if c.strict && time.Since(time.Unix(0, c.lastRead.Load())) > 2*iv {
		c.CloseWith(CloseGoingAway, "Ping timeout")
		return
	}
	if c.strict {
		c.sendMessage("ping", "", nil)
	} else {
		c.sendMessage("ka", "", nil)
	}
	c.mu.Lock()
	if !c.closing && c.pingTimer != nil {
		c.pingTimer.Reset(iv)
	}
	c.mu.Unlock()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sendMessage writes {"type":typ,"id":id,"payload":payload}, leaving out what is empty.
func (c *conn) sendMessage(typ, id string, payload json.RawMessage) {
	c.sendParts(typ, id, payload)
}

// sendParts sends a message whose payload is the concatenation of parts, built in one buffer
// with room for the frame header so that it goes out in one write.
func (c *conn) sendParts(typ, id string, parts ...[]byte) {
	size := frameRoom + 32 + len(id)
	for _, p := range parts {
		size += len(p)
	}
	b := make([]byte, frameRoom, size)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, id)
	}
	if len(parts) > 0 && len(parts[0]) > 0 {
		b = append(b, `,"payload":`...)
		for _, p := range parts {
			b = append(b, p...)
		}
	}
	b = append(b, '}')
	if err := c.writeRoomFrame(ws.OpText, b); err != nil && !errors.Is(err, errWriterClosed) {
		// A client that cannot take a message within the write timeout is gone.
		_ = c.nc.Close()
	}
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func (c *conn) sendConnectionError(message string) {
	p, _ := json.Marshal(map[string]string{"message": message})
	c.sendMessage("connection_error", "", p)
}

// frameRoom is the room sendParts leaves before a message for the largest frame header.
const frameRoom = 10

// writeFrame writes one unfragmented frame with a single write.
func (c *conn) writeFrame(op ws.OpCode, payload []byte) error {
	b := make([]byte, frameRoom, frameRoom+len(payload))
	return c.writeRoomFrame(op, append(b, payload...))
}

// writeRoomFrame writes b[frameRoom:] as one unfragmented frame, its header written into the room
// before it, with a single write.
func (c *conn) writeRoomFrame(op ws.OpCode, b []byte) error {
	n := len(b) - frameRoom
	var start int
	switch {
	case n < 126:
		start = frameRoom - 2
		b[start+1] = byte(n)
	case n <= 0xFFFF:
		start = frameRoom - 4
		b[start+1] = 126
		binary.BigEndian.PutUint16(b[start+2:], uint16(n))
	default:
		start = 0
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[start] = 0x80 | byte(op)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wclosed {
		return errWriterClosed
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if _, err := c.nc.Write(b[start:]); err != nil {
		c.wclosed = true
		return err
	}
	return nil
}

// writeClose sends a close frame; nothing is written after it.
func (c *conn) writeClose(code int, reason string) error {
	reason = truncate(reason, 123)
	p := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	copy(p[2:], reason)
	err := c.writeFrame(ws.OpClose, p)
	c.wmu.Lock()
	c.wclosed = true
	c.wmu.Unlock()
	return err
}

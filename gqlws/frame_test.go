package gqlws

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Messages of every header size (7-bit, 16-bit and 64-bit lengths) reach a client intact.
func TestSendPartsFramesEveryLength(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	c := &conn{s: &Server{cfg: Config{WriteTimeout: 5 * time.Second}}, nc: server}
	for _, n := range []int{0, 90, 125 - 40, 126, 4000, 0xFFFF, 0x10000, 200000} {
		body := strings.Repeat("x", n)
		want := `{"type":"next","id":"7","payload":{"data":"` + body + `"}}`
		go c.sendParts("next", "7", dataPrefix, []byte(`"`+body+`"`), dataSuffix)
		got, op, err := wsutil.ReadServerData(client)
		if err != nil {
			t.Fatalf("length %d: %v", n, err)
		}
		if op != ws.OpText || !bytes.Equal(got, []byte(want)) {
			t.Fatalf("length %d: got op %v, %d bytes, want %d", n, op, len(got), len(want))
		}
	}
	// A message without payload leaves the field out.
	go c.sendMessage("complete", "7", nil)
	got, _, err := wsutil.ReadServerData(client)
	if err != nil || string(got) != `{"type":"complete","id":"7"}` {
		t.Fatalf("complete: %q, %v", got, err)
	}
}

package redisconn_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/redisconn"
)

func TestModeAndClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     redisconn.Config
		mode    string
		wantErr bool
		client  string // type of client New returns
	}{
		{name: "off", mode: "off"},
		{name: "url", cfg: redisconn.Config{URL: "redis://127.0.0.1:1/0"}, mode: "single", client: "*redis.Client"},
		{name: "one address", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1"}}, mode: "single", client: "*redis.Client"},
		{name: "sentinel", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, SentinelMaster: "m"}, mode: "sentinel", client: "*redis.Client"},
		{name: "cluster by count", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}}, mode: "cluster", client: "*redis.ClusterClient"},
		{name: "cluster by flag", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1"}, Cluster: true}, mode: "cluster", client: "*redis.ClusterClient"},
		{name: "url and addrs", cfg: redisconn.Config{URL: "redis://127.0.0.1:1", Addrs: []string{"127.0.0.1:2"}}, mode: "single", wantErr: true},
		{name: "master without sentinels", cfg: redisconn.Config{URL: "redis://127.0.0.1:1", SentinelMaster: "m"}, mode: "single", wantErr: true},
		{name: "sentinel and cluster", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1"}, SentinelMaster: "m", Cluster: true}, mode: "sentinel", wantErr: true},
		{name: "cluster db", cfg: redisconn.Config{Addrs: []string{"127.0.0.1:1"}, Cluster: true, DB: 2}, mode: "cluster", wantErr: true},
		{name: "bad url", cfg: redisconn.Config{URL: "http://x"}, mode: "single", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.cfg.Mode(); got != tc.mode {
				t.Errorf("Mode() = %q, want %q", got, tc.mode)
			}
			if err := tc.cfg.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			c, err := redisconn.New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New() error %v, want error %v", err, tc.wantErr)
			}
			if c == nil {
				if tc.client != "" {
					t.Fatalf("New() = nil, want %s", tc.client)
				}
				return
			}
			defer c.Close()
			var typ string
			switch c.(type) {
			case *redis.Client:
				typ = "*redis.Client"
			case *redis.ClusterClient:
				typ = "*redis.ClusterClient"
			default:
				typ = "other"
			}
			if typ != tc.client {
				t.Fatalf("New() returned %s, want %s", typ, tc.client)
			}
		})
	}
}

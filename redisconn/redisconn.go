// Package redisconn builds the Redis client of every Redis user (the pub/sub broker, rate limits
// and connection caps, the push pacer) from configuration: one server (REDIS_URL), a Sentinel
// group (REDIS_SENTINEL_MASTER with the sentinels in REDIS_ADDRS) or a Cluster (REDIS_ADDRS with
// REDIS_CLUSTER, or several REDIS_ADDRS without a master name). Every caller gets a
// redis.UniversalClient, so none of them knows which topology runs.
package redisconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Config says where Redis is. The zero value means "no Redis".
type Config struct {
	// URL is a redis:// or rediss:// URL of one server (REDIS_URL).
	URL string
	// Addrs are host:port pairs: the sentinels when SentinelMaster is set, otherwise cluster
	// nodes (REDIS_ADDRS).
	Addrs []string
	// SentinelMaster is the master name the sentinels monitor (REDIS_SENTINEL_MASTER).
	SentinelMaster string
	// Cluster forces cluster mode even with a single address (REDIS_CLUSTER).
	Cluster bool
	// Username and Password authenticate to the Redis servers (REDIS_USERNAME, REDIS_PASSWORD).
	Username, Password string
	// SentinelUsername and SentinelPassword authenticate to the sentinels, when they require it
	// (REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD).
	SentinelUsername, SentinelPassword string
	// DB selects the logical database (REDIS_DB; not for Cluster, which only has 0).
	DB int
}

// Enabled reports whether a Redis is configured.
func (c Config) Enabled() bool { return c.URL != "" || len(c.Addrs) > 0 }

// Mode names the topology, for logs and the runbook: "off", "single", "sentinel" or "cluster".
func (c Config) Mode() string {
	switch {
	case !c.Enabled():
		return "off"
	case c.URL != "":
		return "single"
	case c.SentinelMaster != "":
		return "sentinel"
	case c.Cluster || len(c.Addrs) > 1:
		return "cluster"
	default:
		return "single"
	}
}

// Validate rejects contradictory settings.
func (c Config) Validate() error {
	switch {
	case c.URL != "" && len(c.Addrs) > 0:
		return errors.New("REDIS_URL and REDIS_ADDRS are exclusive: set one (REDIS_ADDRS for Sentinel or Cluster)")
	case c.SentinelMaster != "" && len(c.Addrs) == 0:
		return errors.New("REDIS_SENTINEL_MASTER needs the sentinels' host:port in REDIS_ADDRS")
	case c.SentinelMaster != "" && c.Cluster:
		return errors.New("REDIS_SENTINEL_MASTER and REDIS_CLUSTER are exclusive")
	case c.Cluster && c.DB != 0:
		return errors.New("REDIS_DB must be 0 with REDIS_CLUSTER (a cluster has one database)")
	case c.URL != "":
		if _, err := redis.ParseURL(c.URL); err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	return nil
}

// New returns a client for c, without connecting (go-redis dials on first use); nil when c is
// not Enabled. The caller closes it.
func New(c Config) (redis.UniversalClient, error) {
	if !c.Enabled() {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.URL != "" {
		opts, err := redis.ParseURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("parse REDIS_URL: %w", err)
		}
		return redis.NewClient(opts), nil
	}
	opts := &redis.UniversalOptions{
		Addrs:            c.Addrs,
		MasterName:       c.SentinelMaster,
		Username:         c.Username,
		Password:         c.Password,
		SentinelUsername: c.SentinelUsername,
		SentinelPassword: c.SentinelPassword,
		DB:               c.DB,
		// Only several addresses without a master name mean a cluster to go-redis; a single
		// seed node of a cluster needs the flag.
		IsClusterMode: c.Cluster,
	}
	return redis.NewUniversalClient(opts), nil
}

// Open is New followed by a PING, so a wrong address fails at start-up rather than at the first
// message.
func Open(ctx context.Context, c Config) (redis.UniversalClient, error) {
	client, err := New(c)
	if err != nil || client == nil {
		return client, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("ping redis (%s): %w", c.Mode(), err)
	}
	return client, nil
}

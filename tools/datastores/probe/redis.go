package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/datastores/datastores/tools/datastores/conf"
)

func init() {
	// go-redis logs every failed dial; a probe reports them instead.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...interface{}) {}

func redisClient(addr string, tlsConfig *tls.Config, user, password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Username: user, Password: password, TLSConfig: tlsConfig,
		DialTimeout: Timeout, ReadTimeout: Timeout, WriteTimeout: Timeout,
		// One attempt each: a probe reports what the server did, it does not insist.
		MaxRetries: -1, DialerRetries: 1, Protocol: 2, DisableIdentity: true, PoolSize: 1,
	})
}

// RedisResult is one PING without a password.
type RedisResult struct {
	Handshake Handshake // TLS (not set for a plaintext probe)
	// Reply is the server's answer: "PONG" (no password needed), an error reply such as
	// "NOAUTH Authentication required.", or "" when the server did not answer in RESP.
	Reply string
	// Message says why there was no reply.
	Message string
}

// Answered reports whether the server spoke RESP: it accepted the connection.
func (r RedisResult) Answered() bool { return r.Reply != "" }

// Redis sends PING, without a password, over TLS between minV and maxV, or in plaintext.
func Redis(ctx context.Context, addr, serverName string, plaintext bool, minV, maxV uint16) RedisResult {
	var r RedisResult
	var cfg *tls.Config
	if !plaintext {
		cfg = capture(serverName, minV, maxV, &r.Handshake)
	}
	c := redisClient(addr, cfg, "", "")
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	reply, err := c.Ping(ctx).Result()
	var rerr redis.Error
	switch {
	case err == nil:
		r.Reply = reply
	case errors.As(err, &rerr):
		r.Reply = rerr.Error()
	default:
		r.Message = err.Error()
		if !plaintext && r.Handshake.State == nil {
			r.Handshake.Err = unwrapTLS(err)
		}
	}
	return r
}

// RedisState is what an authenticated client reads of the server's configuration.
type RedisState struct {
	Settings conf.Settings
	Users    []string // ACL LIST lines without the "user " prefix
}

// RedisStateOf logs in over tlsConfig (which must verify the server) and reads the settings the
// checks need and the ACL users; a user without CONFIG or ACL rights gets an error.
func RedisStateOf(ctx context.Context, addr string, tlsConfig *tls.Config, user, password string) (*RedisState, error) {
	if tlsConfig == nil || tlsConfig.InsecureSkipVerify {
		return nil, errors.New("refusing to send a password without a verified TLS session")
	}
	c := redisClient(addr, tlsConfig, user, password)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	st := &RedisState{Settings: conf.Settings{}}
	for _, name := range []string{"port", "tls-port", "tls-protocols", "appendonly", "dir"} {
		kv, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			return nil, err
		}
		for k, v := range kv {
			st.Settings[k] = v
		}
	}
	users, err := c.ACLList(ctx).Result()
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		st.Users = append(st.Users, strings.TrimPrefix(u, "user "))
	}
	return st, nil
}

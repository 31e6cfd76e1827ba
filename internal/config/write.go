package config

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultTOML string

// WriteDefault writes the commented default qunzhu.toml.
func WriteDefault(w io.Writer) error {
	if _, err := io.WriteString(w, defaultTOML); err != nil {
		return fmt.Errorf("write default configuration: %w", err)
	}
	return nil
}

const redacted = "<redacted>"

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"token", "secret", "password", "key", "webhook"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Dump writes the effective configuration as TOML with secrets redacted.
func (c *Config) Dump(w io.Writer) error {
	cp := *c
	cp.Connections = make([]Connection, len(c.Connections))
	for i, cn := range c.Connections {
		if cn.Token != "" {
			cn.Token = redacted
		}
		if cn.Secret != "" {
			cn.Secret = redacted
		}
		if cn.Options != nil {
			opts := map[string]string{}
			for k, v := range cn.Options {
				if secretKey(k) && v != "" {
					v = redacted
				}
				opts[k] = v
			}
			cn.Options = opts
		}
		cp.Connections[i] = cn
	}
	if strings.Contains(cp.Database.URL, "@") {
		cp.Database.URL = redactURL(cp.Database.URL)
	}
	if err := toml.NewEncoder(w).Encode(cp); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return nil
}

// redactURL hides the password of a user:password@host URL.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	cred, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	user, _, hasPw := strings.Cut(cred, ":")
	if !hasPw {
		return u
	}
	return scheme + "://" + user + ":" + redacted + "@" + host
}

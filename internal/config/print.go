package config

import (
	"go.yaml.in/yaml/v3"
)

// YAML renders the configuration as a YAML document with every secret
// redacted, in the same shape the --config file takes.
func (c Config) YAML() ([]byte, error) {
	return yaml.Marshal(c)
}

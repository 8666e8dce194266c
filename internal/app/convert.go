package app

import (
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// TokensConfig copies the token settings into the form package tokens
// takes.
func TokensConfig(c config.Config) tokens.Config {
	return tokens.Config{
		Issuer:           c.IssuerURL(),
		Audience:         c.Tokens.Audience,
		AccessTokenTTL:   c.Tokens.AccessTokenTTL.D(),
		Algorithm:        c.Tokens.SigningAlgorithm,
		RotationInterval: c.Tokens.RotationInterval.D(),
		JWKSMaxAge:       c.Tokens.JWKSMaxAge.D(),
	}
}

// AuditConfig copies the audit section of the configuration into the form
// package audit takes.
func AuditConfig(c config.AuditConfig) audit.Config {
	return audit.Config{
		RetentionDays:   c.RetentionDays,
		CheckpointEvery: c.CheckpointEvery.D(),
		KeyName:         c.KeyName,
		Forward: audit.ForwardConfig{
			Kind: c.Forward.Kind, URL: c.Forward.URL.Reveal(), Token: c.Forward.Token.Reveal(),
			Network: c.Forward.Network, Address: c.Forward.Address,
			PersonalData: c.Forward.PersonalData, BatchSize: c.Forward.BatchSize,
			Timeout: c.Forward.Timeout.D(),
		},
	}
}

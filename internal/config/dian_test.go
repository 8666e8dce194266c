package config

import (
	"strings"
	"testing"
)

// TestDIANEndpoint: the DIAN endpoint must be https, or plain http to this
// machine only; a host that merely starts with 127.0.0.1 is another host.
func TestDIANEndpoint(t *testing.T) {
	for endpoint, ok := range map[string]bool{
		"https://proxy.interno.co/WcfDianCustomerServices.svc": true,
		"http://127.0.0.1:8443/WcfDianCustomerServices.svc":    true,
		"http://localhost:8443/svc":                            true,
		"http://127.0.0.1.evil.example/svc":                    false,
		"http://vpfe-hab.dian.gov.co/svc":                      false,
		"ftp://127.0.0.1/svc":                                  false,
		"https://user:pw@proxy.interno.co/svc":                 false,
	} {
		_, _, err := Load("", envOf(map[string]string{"CERROJO_DIAN_ENDPOINT": endpoint}))
		if refused := err != nil && strings.Contains(err.Error(), "dian.endpoint"); refused == ok {
			t.Errorf("dian.endpoint %q: error %v, want accepted %v", endpoint, err, ok)
		}
	}
}

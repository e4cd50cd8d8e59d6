package mail_test

import (
	"crypto/tls"
	"crypto/x509"
)

func tlsTrusting(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

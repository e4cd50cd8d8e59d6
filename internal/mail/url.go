package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// Server is an SMTP server as --smtp names it.
type Server struct {
	Host string
	Port int
	// Username and Password, when Username is set, authenticate.
	Username, Password string
	// ImplicitTLS is smtps://: TLS from the first byte. Otherwise
	// (smtp://) STARTTLS is used when the server offers it.
	ImplicitTLS bool
}

// ParseURL reads smtp://user:pass@host:port or smtps://...; the port
// defaults to 587 for smtp and 465 for smtps.
func ParseURL(raw string) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("the SMTP URL is malformed")
	}
	s := &Server{}
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return nil, fmt.Errorf("the SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("the SMTP URL has only a user, a password, a host and a port")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return nil, errors.New("the SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the SMTP URL's port %q is not a port", p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// String is the server without its password.
func (s *Server) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.Username != "" {
		user = url.User(s.Username).String() + "@"
	}
	return scheme + "://" + user + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

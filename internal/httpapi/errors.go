package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[auth.Code]int{
	auth.CodeInternal:           http.StatusInternalServerError,
	auth.CodeInvalidRequest:     http.StatusBadRequest,
	auth.CodeBodyTooLarge:       http.StatusRequestEntityTooLarge,
	auth.CodeUnauthorized:       http.StatusUnauthorized,
	auth.CodeForbidden:          http.StatusForbidden,
	auth.CodeNotFound:           http.StatusNotFound,
	auth.CodeTenantNotFound:     http.StatusNotFound,
	auth.CodeInvalidTenantID:    http.StatusBadRequest,
	auth.CodeTenantExists:       http.StatusConflict,
	auth.CodeUserExists:         http.StatusConflict,
	auth.CodeInvalidCredentials: http.StatusUnauthorized,
	auth.CodeWeakPassword:       http.StatusUnprocessableEntity,
	auth.CodeRateLimited:        http.StatusTooManyRequests,
	auth.CodeOverloaded:         http.StatusServiceUnavailable,
	auth.CodeInvalidModule:      http.StatusBadRequest,
	auth.CodeModuleTooLarge:     http.StatusRequestEntityTooLarge,
	auth.CodeInvalidLimits:      http.StatusUnprocessableEntity,
	auth.CodeConnectionFailed:   http.StatusUnprocessableEntity,
	auth.CodeMigrationNotReady:  http.StatusConflict,
	auth.CodeMigrationConflict:  http.StatusConflict,
	auth.CodeLegacyUnavailable:  http.StatusServiceUnavailable,
	auth.CodeInvalidGrant:       http.StatusBadRequest,
	auth.CodeUnsupportedGrant:   http.StatusBadRequest,
	auth.CodeServiceUnavailable: http.StatusServiceUnavailable,
	auth.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	auth.CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	auth.CodeRequestTimeout:     http.StatusRequestTimeout,
	auth.CodeHeadersTooLarge:    http.StatusRequestHeaderFieldsTooLarge,
	auth.CodeQuotaExceeded:      http.StatusConflict,
	auth.CodeScriptActive:       http.StatusConflict,
	auth.CodeDrainRunning:       http.StatusConflict,
	auth.CodeDrainUnsupported:   http.StatusConflict,
	auth.CodeInvalidRedirectURI: http.StatusUnprocessableEntity,
	auth.CodeInvalidToken:       http.StatusBadRequest,
}

// StatusOf returns the HTTP status of an error code (500 for unknown codes).
func StatusOf(code auth.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// problemTypeBase prefixes the "type" URI of every problem document.
const problemTypeBase = "https://wasmauth.dev/problems/"

// problem is an RFC 9457 problem document with the contract's "code".
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// oauthError is an RFC 6749 section 5.2 error.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// oauthCode maps a code to RFC 6749's error names.
func oauthCode(code auth.Code) string {
	switch code {
	case auth.CodeInvalidGrant, auth.CodeUnsupportedGrant, auth.CodeInvalidRequest:
		return string(code)
	case auth.CodeBodyTooLarge, auth.CodeUnsupportedMedia, auth.CodeHeadersTooLarge:
		return "invalid_request"
	case auth.CodeRateLimited, auth.CodeOverloaded, auth.CodeServiceUnavailable:
		return "temporarily_unavailable"
	}
	return "server_error"
}

// errorHandler writes every error a handler returns: the problem document
// (or the OAuth error under /t/{tenant}/oauth/), with Retry-After when the
// error has one. Internal errors are logged with the request id and shown
// as "internal error".
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if requestID(c) == "" {
		// fasthttp refused the request before any middleware ran.
		setRequestID(c)
		setSecurityHeaders(c)
	}
	err = s.uploadRefusal(c, err)
	code, msg := s.classify(c, err)
	s.uploads.Delete(&c.Request().Header)
	status := StatusOf(code)
	rid := requestID(c)
	if code == auth.CodeInternal {
		s.log.Error("internal error", "request_id", rid, "method", c.Method(), "path", c.Path(), "err", err)
	} else if status >= 500 {
		s.log.Warn("request failed", "request_id", rid, "code", code, "err", err)
	}
	var ae *auth.Error
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
	} else if code == auth.CodeOverloaded || code == auth.CodeRateLimited {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if isOAuthPath(c.Path()) && code != auth.CodeTenantNotFound {
		return c.Status(status).JSON(oauthError{Error: oauthCode(code), Description: msg})
	}
	return c.Status(status).JSON(problem{
		Type:   problemTypeBase + string(code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: msg,
		Code:   string(code),
	}, "application/problem+json")
}

// classify finds the code and client-safe message of err, including Fiber's
// own errors (unknown route, body too large, method not allowed).
func (s *Server) classify(c *fiber.Ctx, err error) (auth.Code, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return auth.CodeNotFound, "no such resource"
		case fiber.StatusRequestEntityTooLarge:
			if u, ok := s.uploadOf(c); ok && u.module {
				return auth.CodeModuleTooLarge, "the module is larger than the limit"
			}
			return auth.CodeBodyTooLarge, "the request body is larger than the limit"
		case fiber.StatusMethodNotAllowed:
			return auth.CodeMethodNotAllowed, "method not allowed"
		case fiber.StatusBadRequest:
			return auth.CodeInvalidRequest, "the request is malformed"
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return auth.CodeHeadersTooLarge, "the request headers are larger than the limit"
		case fiber.StatusUnsupportedMediaType:
			return auth.CodeUnsupportedMedia, fe.Message
		case fiber.StatusRequestTimeout:
			// 408, not 400: an HTTP client that finds this on an idle
			// keep-alive connection knows to drop it quietly.
			c.Context().SetConnectionClose()
			return auth.CodeRequestTimeout, "the request took too long to arrive"
		}
		return auth.CodeInternal, "internal error"
	}
	code := auth.ErrorCode(err)
	if code == auth.CodeInternal {
		return code, "internal error"
	}
	return code, auth.ErrorMessage(err)
}

func isOAuthPath(p string) bool {
	// /t/{tenant}/oauth/...
	rest, ok := strings.CutPrefix(p, "/t/")
	if !ok {
		return false
	}
	_, after, ok := strings.Cut(rest, "/")
	return ok && strings.HasPrefix(after, "oauth/")
}

package server

// Defaults of Config's fields that the command line shows too.
const (
	// DefaultAddr is the listen address of a Config without one.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultDataDir is the data folder of a Config without one.
	DefaultDataDir = "./data"
)

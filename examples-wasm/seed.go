package examples

// SeedUser is one of the sample users of testdata/seed.sql, with its plaintext password
// (these are test users; the same table is in README.md).
type SeedUser struct {
	ID       string
	Email    string // "" when the row's email is NULL
	Username string
	Password string // "" when the user has no password hash
	HashKind string // how the password is stored
}

// SeedUsers returns the sample users of testdata/seed.sql in id order.
func SeedUsers() []SeedUser {
	return []SeedUser{
		{ID: "1", Email: "alice@example.com", Username: "alice", Password: "wonderland-42", HashKind: "bcrypt $2a$"},
		{ID: "2", Email: "bob@example.com", Username: "bob", Password: "can-we-fix-it", HashKind: "argon2id"},
		{ID: "3", Email: "carol@example.com", Username: "carol", Password: "test12345", HashKind: "phpass $P$"},
		{ID: "4", Email: "dave@example.com", Username: "dave", Password: `s3cret "quoted" \ & <tag> zoë`, HashKind: "salted sha256"},
		{ID: "5", Email: "", Username: "erin", Password: "erin-password", HashKind: "bcrypt $2y$"},
		{ID: "6", Email: "Francois.Dupont@Example.COM", Username: "fdupont", Password: "bonjour-monde", HashKind: "bcrypt $2b$"},
		{ID: "7", Email: "ghost@example.com", Username: "ghost", Password: "", HashKind: "none (NULL)"},
		{ID: "8", Email: "mallory@example.com", Username: "mallory", Password: "hunter2", HashKind: "unknown (plain:...)"},
	}
}

package legacyhash_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

func ExampleVerify() {
	hash := []byte("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/")
	ok, err := legacyhash.Verify(hash, []byte("password"))
	fmt.Println(legacyhash.Format(hash), ok, err)

	ok, err = legacyhash.Verify(hash, []byte("Password"))
	fmt.Println(ok, err)

	_, err = legacyhash.Verify([]byte("$2b$20$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"), []byte("password"))
	fmt.Println(errors.Is(err, legacyhash.ErrTooExpensive))

	_, err = legacyhash.Verify([]byte("5f4dcc3b5aa765d61d8327deb882cf99"), []byte("password"))
	fmt.Println(errors.Is(err, legacyhash.ErrUnknownFormat))
	// Output:
	// md5-crypt true <nil>
	// false <nil>
	// true
	// true
}

func ExampleDigest() {
	// A legacy scheme storing hex(sha256(salt + password)).
	sum, err := legacyhash.Digest("sha256", []byte("pepper"+"password"))
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(sum)[:16])
	// Output:
	// 4b65d30b048d9eab
}

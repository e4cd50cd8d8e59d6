package legacyhash

import (
	"crypto/md5"
	"crypto/subtle"
	"strings"
)

const (
	phpassHashLen = 34 // "$P$" + count + 8 salt + 22 checksum
	phpassMinLog2 = 7
	phpassMaxLog2 = 30
)

// verifyPHPass checks phpass "portable" hashes ("$P$", and "$H$" as phpBB
// writes them): "$P$" + one character giving log2 of the iteration count +
// 8 characters of salt + 22 of checksum, MD5 iterated over the password.
func verifyPHPass(l *limits, hash, password []byte) (bool, error) {
	if len(hash) != phpassHashLen {
		return false, ErrUnknownFormat
	}
	log2 := strings.IndexByte(crypt64, hash[3])
	if log2 < phpassMinLog2 || log2 > phpassMaxLog2 {
		return false, ErrUnknownFormat
	}
	salt, want := hash[4:12], hash[12:]
	for _, c := range want {
		if !isCrypt64(c) {
			return false, ErrUnknownFormat
		}
	}
	count := uint64(1) << log2
	perRound := mdBlocks(uint64(md5.Size+len(password)), md5.BlockSize)
	if err := l.admit(Cost{Time: nsCost(mulCapped(count, perRound), nsMD5Block)}); err != nil {
		return false, err
	}
	buf := make([]byte, md5.Size+len(password))
	copy(buf[md5.Size:], password)
	sum := md5.Sum(append(append([]byte{}, salt...), password...))
	for i := uint64(0); i < count; i++ {
		if err := l.stopped(int(i + 1)); err != nil {
			return false, err
		}
		copy(buf, sum[:])
		sum = md5.Sum(buf)
	}
	got := appendCrypt64(make([]byte, 0, 22), sum[:])
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

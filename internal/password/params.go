package password

import "fmt"

// Params are the Argon2id parameters for new hashes. They are written into
// every hash, so changing them never breaks existing hashes: Verify reports
// needsRehash for hashes made with other parameters.
type Params struct {
	// MemoryKiB is m, the memory in KiB.
	MemoryKiB uint32

	// Iterations is t, the number of passes over the memory.
	Iterations uint32

	// Parallelism is p, the number of lanes.
	Parallelism uint8

	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32

	// KeyLen is the length of the tag in bytes.
	KeyLen uint32
}

// DefaultParams returns the OWASP Password Storage Cheat Sheet's first
// Argon2id configuration (19 MiB, t=2, p=1) with RFC 9106 section 4's
// 128-bit salt and 256-bit tag.
func DefaultParams() Params {
	return Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// owaspArgon2id lists the OWASP Password Storage Cheat Sheet's equivalent
// minimum Argon2id configurations (memory KiB, iterations), all p=1: each
// trades memory against passes for about the same attacker cost.
var owaspArgon2id = [...]struct{ memoryKiB, iterations uint32 }{
	{47104, 1}, // 46 MiB
	{19456, 2}, // 19 MiB
	{12288, 3}, // 12 MiB
	{9216, 4},  // 9 MiB
	{7168, 5},  // 7 MiB
}

// Validate enforces the minimums and caps for new hashes:
//
//   - memory and iterations at least one of OWASP's equivalent minimum
//     configurations (both values at or above the same row);
//   - parallelism 1 to 16 and memory at least 8 KiB per lane (RFC 9106
//     section 3.1);
//   - salt at least 16 bytes (RFC 9106 section 3.1) and tag at least 16;
//   - the caps in limits.go on memory, iterations, their product, salt and
//     tag, the same caps that bound imported hashes.
func (p Params) Validate() error {
	if p.Parallelism < 1 || p.Parallelism > maxArgon2Parallelism {
		return configError("params parallelism", p.Parallelism,
			fmt.Sprintf("1 to %d", maxArgon2Parallelism))
	}
	if !p.meetsOWASP() {
		return configError("params memory/iterations",
			fmt.Sprintf("%d KiB/%d", p.MemoryKiB, p.Iterations),
			"at least OWASP's minimum, e.g. 19456 KiB with 2 iterations")
	}
	err := checkArgon2Cost(SchemeArgon2id, uint64(p.MemoryKiB), uint64(p.Iterations),
		uint64(p.Parallelism))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if p.SaltLen < minArgon2SaltLen || p.SaltLen > maxSaltLen {
		return configError("params salt length", p.SaltLen,
			fmt.Sprintf("%d to %d bytes", minArgon2SaltLen, maxSaltLen))
	}
	if p.KeyLen < minArgon2KeyLen || p.KeyLen > maxKeyLen {
		return configError("params key length", p.KeyLen,
			fmt.Sprintf("%d to %d bytes", minArgon2KeyLen, maxKeyLen))
	}
	return nil
}

// meetsOWASP reports whether some OWASP row is met in both memory and
// iterations.
func (p Params) meetsOWASP() bool {
	for _, row := range owaspArgon2id {
		if p.MemoryKiB >= row.memoryKiB && p.Iterations >= row.iterations {
			return true
		}
	}
	return false
}

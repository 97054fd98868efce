package simulator

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
)

// idGen hands out identifiers from a fixed seed, so a seeded simulator has
// the same UUIDs and tokens on every run.
type idGen struct {
	r *rand.Rand
}

func newIDGen(seed uint64) *idGen {
	return &idGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// uuid returns a version-4 UUID.
func (g *idGen) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := g.r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hex returns n random bytes as lower-case hex.
func (g *idGen) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return hex.EncodeToString(b)
}

// intn returns a number in [0, n).
func (g *idGen) intn(n int) int { return g.r.IntN(n) }

package scenario

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// LitKind says which form a literal was written in.
type LitKind int

const (
	LitInt   LitKind = iota // 1234, 0x4d2, -1: little-endian integer of the key or value size
	LitWidth                // u8:N, u16:N, u32:N, u64:N: the width must equal the size
	LitHex                  // hex:00ff..: raw bytes
	LitIP                   // ip:A.B.C.D/P: an 8-byte LPM key
	LitIP6                  // ip6:ADDR/P: a 20-byte LPM key
	LitStr                  // str:abc: NUL-padded to the size
	LitName                 // a map or program name, passed as its fd (fd maps)
	LitRes                  // #N: a ring-buffer reservation
)

// Literal is one key or value as written in a scenario. Its bytes depend on
// the size of the map's key or value, so Encode takes the size.
type Literal struct {
	Kind  LitKind
	Text  string // as written
	Col   int    // 1-based column in the line
	Int   uint64 // LitInt, LitWidth (two's complement when negative), LitRes
	Width int    // LitWidth: 1, 2, 4 or 8; LitIP: 8; LitIP6: 20
	Bytes []byte // LitHex, LitStr, LitIP, LitIP6
}

// parseInt reads a decimal or 0x-hex integer, optionally negative. A
// negative number is returned in two's complement; neg reports it.
func parseInt(s string) (v uint64, neg bool, err error) {
	t := s
	if strings.HasPrefix(t, "-") {
		neg = true
		t = t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	if t == "" || t[0] < '0' || t[0] > '9' {
		return 0, false, fmt.Errorf("%q is not a number", s)
	}
	t = strings.ReplaceAll(t, "_", "")
	var u uint64
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		u, err = strconv.ParseUint(t[2:], 16, 64)
	} else {
		u, err = strconv.ParseUint(t, 10, 64)
	}
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, false, fmt.Errorf("%q does not fit in 64 bits", s)
		}
		return 0, false, fmt.Errorf("%q is not a number (decimal or 0x-hex)", s)
	}
	if neg {
		if u > 1<<63 {
			return 0, false, fmt.Errorf("%q does not fit in 64 bits", s)
		}
		return -u, true, nil
	}
	return u, false, nil
}

// parseUint is parseInt without the sign.
func parseUint(s string) (uint64, error) {
	v, neg, err := parseInt(s)
	if err != nil {
		return 0, err
	}
	if neg {
		return 0, fmt.Errorf("%q must not be negative", s)
	}
	return v, nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c >= 0x80
}

// parseLiteral checks the syntax of a literal token. Sizes are checked when
// the literal is encoded for a map.
func parseLiteral(tok string, col int) (Literal, error) {
	l := Literal{Text: tok, Col: col}
	if tok == "" {
		return l, fmt.Errorf("missing literal")
	}
	prefix, rest, hasColon := strings.Cut(tok, ":")
	switch {
	case tok[0] == '#':
		n, err := parseUint(tok[1:])
		if err != nil || n == 0 {
			return l, fmt.Errorf("bad reservation %q: want #1, #2, ...", tok)
		}
		l.Kind, l.Int = LitRes, n
		return l, nil
	case tok[0] >= '0' && tok[0] <= '9' || tok[0] == '-' || tok[0] == '+':
		v, _, err := parseInt(tok)
		if err != nil {
			return l, err
		}
		l.Kind, l.Int = LitInt, v
		return l, nil
	case !hasColon:
		if isNameStart(tok[0]) {
			l.Kind = LitName
			return l, nil
		}
		return l, fmt.Errorf("bad literal %q", tok)
	}
	switch prefix {
	case "u8", "u16", "u32", "u64":
		bits, _ := strconv.Atoi(prefix[1:])
		v, neg, err := parseInt(rest)
		if err != nil {
			return l, err
		}
		if bits < 64 {
			lim := uint64(1) << bits
			if neg && -v > lim/2 || !neg && v >= lim {
				return l, fmt.Errorf("%s does not fit in %s", rest, prefix)
			}
			v &= lim - 1
		}
		l.Kind, l.Int, l.Width = LitWidth, v, bits/8
		return l, nil
	case "hex":
		h := strings.ReplaceAll(rest, "_", "")
		b, err := hex.DecodeString(h)
		if err != nil {
			return l, fmt.Errorf("bad hex literal %q: want an even number of hex digits", tok)
		}
		l.Kind, l.Bytes = LitHex, b
		return l, nil
	case "str":
		l.Kind, l.Bytes = LitStr, []byte(rest)
		return l, nil
	case "ip", "ip6":
		addrText, plenText, hasPlen := strings.Cut(rest, "/")
		addr, err := netip.ParseAddr(addrText)
		if err != nil || addr.Zone() != "" {
			return l, fmt.Errorf("bad address %q", addrText)
		}
		if prefix == "ip" && !addr.Is4() {
			return l, fmt.Errorf("%q is not an IPv4 address (use ip6:)", addrText)
		}
		if prefix == "ip6" && !addr.Is6() {
			return l, fmt.Errorf("%q is not an IPv6 address (use ip:)", addrText)
		}
		plen := uint64(addr.BitLen())
		if hasPlen {
			// Any u32 is accepted: the kernel checks the prefix length
			// (prefixlen > max_prefixlen gives EINVAL or ENOENT).
			plen, err = parseUint(plenText)
			if err != nil || plen > 0xffffffff {
				return l, fmt.Errorf("bad prefix length %q", plenText)
			}
		}
		raw := addr.AsSlice()
		b := make([]byte, 4+len(raw))
		binary.LittleEndian.PutUint32(b, uint32(plen))
		copy(b[4:], raw)
		l.Bytes, l.Width = b, len(b)
		if prefix == "ip" {
			l.Kind = LitIP
		} else {
			l.Kind = LitIP6
		}
		return l, nil
	}
	return l, fmt.Errorf("unknown literal form %q (want a number, u8:/u16:/u32:/u64:, hex:, str:, ip: or ip6:)", prefix+":")
}

// Encode returns the literal's bytes for a key or value of size bytes.
// A plain integer needs a size of 1, 2, 4 or 8; u8..u64, hex:, ip: and ip6:
// must match the size exactly; str: is NUL-padded (and must fit).
func (l Literal) Encode(size int) ([]byte, error) {
	switch l.Kind {
	case LitInt:
		switch size {
		case 1, 2, 4, 8:
		default:
			return nil, fmt.Errorf("the integer %s needs a size of 1, 2, 4 or 8 bytes, not %d: write hex: or str:", l.Text, size)
		}
		if size < 8 {
			lim := uint64(1) << (8 * size)
			v := l.Int
			if strings.HasPrefix(l.Text, "-") {
				if -v > lim/2 {
					return nil, fmt.Errorf("%s does not fit in %d bytes", l.Text, size)
				}
			} else if v >= lim {
				return nil, fmt.Errorf("%s does not fit in %d bytes", l.Text, size)
			}
		}
		return putUint(l.Int, size), nil
	case LitWidth:
		if l.Width != size {
			return nil, fmt.Errorf("%s is %d bytes, the size is %d", l.Text, l.Width, size)
		}
		return putUint(l.Int, size), nil
	case LitHex, LitIP, LitIP6:
		if len(l.Bytes) != size {
			return nil, fmt.Errorf("%s is %d bytes, the size is %d", l.Text, len(l.Bytes), size)
		}
		return append([]byte(nil), l.Bytes...), nil
	case LitStr:
		if len(l.Bytes) > size {
			return nil, fmt.Errorf("%s is %d bytes, longer than the size %d", l.Text, len(l.Bytes), size)
		}
		b := make([]byte, size)
		copy(b, l.Bytes)
		return b, nil
	case LitName:
		return nil, fmt.Errorf("%s is a name, not a literal", l.Text)
	case LitRes:
		return nil, fmt.Errorf("%s is a reservation, not a literal", l.Text)
	}
	return nil, fmt.Errorf("bad literal %s", l.Text)
}

// EncodeUnsized returns the bytes of a literal that carries its own size
// (u8..u64, hex:, str: without padding, ip:, ip6:), for ring-buffer
// records, which have no fixed size.
func (l Literal) EncodeUnsized() ([]byte, error) {
	switch l.Kind {
	case LitWidth:
		return putUint(l.Int, l.Width), nil
	case LitHex, LitStr, LitIP, LitIP6:
		return append([]byte(nil), l.Bytes...), nil
	case LitInt:
		return nil, fmt.Errorf("the integer %s has no size here: write u8:, u16:, u32:, u64:, hex: or str:", l.Text)
	}
	return l.Encode(-1)
}

func putUint(v uint64, size int) []byte {
	b := make([]byte, size)
	for i := 0; i < size && i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

// FormatBytes renders bytes the way a literal writes them: a little-endian
// integer when the size is 1, 2, 4 or 8, hex: otherwise.
func FormatBytes(b []byte) string {
	switch len(b) {
	case 1, 2, 4, 8:
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return strconv.FormatUint(v, 10)
	}
	return "hex:" + hex.EncodeToString(b)
}

// formatLPM renders an LPM key of size 8 or 20 as ip:/ip6:.
func formatLPM(b []byte) (string, bool) {
	if len(b) != 8 && len(b) != 20 {
		return "", false
	}
	plen := binary.LittleEndian.Uint32(b)
	addr, ok := netip.AddrFromSlice(b[4:])
	if !ok {
		return "", false
	}
	if len(b) == 8 {
		return fmt.Sprintf("ip:%s/%d", addr, plen), true
	}
	return fmt.Sprintf("ip6:%s/%d", addr, plen), true
}

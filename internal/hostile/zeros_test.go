package hostile

import (
	"bytes"
	"compress/zlib"
	"io"
	"testing"
)

func TestDeflatedZeros(t *testing.T) {
	for _, n := range []int64{zeroChunk, 3 * zeroChunk, 64 * zeroChunk} {
		z, err := deflatedZeros(n)
		if err != nil {
			t.Fatal(err)
		}
		r, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		buf := make([]byte, 1<<16)
		for {
			k, err := r.Read(buf)
			for _, c := range buf[:k] {
				if c != 0 {
					t.Fatal("non-zero byte")
				}
			}
			got += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("n=%d after %d: %v", n, got, err)
			}
		}
		if got != n {
			t.Errorf("inflated %d bytes, want %d", got, n)
		}
		t.Logf("%d zeros in %d bytes (ratio %d)", n, len(z), n/int64(len(z)))
	}
}

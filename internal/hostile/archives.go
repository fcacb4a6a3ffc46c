package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
)

// zipOf is a ZIP archive of the given entries, each deflated at the best
// compression; an entry's data comes from its reader.
func zipOf(entries ...zipEntry) ([]byte, error) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range entries {
		if e.zeros > 0 {
			if err := rawZeros(w, e.name, e.zeros); err != nil {
				return nil, err
			}
			continue
		}
		f, err := w.Create(e.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(f, e.data()); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// zipEntry is an entry of zipOf: data, or zeros bytes of zeros.
type zipEntry struct {
	name  string
	data  func() io.Reader
	zeros int64
}

func zeroEntry(name string, n int64) zipEntry { return zipEntry{name: name, zeros: n} }

func bytesEntry(name string, b []byte) zipEntry {
	return zipEntry{name: name, data: func() io.Reader { return bytes.NewReader(b) }}
}

// rawZeros writes an entry of n zeros, deflated by deflatedZeros (its zlib
// header and checksum taken off) rather than by compressing n bytes.
func rawZeros(w *zip.Writer, name string, n int64) error {
	z, err := deflatedZeros(n)
	if err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	chunk := make([]byte, zeroChunk)
	for i := int64(0); i < n/zeroChunk; i++ {
		crc.Write(chunk)
	}
	raw := z[2 : len(z)-4]
	f, err := w.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(n)})
	if err != nil {
		return err
	}
	_, err = f.Write(raw)
	return err
}

func archives() []File {
	return []File{
		{Name: "zip-bomb-flat.eml", Want: Answered, Big: true,
			Note: "a ZIP whose one entry, facture.pdf, inflates from about 1 MB to 1 GiB of zeros",
			build: func() ([]byte, error) {
				z, err := zipOf(zeroEntry("facture.pdf", 1<<30))
				if err != nil {
					return nil, err
				}
				return withAttachments("zip-bomb-flat", "Facture FH-ZIP-1", attachment(`application/zip; name="factures.zip"`, `attachment; filename="factures.zip"`, z)), nil
			}},
		{Name: "zip-bomb-nested.eml", Want: Answered,
			Note: "a ZIP of 10 ZIPs of 10 ZIPs, each leaf 10 MiB of zeros (1 GiB in all), 42.zip's shape",
			build: func() ([]byte, error) {
				leaf, err := zipOf(zeroEntry("facture.pdf", 10<<20))
				if err != nil {
					return nil, err
				}
				level := leaf
				for depth := 0; depth < 2; depth++ {
					var es []zipEntry
					for i := 0; i < 10; i++ {
						es = append(es, bytesEntry(fmt.Sprintf("lot-%d-%d.zip", depth, i), level))
					}
					if level, err = zipOf(es...); err != nil {
						return nil, err
					}
				}
				return withAttachments("zip-bomb-nested", "Factures FH-ZIP-2", attachment(`application/zip; name="factures.zip"`, `attachment; filename="factures.zip"`, level)), nil
			}},
		{Name: "zip-many-entries.eml", Want: Answered,
			Note: "a ZIP of 1,000 empty entries, then a readable invoice: past the entries limit",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-ZIP-3")
				if err != nil {
					return nil, err
				}
				var es []zipEntry
				for i := 0; i < 1000; i++ {
					es = append(es, bytesEntry(fmt.Sprintf("vide-%04d.txt", i), nil))
				}
				z, err := zipOf(append(es, bytesEntry("FH-ZIP-3.pdf", inv))...)
				if err != nil {
					return nil, err
				}
				return withAttachments("zip-many-entries", "Facture FH-ZIP-3", attachment(`application/zip; name="factures.zip"`, `attachment; filename="factures.zip"`, z)), nil
			}},
		{Name: "zip-traversal.eml", Want: Deposited,
			Note: "a ZIP whose invoice entry is named ../../../etc/cron.d/facture.pdf",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-ZIP-4")
				if err != nil {
					return nil, err
				}
				z, err := zipOf(bytesEntry("../../../etc/cron.d/FH-ZIP-4.pdf", inv))
				if err != nil {
					return nil, err
				}
				return withAttachments("zip-traversal", "Facture FH-ZIP-4", attachment(`application/zip; name="factures.zip"`, `attachment; filename="factures.zip"`, z)), nil
			}},
	}
}

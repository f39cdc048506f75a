//go:build !unix

package jenkins

import "os"

type rawFile struct{ f *os.File }

func openForRead(name string) (rawFile, error) {
	f, err := os.Open(name)
	return rawFile{f}, err
}

func (f rawFile) read(p []byte) (int, error) { return f.f.Read(p) }
func (f rawFile) close()                     { f.f.Close() }

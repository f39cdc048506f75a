package logdiff

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	same := []struct{ name, a, b string }{
		{"timestamper prefix", "[2022-01-20T10:11:12.345Z] + make -j8", "[2022-02-03T23:59:01.001Z] + make -j8"},
		{"durations", "== 12 passed in 3.52s ==", "== 7 passed in 120.01s =="},
		{"commit", "HEAD is now at 0a1b2c3d Merge", "HEAD is now at ffe0123 Merge"},
		{"container id", "Unable to find container 4f3c2b1a0e9d", "Unable to find container 9a8b7c6d5e4f"},
		{"tmp path", "wrote /tmp/tmp.AbC123/out.log: ok", "wrote /tmp/pytest-of-jenkins/x/out.log: ok"},
		{"ansi", "\x1b[31mFAILED\x1b[0m test_a", "FAILED test_a"},
		{"console note", "\x1b[8mha:////4PTqZ9ZYvGd+AAAA\x1b[0m[Pipeline] sh", "\x1b[8mha:////BBBBBB\x1b[0m[Pipeline] sh"},
		{"padding", "  5 passed", " 15 passed"},
		{"uuid", "id 550e8400-e29b-41d4-a716-446655440000", "id 123e4567-f31c-12d3-a456-426614174000"},
		{"ip", "connect to 10.0.12.7:22", "connect to 172.31.0.100:22"},
	}
	for _, tc := range same {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, Normalize([]byte(tc.a)), Normalize([]byte(tc.b)))
		})
	}
	differ := []struct{ name, a, b string }{
		{"words", "error: No space left on device", "error: Permission denied"},
		{"test names", "FAILED test_conv2d", "FAILED test_dense"},
		{"paths outside tmp", "cd /workspace/tvm/build", "cd /workspace/tvm/docs"},
	}
	for _, tc := range differ {
		t.Run(tc.name, func(t *testing.T) {
			assert.NotEqual(t, Normalize([]byte(tc.a)), Normalize([]byte(tc.b)))
		})
	}
}

const passingLog = `[2022-01-20T10:00:00.000Z] + docker/bash.sh ci_gpu:v0.60 ./tests/scripts/task_build.sh build
[2022-01-20T10:00:01.000Z] Unable to find image 'tlcpack/ci-gpu:v0.60' locally
[2022-01-20T10:00:05.000Z] v0.60: Pulling from tlcpack/ci-gpu
[2022-01-20T10:00:09.000Z] Digest: sha256:8f3c0a1b2c3d4e5f60718293a4b5c6d7e8f9
[2022-01-20T10:00:10.000Z] -- Configuring done
[2022-01-20T10:00:11.000Z] [  1%] Building CXX object CMakeFiles/tvm_objs.dir/src/arith/analyzer.cc.o
[2022-01-20T10:05:11.000Z] [100%] Linking CXX shared library libtvm.so
[2022-01-20T10:05:12.000Z] [100%] Built target tvm
`

const failingLog = `[2022-02-01T08:00:00.000Z] + docker/bash.sh ci_gpu:v0.60 ./tests/scripts/task_build.sh build
[2022-02-01T08:00:02.000Z] Unable to find image 'tlcpack/ci-gpu:v0.60' locally
[2022-02-01T08:00:06.000Z] v0.60: Pulling from tlcpack/ci-gpu
[2022-02-01T08:00:09.000Z] Digest: sha256:1234abcd2c3d4e5f60718293a4b5c6d7e8f9
[2022-02-01T08:00:10.000Z] -- Configuring done
[2022-02-01T08:00:11.000Z] [  1%] Building CXX object CMakeFiles/tvm_objs.dir/src/arith/analyzer.cc.o
[2022-02-01T08:03:11.000Z] /usr/bin/ld: final link failed: No space left on device
[2022-02-01T08:03:11.000Z] collect2: error: ld returned 1 exit status
[2022-02-01T08:03:12.000Z] make: *** [Makefile:160: all] Error 2
`

func TestDiff(t *testing.T) {
	t.Run("new lines with context", func(t *testing.T) {
		ex := Diff([]byte(failingLog), []byte(passingLog), Options{Context: 1})
		assert.Equal(t, ModeDiff, ex.Mode)
		assert.Equal(t, 9, ex.Total)
		var ns []int
		var marked []int
		for _, l := range ex.Lines {
			ns = append(ns, l.N)
			if l.Marked {
				marked = append(marked, l.N)
			}
		}
		assert.Equal(t, []int{6, 7, 8, 9}, ns)
		assert.Equal(t, []int{7, 8, 9}, marked)
		assert.Contains(t, ex.Lines[1].Text, "No space left on device")
	})
	t.Run("gaps marked", func(t *testing.T) {
		fail := "a\nb\nNEW1\nc\nd\ne\nf\ng\nNEW2\nh\n"
		pass := "a\nb\nc\nd\ne\nf\ng\nh\n"
		ex := Diff([]byte(fail), []byte(pass), Options{Context: 1})
		assert.Equal(t, []string{"b", "NEW1", "c", "…", "g", "NEW2", "h"}, ex.Strings())
	})
	t.Run("missing side falls back to error lines", func(t *testing.T) {
		ex := Diff([]byte(failingLog), nil, Options{Context: 1})
		assert.Equal(t, ModeErrors, ex.Mode)
		s := strings.Join(ex.Strings(), "\n")
		assert.Contains(t, s, "final link failed")
		assert.Contains(t, s, "Error 2")
	})
	t.Run("identical logs fall back to error lines", func(t *testing.T) {
		ex := Diff([]byte(failingLog), []byte(failingLog), Options{})
		assert.Equal(t, ModeErrors, ex.Mode)
	})
	t.Run("nothing error-like: tail", func(t *testing.T) {
		ex := Diff([]byte("one\ntwo\nthree\n"), nil, Options{Fallback: 2})
		assert.Equal(t, ModeTail, ex.Mode)
		assert.Equal(t, []string{"two", "three"}, ex.Strings())
	})
	t.Run("empty", func(t *testing.T) {
		ex := Diff(nil, []byte(passingLog), Options{})
		assert.Equal(t, ModeEmpty, ex.Mode)
		assert.Empty(t, ex.Strings())
	})
	t.Run("line cap says what was cut", func(t *testing.T) {
		var fail bytes.Buffer
		for i := range 200 {
			fmt.Fprintf(&fail, "new line %c%c\n", 'a'+i%26, 'a'+i/26)
		}
		ex := Diff(fail.Bytes(), []byte("x\n"), Options{MaxLines: 20})
		s := ex.Strings()
		assert.Len(t, ex.Lines, 20)
		assert.Equal(t, 180, ex.Cut)
		assert.Contains(t, s, "… 180 more lines")
		assert.Equal(t, "new line aa", s[0], "the first new line is kept")
		assert.Equal(t, "new line rh", s[len(s)-1], "the last line is kept")
	})
	t.Run("byte cap", func(t *testing.T) {
		var fail bytes.Buffer
		for i := range 100 {
			fmt.Fprintf(&fail, "%c%s\n", 'a'+i%26, strings.Repeat("x", 300))
		}
		ex := Diff(fail.Bytes(), nil, Options{MaxBytes: 2000, Fallback: 100})
		assert.LessOrEqual(t, textBytes(ex.Lines), 2000)
		assert.Positive(t, ex.Cut)
	})
	t.Run("long line cut", func(t *testing.T) {
		ex := Diff([]byte("error: "+strings.Repeat("é", 1000)+"\n"), nil, Options{MaxLineBytes: 101})
		require.Len(t, ex.Lines, 1)
		assert.True(t, utf8.ValidString(ex.Lines[0].Text))
		assert.Contains(t, ex.Lines[0].Text, "more bytes)")
	})
	t.Run("escapes and progress bars", func(t *testing.T) {
		fail := "\x1b[8mha:////AAAA\x1b[0m\x1b[31merror: boom\x1b[0m\n10%\r50%\rdownload failed\r\n"
		ex := Diff([]byte(fail), nil, Options{})
		assert.Equal(t, []string{"error: boom", "download failed"}, ex.Strings())
	})
}

func FuzzExcerpt(f *testing.F) {
	f.Add([]byte(failingLog), []byte(passingLog), 2, 10)
	f.Add([]byte("a\r\nb\x1b[31m\n\x1b[8mha:"), []byte(nil), 0, 1)
	f.Add([]byte("\xff\xfe error \x00\n"), []byte("x"), -1, 0)
	f.Fuzz(func(t *testing.T, fail, pass []byte, context, maxLines int) {
		o := Options{Context: context % 10, MaxLines: maxLines % 100, MaxBytes: 4096, MaxLineBytes: 200}
		ex := Diff(fail, pass, o)
		o = o.withDefaults()
		if len(ex.Lines) > o.MaxLines {
			t.Fatalf("%d lines > cap %d", len(ex.Lines), o.MaxLines)
		}
		if textBytes(ex.Lines) > o.MaxBytes {
			t.Fatalf("%d bytes > cap %d", textBytes(ex.Lines), o.MaxBytes)
		}
		prev := 0
		for _, l := range ex.Lines {
			if l.N <= prev || l.N > ex.Total {
				t.Fatalf("line numbers out of order: %+v", ex.Lines)
			}
			prev = l.N
			if !utf8.ValidString(l.Text) || strings.ContainsAny(l.Text, "\x1b\r\n\x00") {
				t.Fatalf("unsafe text %q", l.Text)
			}
		}
		_ = ex.Strings()
		_ = Normalize(fail)
	})
}

// BenchmarkExcerpt diffs two 1 MB logs that share most lines, the usual case of a build that
// failed late.
func BenchmarkExcerpt(b *testing.B) {
	var pass, fail bytes.Buffer
	for i := 0; pass.Len() < 1<<20; i++ {
		fmt.Fprintf(&pass, "[2022-01-20T10:%02d:%02d.000Z] [%3d%%] Building CXX object src/relay/op_%d.cc.o\n", i/60%60, i%60, i%100, i)
		fmt.Fprintf(&fail, "[2022-02-01T08:%02d:%02d.000Z] [%3d%%] Building CXX object src/relay/op_%d.cc.o\n", i/60%60, (i+7)%60, i%100, i)
		if i%5000 == 4999 {
			fmt.Fprintf(&fail, "error: something new %d\n", i)
		}
	}
	b.SetBytes(int64(fail.Len() + pass.Len()))
	b.ResetTimer()
	for b.Loop() {
		Diff(fail.Bytes(), pass.Bytes(), Options{})
	}
}

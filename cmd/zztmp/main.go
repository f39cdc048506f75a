package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/cidiff/cidiff/analyzer"
)

func main() {
	builds, _, _ := analyzer.ReadSource(context.Background(), analyzer.SideProd, os.Args[1], analyzer.SourceOptions{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	steps, script, errs, ctx := 0, 0, 0, 0
	for _, b := range builds {
		steps += len(b.Steps)
		for _, s := range b.Steps {
			script += len(s.Script)
			errs += len(s.Error)
			ctx += len(s.Context)
		}
	}
	fmt.Printf("builds %d steps %d heap %d MB; script bytes %d MB; err %d; ctx blocks %d; sizeof Step %d\n", len(builds), steps, ms.HeapAlloc>>20, script>>20, errs>>20, ctx, unsafe.Sizeof(builds[0].Steps[0]))
}

# cidiff: tell whether two Jenkins controllers agree.
GO       ?= go
PKGS     := ./...
BIN      := bin/cidiff
# make bench BUILDS=2000 scales the generated corpus (builds per home; see cmd/cidiffbench).
BUILDS   ?= 300
BENCHTIME ?= 1s
RUNS     ?= 3

.PHONY: all build test lint bench bench-go bench-cli bench-scale golden eval fuzz clean fixtures

all: lint test build

build:
	$(GO) build -o $(BIN) ./cmd/cidiff

# The memory bound of compare is measured without the race detector, which distorts the heap
# (that test skips itself under -race): it runs on its own after the race run.
test:
	$(GO) test -race -count=1 $(PKGS)
	$(GO) test -count=1 -run 'MemoryBounded' ./analyzer

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would rewrite:"; echo "$$out"; exit 1; fi

# Refresh golden files after an intended change in output; review the diff before committing.
# Only packages whose tests take -update (fixtures/golden, or their own flag) get it: a test
# binary rejects unknown flags.
golden:
	$(GO) test $$(grep -lE 'fixtures/golden"|flag.Bool\("update"' $$(git ls-files '*_test.go') | xargs -n1 dirname | sort -u | sed 's|^|./|') -run 'Golden' -update

# Go micro-benchmarks, then the whole commands on a generated corpus (cached under
# $TMPDIR/cidiff-bench; `make bench-cli` alone skips the micro-benchmarks).
bench: bench-go bench-cli

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

bench-cli:
	$(GO) run ./cmd/cidiffbench -builds $(BUILDS) -runs $(RUNS)

# Peak memory and the incremental scan at 200 and at 2,000 builds per home, with 0.2 MB logs
# (2,000 builds of 2 MB would be ~8 GB on disk). One measured run each; the corpora are deleted.
bench-scale:
	$(GO) run ./cmd/cidiffbench -builds 200 -log-mb 0.2 -runs 1 -split=false -clean
	$(GO) run ./cmd/cidiffbench -builds 2000 -log-mb 0.2 -runs 1 -split=false -clean

# Short fuzzing pass over every reader of bytes from disk.
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Regenerate the bundled JENKINS_HOME fixtures (deterministic; see fixtures/README.md).
fixtures:
	rm -rf fixtures/homes/prod fixtures/homes/staging fixtures/homes/layouts
	$(GO) run ./cmd/jenkinsgen -out fixtures/homes -scenario launch -seed 1

clean:
	rm -rf bin

# Knowledge-base accuracy on the failure corpus (make eval CORPUS=/path/to/dev.jsonl).
CORPUS ?= ../shared/failure-corpus/dev.jsonl
eval:
	$(GO) run ./cmd/kbeval -corpus $(CORPUS)

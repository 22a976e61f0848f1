# bpfplay: `make serve` builds and serves the playground; `make test` runs every test.
# Both install what they need (pinned Go modules; Debian's chromium, clang and
# llvm through apt when missing and we are root).

GO        ?= go
PORT      ?= 8080
PREFIX    ?=
BUILD     := build
SITE      := $(BUILD)/site
GOWASM    := GOOS=js GOARCH=wasm
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm
# Fuzz each target briefly in `make test` (a count, not a duration: a duration
# deadline can fail a healthy run under load); longer runs: make fuzz FUZZTIME=5m
FUZZTIME  ?= 20000x

.PHONY: all serve site wasm test test-native test-wasm fuzz lint deps deps-browser deps-clang bench clean

all: site

deps:
	$(GO) mod download

# Debian's chromium for the real-browser tests, and a CJK font so that the
# Chinese lessons' screenshots show text.
deps-browser:
	@sh scripts/need.sh "chromium fonts-wqy-zenhei" /usr/bin/chromium /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc

# Debian's clang and llvm for the real-compiler assembler tests.
deps-clang:
	@sh scripts/need.sh "clang llvm" /usr/bin/clang /usr/bin/llvm-objdump

# Built by scripts/build-wasm.sh, which the size benchmark uses for the
# minimal go-app baseline too (same flags, same cilium stubs).
wasm: deps
	GO=$(GO) sh scripts/build-wasm.sh $(SITE)/web/app.wasm ./wasm

# A static site for any static host; PREFIX=/some/path serves it under that path.
site: wasm
	$(GO) run ./wasm -out $(SITE) -prefix '$(PREFIX)' -wasm-exec '$(WASM_EXEC)/wasm_exec.js'

# Prints the URL it serves on (with the PREFIX the site was written for).
serve: site
	$(GO) run ./wasm -serve 127.0.0.1:$(PORT) -out $(SITE) -prefix '$(PREFIX)'

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOWASM) $(GO) vet ./sim/... ./lessons/... ./web/... ./wasm/...

# Kernel-oracle and real-browser tests fail instead of skipping under make test.
test: export BPFPLAY_REQUIRE_ORACLE=1
test: export BPFPLAY_REQUIRE_BROWSER=1
test: export BPFPLAY_SITE=$(abspath $(SITE))
test: export BPFPLAY_TRACE_HASHES=$(abspath $(BUILD))/trace-hashes.txt
test: deps deps-clang deps-browser lint site test-native test-wasm fuzz

# -count=1: oracle and browser tests must really run, never come from the cache.
# The ORACLE lines say how many kernel scenarios and statements were compared.
test-native:
	bash scripts/gotest.sh $(BUILD)/test-native.log -count=1 -timeout 40m ./...

# The pure-Go core under GOOS=js in node: the same traces as native.
test-wasm:
	PATH="$$PATH:$(WASM_EXEC)" $(GOWASM) $(GO) test -count=1 -timeout 20m ./sim/... ./lessons/...

fuzz:
	@sh scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sim/...

clean:
	rm -rf $(BUILD)

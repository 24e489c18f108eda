# Verdict: the two commands a newcomer runs, and a few more.
#   make example   run Verdict on the embedded example: inspect, evaluate, parse a property, bound it
#   make test      run the test suite (installs what it needs first)

SWIFT ?= swift
EXAMPLE := benchmarks/examples/digits
VERDICT := .build/release/verdict

.PHONY: example test setup build release benchmark-parse clean

example: setup release
	$(VERDICT) info $(EXAMPLE)/digits.onnx
	$(VERDICT) eval $(EXAMPLE)/digits.onnx --input $(EXAMPLE)/inputs/digit_0.json
	$(VERDICT) spec $(EXAMPLE)/properties/digit_0_eps_0.5.vnnlib --network $(EXAMPLE)/digits.onnx
	$(VERDICT) bounds $(EXAMPLE)/properties/digit_0_eps_0.5.vnnlib --network $(EXAMPLE)/digits.onnx --method alpha-crown

test:
	scripts/setup.sh --test
	$(SWIFT) build
	$(SWIFT) test --disable-swift-testing

setup:
	scripts/setup.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

benchmark-parse: setup release
	benchmarks/vnnlib-parse.sh

clean:
	rm -rf .build

# Verdict: the two commands a newcomer runs, and a few more.
#   make example   run Verdict on the embedded example: inspect it, verify two properties,
#                  and find the certified radius around one input
#   make test      run the test suite (installs what it needs first; builds release for the
#                  tests that run the shared benchmarks)

SWIFT ?= swift
EXAMPLE := benchmarks/examples/digits
VERDICT := .build/release/verdict

.PHONY: example test setup build release benchmark-parse clean

example: setup release
	$(VERDICT) info $(EXAMPLE)/digits.onnx
	$(VERDICT) eval $(EXAMPLE)/digits.onnx --input $(EXAMPLE)/inputs/digit_0.json
	$(VERDICT) bounds $(EXAMPLE)/properties/digit_0_eps_0.5.vnnlib --network $(EXAMPLE)/digits.onnx --method alpha-crown
	$(VERDICT) verify $(EXAMPLE)/properties/digit_0_eps_2.0.vnnlib --network $(EXAMPLE)/digits.onnx --timeout 60
	$(VERDICT) verify $(EXAMPLE)/properties/digit_1_eps_2.0.vnnlib --network $(EXAMPLE)/digits.onnx --timeout 60
	$(VERDICT) radius --network $(EXAMPLE)/digits.onnx --input $(EXAMPLE)/inputs/digit_0.json --clip 0:16 --tolerance 0.01

test:
	scripts/setup.sh --test
	$(SWIFT) build -c release
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

# Unit tests (check), syscall conformance programs (static, native vs sandboxed), integration.
UNIT_SRCS     += $(wildcard tests/unit/*.c tests/unit/*/*.c)
SYSCALL_TESTS += $(patsubst tests/syscalls/%.c,$(BUILD)/tests/syscalls/%,$(wildcard tests/syscalls/*.c))

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt)

# The unit binary's link rule is in the Makefile, after the object lists exist.

# Conformance programs are plain static C: they must run natively on any Linux.
$(BUILD)/tests/syscalls/%: tests/syscalls/%.c tests/syscalls/tap.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $<

unit: $(BUILD)/tests/unit/unit
	$(BUILD)/tests/unit/unit

syscall-tests: all $(SYSCALL_TESTS)
	BIN=$(BIN) ./tests/syscalls/run.sh $(SYSCALL_TESTS)

integration: all
	BIN=$(BIN) BUILD=$(BUILD) ./tests/integration/run.sh

# libFuzzer targets (needs clang: apt-get install clang): `make fuzz` runs each for
# FUZZ_SECONDS (default 60); crashes are written to the current directory.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined
$(BUILD)/fuzz/fuzz_p9: tests/fuzz/fuzz_p9.c gofer/p9/codec.c gofer/p9/msg.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ -o $@
$(BUILD)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c sentry/loader/elf.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ -o $@
fuzz: $(BUILD)/fuzz/fuzz_p9 $(BUILD)/fuzz/fuzz_elf
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) (apt-get install clang)"; exit 1; }
	$(BUILD)/fuzz/fuzz_p9 -max_total_time=$(FUZZ_SECONDS) -max_len=4096
	$(BUILD)/fuzz/fuzz_elf -max_total_time=$(FUZZ_SECONDS) -max_len=8192
.PHONY: fuzz

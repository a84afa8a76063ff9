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

# SPDX-License-Identifier: Apache-2.0
# Non-recursive build: every directory's module.mk appends its sources to the lists below.
# Targets: all (default) deps demo test unit syscall-tests integration bench fmt clean.
# `make SAN=1 ...` builds with ASan+UBSan into build-san/ and bin-san/.

CC      ?= gcc
SAN     ?=
V       ?=
Q       := $(if $(V),,@)

ifeq ($(SAN),1)
BUILD   ?= build-san
BIN     ?= bin-san
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
BUILD   ?= build
BIN     ?= bin
OPT     := -O2
LDSAN   :=
endif

WARN    := -Wall -Wextra -Werror -Werror=missing-prototypes -Werror=shadow -Werror=format=2 \
           -Werror=strict-prototypes -Werror=pointer-arith -Wno-unused-parameter \
           -Wno-missing-field-initializers
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(HARDEN) -I. -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDSAN)
LIBS    := -lpthread

# Filled in by module.mk files.
LIB_SRCS    :=
SENTRY_SRCS :=
RUNSC_SRCS  :=
SANDBOX_SRCS :=
UNIT_SRCS   :=
SYSCALL_TESTS :=
BENCH_PROGS :=

include lib/module.mk
include sentry/module.mk
include platform/module.mk
include fs/module.mk
-include gofer/module.mk
include runsc/module.mk
include tests/module.mk
include bench/module.mk

obj = $(patsubst %.c,$(BUILD)/%.o,$(patsubst %.S,$(BUILD)/%.o,$(1)))

LIB_OBJS    := $(call obj,$(LIB_SRCS))
SENTRY_OBJS := $(call obj,$(SENTRY_SRCS))
RUNSC_OBJS  := $(call obj,$(RUNSC_SRCS))
SANDBOX_OBJS := $(call obj,$(SANDBOX_SRCS))
UNIT_OBJS   := $(call obj,$(UNIT_SRCS))

LIBBASE   := $(BUILD)/libbase.a
LIBSENTRY := $(BUILD)/libsentry.a

.PHONY: all deps demo test unit syscall-tests integration bench fmt clean
all: $(BIN)/runsc $(BIN)/sandbox

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBBASE): $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSENTRY): $(SENTRY_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/runsc: $(RUNSC_OBJS) $(LIBSENTRY) $(LIBBASE)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(RUNSC_OBJS) $(LIBSENTRY) $(LIBBASE) $(LIBS)

$(BIN)/sandbox: $(SANDBOX_OBJS) $(LIBSENTRY) $(LIBBASE)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SANDBOX_OBJS) $(LIBSENTRY) $(LIBBASE) $(LIBS)

deps:
	./scripts/install-deps.sh

demo: deps all
	$(BIN)/sandbox run /bin/busybox echo "hello from the sandbox"
	$(BIN)/sandbox run /bin/busybox sh -c 'echo $$((6 * 7)); uname -a' || true

test: deps all unit syscall-tests integration

clean:
	rm -rf build build-san bin bin-san bench/out

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

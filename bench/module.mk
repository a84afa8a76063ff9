# bench/: microbenchmark programs (static, run natively and sandboxed) and the driver.
BENCH_PROGS += $(patsubst bench/progs/%.c,$(BUILD)/bench/%,$(wildcard bench/progs/*.c))

$(BUILD)/bench/%: bench/progs/%.c bench/progs/bench.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 -o $@ $<

bench: all $(BENCH_PROGS)
	BIN=$(BIN) BUILD=$(BUILD) ./bench/run.sh

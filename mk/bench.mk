# mk/bench.mk - `make bench` (issue 6): judgebox against bare execution
# and bubblewrap, as ratios measured in the same run; see bench/bench.sh
# and docs/performance.md.  Not part of `make test`.
#   make bench                      every figure (about 5 minutes)
#   make bench BENCH_ONLY="1 2"     some of them (1 true, 2 python, 3 HTTP
#                                   throughput, CPU per run and 1-client p50,
#                                   4 C compile+run, 5 long run and idle RSS,
#                                   6 async vs sync Python submissions,
#                                   9 CPU-time stability with --pin-cpus,
#                                   13 server RSS after 5,000 mixed requests,
#                                   14 a stored 100-test problem); the end
#                                   prints every figure as one table
#   make bench-tools                only build bench/runloop and bench/httpload
# BENCH_N, BENCH_N_PY, BENCH_ROUNDS, BENCH_HTTP_S, BENCH_C_N and
# BENCH_LONG_RUNS, BENCH_ASYNC_N, BENCH_RSS_N size it (bench/bench.sh).

BENCH_DEB   := bubblewrap gcc python3 linux-perf strace hyperfine
BENCH_TOOLS := $(BUILD)/bench/runloop $(BUILD)/bench/httpload

.PHONY: bench bench-deps bench-tools
# the Makefile's `deps` does the installing, given this list instead of its own
bench-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(BENCH_DEB)'

$(BUILD)/bench/runloop: bench/runloop.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<
$(BUILD)/bench/httpload: bench/httpload.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o $@ $<

bench-tools: $(BENCH_TOOLS)

bench: deps bench-deps all testroot default-image $(BENCH_TOOLS)
	@BUILD=$(BUILD) sh bench/bench.sh

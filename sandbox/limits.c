/*
 * limits.c - the defaults every omitted limit gets, the names of run
 * statuses, and freeing a result.  Pure data, no kernel.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sandbox.h"

static const char *const status_names[] = {
    [SANDBOX_OK] = "ok",
    [SANDBOX_RUNTIME_ERROR] = "runtime_error",
    [SANDBOX_TIME_LIMIT] = "time_limit",
    [SANDBOX_WALL_TIME_LIMIT] = "wall_time_limit",
    [SANDBOX_MEMORY_LIMIT] = "memory_limit",
    [SANDBOX_OUTPUT_LIMIT] = "output_limit",
    [SANDBOX_FORBIDDEN_SYSCALL] = "forbidden_syscall",
    [SANDBOX_INTERNAL_ERROR] = "internal_error",
    [SANDBOX_NETWORK_LIMIT] = "network_limit",
};

const char *sandbox_status_name(sandbox_status status)
{
    if ((unsigned)status < sizeof status_names / sizeof status_names[0])
        return status_names[status];
    return "internal_error";
}

void sandbox_limits_default(sandbox_limits *limits)
{
    *limits = (sandbox_limits){
        .cpu_ms = 2000,
        .wall_ms = 5000,
        .memory_kb = 256 * 1024,
        .pids = 64,
        .output_bytes = 1024 * 1024,
        .disk_kb = 64 * 1024,
        .inodes = 0,
        .file_size_kb = 64 * 1024,
        .open_files = 256,
        .stack_kb = UINT64_MAX,
    };
}

void sandbox_limits_fill(sandbox_limits *limits)
{
    sandbox_limits defaults;
    sandbox_limits_default(&defaults);
#define FILL(field) if (limits->field == 0) limits->field = defaults.field
    FILL(cpu_ms);
    FILL(wall_ms);
    FILL(memory_kb);
    FILL(pids);
    FILL(output_bytes);
    FILL(disk_kb);
    FILL(file_size_kb);
    FILL(open_files);
    FILL(stack_kb);
#undef FILL
    if (limits->inodes == 0)
        limits->inodes = limits->disk_kb / 4 < 1024 ? 1024 : limits->disk_kb / 4;
}

void sandbox_result_free(sandbox_result *result)
{
    free(result->stdout_data);
    free(result->stderr_data);
    free(result->output_order);
    result->stdout_data = result->stderr_data = NULL;
    result->stdout_len = result->stderr_len = 0;
    result->output_order = NULL;
    result->output_pieces = 0;
}

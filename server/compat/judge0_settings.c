/*
 * judge0_settings.c - Judge0's configuration as Judge0 1.13.1 reads it:
 * the same environment variable names and the same defaults
 * (app/helpers/config.rb), read once; GET /config_info shows them.  A few
 * are fixed by what judgebox is: ENABLE_NETWORK and ALLOW_ENABLE_NETWORK
 * are false (every run has an empty network namespace), and the
 * per-process limits are accepted but the limits always cover the whole
 * run.  Also Judge0's status table.
 */
#include "judge0.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static judge0_settings settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

/* Ruby's ENV['X'] == "true" and ENV['X'] != "false". */
static bool env_true(const char *name)
{
    const char *v = getenv(name);
    return v && strcmp(v, "true") == 0;
}
static bool env_not_false(const char *name)
{
    const char *v = getenv(name);
    return !v || strcmp(v, "false") != 0;
}
/* (ENV['X'].presence || default).to_f / .to_i */
static double env_num(const char *name, double def)
{
    const char *v = getenv(name);
    if (!v || !v[0])
        return def;
    return strtod(v, NULL);
}

static void load(void)
{
    judge0_settings *s = &settings;
    s->maintenance_mode = env_true("MAINTENANCE_MODE");
    s->enable_wait_result = env_not_false("ENABLE_WAIT_RESULT");
    s->enable_compiler_options = env_not_false("ENABLE_COMPILER_OPTIONS");
    s->enable_command_line_arguments = env_not_false("ENABLE_COMMAND_LINE_ARGUMENTS");
    s->enable_submission_delete = env_true("ENABLE_SUBMISSION_DELETE");
    s->enable_callbacks = env_not_false("ENABLE_CALLBACKS");
    s->callbacks_max_tries = (unsigned)env_num("CALLBACKS_MAX_TRIES", 3);
    s->callbacks_timeout = env_num("CALLBACKS_TIMEOUT", 5);
    s->enable_additional_files = env_not_false("ENABLE_ADDITIONAL_FILES");
    s->max_queue_size = (unsigned)env_num("MAX_QUEUE_SIZE", 100);
    s->cpu_time_limit = env_num("CPU_TIME_LIMIT", 5);
    s->max_cpu_time_limit = env_num("MAX_CPU_TIME_LIMIT", 15);
    s->cpu_extra_time = env_num("CPU_EXTRA_TIME", 1);
    s->max_cpu_extra_time = env_num("MAX_CPU_EXTRA_TIME", 5);
    s->wall_time_limit = env_num("WALL_TIME_LIMIT", 10);
    s->max_wall_time_limit = env_num("MAX_WALL_TIME_LIMIT", 20);
    s->memory_limit = (long)env_num("MEMORY_LIMIT", 128000);
    s->max_memory_limit = (long)env_num("MAX_MEMORY_LIMIT", 512000);
    s->stack_limit = (long)env_num("STACK_LIMIT", 64000);
    s->max_stack_limit = (long)env_num("MAX_STACK_LIMIT", 128000);
    s->max_processes_and_or_threads = (long)env_num("MAX_PROCESSES_AND_OR_THREADS", 60);
    s->max_max_processes_and_or_threads = (long)env_num("MAX_MAX_PROCESSES_AND_OR_THREADS", 120);
    s->enable_per_process_and_thread_time_limit = env_true("ENABLE_PER_PROCESS_AND_THREAD_TIME_LIMIT");
    s->allow_enable_per_process_and_thread_time_limit =
        env_not_false("ALLOW_ENABLE_PER_PROCESS_AND_THREAD_TIME_LIMIT");
    s->enable_per_process_and_thread_memory_limit =
        env_true("ENABLE_PER_PROCESS_AND_THREAD_MEMORY_LIMIT");
    s->allow_enable_per_process_and_thread_memory_limit =
        env_not_false("ALLOW_ENABLE_PER_PROCESS_AND_THREAD_MEMORY_LIMIT");
    s->max_file_size = (long)env_num("MAX_FILE_SIZE", 1024);
    s->max_max_file_size = (long)env_num("MAX_MAX_FILE_SIZE", 4096);
    s->number_of_runs = (long)env_num("NUMBER_OF_RUNS", 1);
    s->max_number_of_runs = (long)env_num("MAX_NUMBER_OF_RUNS", 20);
    s->redirect_stderr_to_stdout = env_true("REDIRECT_STDERR_TO_STDOUT");
    s->max_extract_size = (long)env_num("MAX_EXTRACT_SIZE", 10240);
    s->enable_batched_submissions = env_not_false("ENABLE_BATCHED_SUBMISSIONS");
    s->max_submission_batch_size = (long)env_num("MAX_SUBMISSION_BATCH_SIZE", 20);
    s->submission_cache_duration = env_num("SUBMISSION_CACHE_DURATION", 1);
    s->use_docs_as_homepage = env_true("USE_DOCS_AS_HOMEPAGE");
    /* Fixed: runs never have a network. */
    s->allow_enable_network = false;
    s->enable_network = false;
    /* judgebox's own switch: base64 by default, as Judge0 after 1.13.1. */
    s->implicit_base64_encoding = env_true("ENABLE_IMPLICIT_BASE64_ENCODING");
}

const judge0_settings *judge0_settings_get(void)
{
    pthread_once(&settings_once, load);
    return &settings;
}

json_t *judge0_config_info_body(void)
{
    const judge0_settings *s = judge0_settings_get();
    json_t *o = json_object();
#define B(k, v) json_object_set_new(o, k, json_boolean(v))
#define I(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
#define R(k, v) json_object_set_new(o, k, json_real(v))
    B("maintenance_mode", s->maintenance_mode);
    B("enable_wait_result", s->enable_wait_result);
    B("enable_compiler_options", s->enable_compiler_options);
    json_object_set_new(o, "allowed_languages_for_compile_options", json_array());
    B("enable_command_line_arguments", s->enable_command_line_arguments);
    B("enable_submission_delete", s->enable_submission_delete);
    B("enable_callbacks", s->enable_callbacks);
    I("callbacks_max_tries", s->callbacks_max_tries);
    R("callbacks_timeout", s->callbacks_timeout);
    B("enable_additional_files", s->enable_additional_files);
    I("max_queue_size", s->max_queue_size);
    R("cpu_time_limit", s->cpu_time_limit);
    R("max_cpu_time_limit", s->max_cpu_time_limit);
    R("cpu_extra_time", s->cpu_extra_time);
    R("max_cpu_extra_time", s->max_cpu_extra_time);
    R("wall_time_limit", s->wall_time_limit);
    R("max_wall_time_limit", s->max_wall_time_limit);
    I("memory_limit", s->memory_limit);
    I("max_memory_limit", s->max_memory_limit);
    I("stack_limit", s->stack_limit);
    I("max_stack_limit", s->max_stack_limit);
    I("max_processes_and_or_threads", s->max_processes_and_or_threads);
    I("max_max_processes_and_or_threads", s->max_max_processes_and_or_threads);
    B("enable_per_process_and_thread_time_limit", s->enable_per_process_and_thread_time_limit);
    B("allow_enable_per_process_and_thread_time_limit",
      s->allow_enable_per_process_and_thread_time_limit);
    B("enable_per_process_and_thread_memory_limit", s->enable_per_process_and_thread_memory_limit);
    B("allow_enable_per_process_and_thread_memory_limit",
      s->allow_enable_per_process_and_thread_memory_limit);
    I("max_file_size", s->max_file_size);
    I("max_max_file_size", s->max_max_file_size);
    I("number_of_runs", s->number_of_runs);
    I("max_number_of_runs", s->max_number_of_runs);
    B("redirect_stderr_to_stdout", s->redirect_stderr_to_stdout);
    I("max_extract_size", s->max_extract_size);
    B("enable_batched_submissions", s->enable_batched_submissions);
    I("max_submission_batch_size", s->max_submission_batch_size);
    R("submission_cache_duration", s->submission_cache_duration);
    B("use_docs_as_homepage", s->use_docs_as_homepage);
    B("allow_enable_network", s->allow_enable_network);
    B("enable_network", s->enable_network);
#undef B
#undef I
#undef R
    return o;
}

static const char *const statuses[] = {
    NULL,
    "In Queue",
    "Processing",
    "Accepted",
    "Wrong Answer",
    "Time Limit Exceeded",
    "Compilation Error",
    "Runtime Error (SIGSEGV)",
    "Runtime Error (SIGXFSZ)",
    "Runtime Error (SIGFPE)",
    "Runtime Error (SIGABRT)",
    "Runtime Error (NZEC)",
    "Runtime Error (Other)",
    "Internal Error",
    "Exec Format Error",
};

const char *judge0_status_description(int id)
{
    return id >= 1 && id <= 14 ? statuses[id] : "Internal Error";
}

json_t *judge0_statuses_body(void)
{
    json_t *arr = json_array();
    for (int id = 1; id <= 14; id++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(id));
        json_object_set_new(o, "description", json_string(statuses[id]));
        json_array_append_new(arr, o);
    }
    return arr;
}

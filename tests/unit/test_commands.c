/*
 * test_command_lines.h - unit tests of a request's command lines
 * (server/judge/command_lines.c: placeholders, the JVM main-class detector,
 * source rules) and of the language-file fields they read (aliases,
 * compile_options allowlists, check, sources; server/common/langs.c).
 * No sandbox, no HTTP.
 */
#include <stdlib.h>
#include <string.h>

#include "command_lines.h"
#include "langs.h"
#include "unit.h"

static int parse(const char *text, language *l)
{
    char error[512];
    int rc = langs_parse(text, strlen(text), "test.json", l, error, sizeof error);
    if (rc)
        printf("# %s\n", error);
    return rc;
}

static bool argv_is(char **argv, const char *const *want)
{
    size_t i = 0;
    for (; want[i]; i++)
        if (!argv || !argv[i] || strcmp(argv[i], want[i]) != 0) {
            printf("# argv[%zu] is '%s', want '%s'\n", i, argv && argv[i] ? argv[i] : "(end)", want[i]);
            return false;
        }
    return argv[i] == NULL;
}

static void test_main_class(void)
{
    char pkg[128], cls[128], pub[128];
    const char *java =
        "// class Fake { public static void main(String[] a) {} }\n"
        "package com.example.solve;\n"
        "import java.util.*;\n"
        "/* class Nope */\n"
        "class Helper { int f() { return \"class Str {\".length(); } }\n"
        "public class Solution {\n"
        "    static class Inner {}\n"
        "    public static void main(String[] args) { System.out.println(1); }\n"
        "}\n";
    int rc = commands_find_main_class(MAIN_CLASS_JAVA, java, strlen(java), pkg, sizeof pkg, cls,
                                      sizeof cls, pub, sizeof pub);
    CHECK("main class: java package and public class with main", rc == 0 &&
          strcmp(pkg, "com.example.solve") == 0 && strcmp(cls, "Solution") == 0 &&
          strcmp(pub, "Solution") == 0);
    const char *nested = "public class Outer { static class Run { public static void main(String[] a) {} } }";
    rc = commands_find_main_class(MAIN_CLASS_JAVA, nested, strlen(nested), pkg, sizeof pkg, cls,
                                  sizeof cls, pub, sizeof pub);
    CHECK("main class: java nested class gets its binary name", rc == 0 && !pkg[0] &&
          strcmp(cls, "Outer$Run") == 0 && strcmp(pub, "Outer") == 0);
    const char *nonpublic = "import java.io.*;\nclass A { }\nfinal class Go {\n static public void main(String[] x) {}\n}\n";
    rc = commands_find_main_class(MAIN_CLASS_JAVA, nonpublic, strlen(nonpublic), pkg, sizeof pkg,
                                  cls, sizeof cls, pub, sizeof pub);
    CHECK("main class: java without a public class", rc == 0 && strcmp(cls, "Go") == 0 && !pub[0]);
    const char *none = "public class X { void main(String[] a) {} }";
    CHECK("main class: an instance main is no entry point",
          commands_find_main_class(MAIN_CLASS_JAVA, none, strlen(none), pkg, sizeof pkg, cls,
                                   sizeof cls, pub, sizeof pub) < 0);
    const char *scala = "package a\npackage b.c\n\nobject Helper { def f = 1 }\nobject Prog {\n  def main(args: Array[String]): Unit = println(\"object X\")\n}\n";
    rc = commands_find_main_class(MAIN_CLASS_SCALA, scala, strlen(scala), pkg, sizeof pkg, cls,
                                  sizeof cls, pub, sizeof pub);
    CHECK("main class: scala chained packages and the object with def main",
          rc == 0 && strcmp(pkg, "a.b.c") == 0 && strcmp(cls, "Prog") == 0);
    const char *app = "object Hi extends App { println(1) }";
    rc = commands_find_main_class(MAIN_CLASS_SCALA, app, strlen(app), pkg, sizeof pkg, cls,
                                  sizeof cls, pub, sizeof pub);
    CHECK("main class: scala object extending App", rc == 0 && strcmp(cls, "Hi") == 0);
}

static void test_fields_and_commands(void)
{
    language cpp, java, js, py;
    int rc = parse("{\"id\":\"cpp17\",\"name\":\"C++17\",\"image\":\"default\",\"source_file\":\"main.cpp\","
                   "\"aliases\":[\"cpp\",\"c++\"],\"sources\":[\".cpp\",\".cc\"],"
                   "\"compile_options\":[\"-O[0-3]\",\"-D[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_]*)?\"],"
                   "\"compile\":[\"g++\",\"-O2\",\"{options}\",\"-o\",\"main\",\"{sources}\"],"
                   "\"run\":[\"./main\"]}", &cpp);
    CHECK("langs: aliases, sources and compile_options parse", rc == 0 && cpp.aliases &&
          strcmp(cpp.aliases[1], "c++") == 0 && cpp.noptions == 2);
    if (rc)
        return;
    CHECK("langs: an allowed flag matches as a whole", langs_option_allowed(&cpp, "-O3") &&
          langs_option_allowed(&cpp, "-DLOCAL=1") && !langs_option_allowed(&cpp, "-O3 -x") &&
          !langs_option_allowed(&cpp, "-O4") && !langs_option_allowed(&cpp, "-D$(id)") &&
          !langs_option_allowed(&cpp, "-fplugin=x.so"));
    language_table t = {&cpp, 1};
    CHECK("langs: find by alias", langs_find(&t, "c++") == &cpp && langs_find(&t, "cpp17") == &cpp &&
          !langs_find(&t, "c"));

    char *opts[] = {"-O0", "-DX=1", NULL};
    job_file files[] = {{"main.cpp", (unsigned char *)"int main(){}", 12},
                        {"lib.cc", (unsigned char *)"", 0},
                        {"lib.h", (unsigned char *)"", 0},
                        {"-x.cpp", (unsigned char *)"", 0}};
    job_request job = {.lang = &cpp, .files = files, .nfiles = 4, .compile_options = opts};
    job_commands c;
    char error[256];
    rc = commands_build(&job, &c, error, sizeof error);
    CHECK("commands: {options} and {sources} (every source, no header, no leading dash)",
          rc == 0 && argv_is(c.compile, (const char *const[]){"g++", "-O2", "-O0", "-DX=1", "-o", "main",
                                                              "lib.cc", "./-x.cpp", "main.cpp", NULL}));
    commands_free(&c);

    rc = parse("{\"id\":\"java\",\"name\":\"Java\",\"image\":\"jvm\",\"source_file\":\"Main.java\","
               "\"main_class\":\"java\",\"compile\":[\"javac\",\"-d\",\".\",\"{sources}\"],"
               "\"run\":[\"java\",\"-cp\",\".\",\"{main_class}\"]}", &java);
    CHECK("langs: main_class parses", rc == 0 && java.main_class == MAIN_CLASS_JAVA);
    const char *src = "package p.q;\npublic class Sol { public static void main(String[] a) {} }\n";
    job_file jf[] = {{"Main.java", (unsigned char *)src, strlen(src)}};
    job_request jj = {.lang = &java, .files = jf, .nfiles = 1};
    rc = rc == 0 ? commands_build(&jj, &c, error, sizeof error) : -1;
    CHECK("commands: java saved as its public class, run as package.Class", rc == 0 &&
          strcmp(c.main_file, "Sol.java") == 0 &&
          argv_is(c.run, (const char *const[]){"java", "-cp", ".", "p.q.Sol", NULL}) &&
          argv_is(c.compile, (const char *const[]){"javac", "-d", ".", "Sol.java", NULL}));
    if (rc == 0)
        commands_free(&c);

    rc = parse("{\"id\":\"javascript\",\"name\":\"JS\",\"image\":\"s\",\"source_file\":\"main.js\","
               "\"source_rules\":[{\"match\":\"^[[:space:]]*(import|export)[[:space:]{*]\",\"source_file\":\"main.mjs\"}],"
               "\"check\":[\"node\",\"--check\",\"{source_file}\"],\"run\":[\"node\",\"{source_file}\"]}", &js);
    CHECK("langs: check and source_rules parse", rc == 0 && js.check_argv && js.nsource_rules == 1);
    const char *esm = "// a module\nimport { readFileSync } from 'fs';\nconsole.log(1)\n";
    job_file ef[] = {{"main.js", (unsigned char *)esm, strlen(esm)}};
    job_request ej = {.lang = &js, .files = ef, .nfiles = 1};
    rc = rc == 0 ? commands_build(&ej, &c, error, sizeof error) : -1;
    CHECK("commands: an ES module is saved as main.mjs, checked and run as such", rc == 0 &&
          strcmp(c.main_file, "main.mjs") == 0 &&
          argv_is(c.compile, (const char *const[]){"node", "--check", "main.mjs", NULL}) &&
          argv_is(c.run, (const char *const[]){"node", "main.mjs", NULL}));
    if (rc == 0)
        commands_free(&c);
    const char *cjs = "const fs = require('fs'); // import x from 'y'\n";
    ef[0].data = (unsigned char *)cjs;
    ef[0].len = strlen(cjs);
    rc = commands_build(&ej, &c, error, sizeof error);
    CHECK("commands: CommonJS stays main.js", rc == 0 && strcmp(c.main_file, "main.js") == 0);
    if (rc == 0)
        commands_free(&c);

    const char *bad[] = {
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"aliases\":[\"a b\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"compile\":[\"c\"],\"compile_options\":[\"(\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"compile_options\":[\"-O2\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"compile\":[\"c\"],\"check\":[\"c\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"main_class\":\"cobol\"}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"sources\":[\"cpp\"]}",
        "{\"id\":\"x\",\"name\":\"X\",\"image\":\"d\",\"source_file\":\"m\",\"run\":[\"x\"],\"source_rules\":[{\"match\":\"a\",\"source_file\":\"../x\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err2[512] = "";
        int r = langs_parse(bad[i], strlen(bad[i]), "bad.json", &py, err2, sizeof err2);
        CHECK("langs: a bad new field is refused naming the file", r < 0 && strstr(err2, "bad.json"));
        if (r == 0)
            language_free(&py);
    }
    language_free(&cpp);
    language_free(&java);
    language_free(&js);
}

int main(void)
{
    test_main_class();
    test_fields_and_commands();
    UNIT_EXIT();
}

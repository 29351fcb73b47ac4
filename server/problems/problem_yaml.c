/*
 * problem_yaml.c - problem.yaml with libyaml's document loader: the keys a
 * judge needs (name, validation or type, validator_flags, limits), each
 * checked for its type; the rest of the format (source, license, uuid,
 * keywords, ...) is accepted and ignored.  Pure: text in, struct out.
 */
#include "package.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static int get_string(yaml_document_t *doc, yaml_node_t *map, const char *key, char **out,
                      char *error, size_t size)
{
    yaml_node_t *v = map_get(doc, map, key);
    if (!v)
        return 0;
    if (v->type == YAML_SEQUENCE_NODE && strcmp(key, "validator_flags") == 0) {
        /* A list of words is accepted too: joined with spaces. */
        size_t total = 1;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *n = yaml_document_get_node(doc, *it);
            if (!n || n->type != YAML_SCALAR_NODE) {
                snprintf(error, size, "problem.yaml: %s must be a string or a list of strings", key);
                return -1;
            }
            total += n->data.scalar.length + 1;
        }
        char *s = calloc(1, total);
        if (!s) {
            snprintf(error, size, "problem.yaml: out of memory");
            return -1;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *n = yaml_document_get_node(doc, *it);
            if (s[0])
                strcat(s, " ");
            strncat(s, (const char *)n->data.scalar.value, n->data.scalar.length);
        }
        free(*out);
        *out = s;
        return 0;
    }
    if (v->type != YAML_SCALAR_NODE) {
        snprintf(error, size, "problem.yaml: %s must be a string", key);
        return -1;
    }
    if (strlen((const char *)v->data.scalar.value) != v->data.scalar.length) {
        snprintf(error, size, "problem.yaml: %s contains a NUL byte", key);
        return -1;
    }
    char *s = strndup((const char *)v->data.scalar.value, v->data.scalar.length);
    if (!s) {
        snprintf(error, size, "problem.yaml: out of memory");
        return -1;
    }
    free(*out);
    *out = s;
    return 0;
}

static int get_number(yaml_document_t *doc, yaml_node_t *map, const char *where, const char *key,
                      double lo, double hi, double *out, char *error, size_t size)
{
    yaml_node_t *v = map_get(doc, map, key);
    if (!v)
        return 0;
    char buf[64];
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0 ||
        v->data.scalar.length >= sizeof buf) {
        snprintf(error, size, "problem.yaml: %s%s must be a number", where, key);
        return -1;
    }
    memcpy(buf, v->data.scalar.value, v->data.scalar.length);
    buf[v->data.scalar.length] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (errno || *end || !isfinite(d) || d < lo || d > hi) {
        snprintf(error, size, "problem.yaml: %s%s must be a number from %g to %g, not \"%s\"",
                 where, key, lo, hi, buf);
        return -1;
    }
    *out = d;
    return 0;
}

int problem_yaml_parse(const char *text, size_t len, problem_yaml *out, char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(error, size, "problem.yaml: cannot start the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(error, size, "problem.yaml: line %zu: %s", parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "not valid YAML");
        yaml_parser_delete(&parser);
        return -1;
    }
    int rc = -1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = 0;                  /* an empty problem.yaml: every default */
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        snprintf(error, size, "problem.yaml: must be a mapping of keys to values");
        goto out;
    }
    yaml_node_t *name = map_get(&doc, root, "name");
    if ((!name || name->type != YAML_MAPPING_NODE) &&
        get_string(&doc, root, "name", &out->name, error, size) < 0)
        goto out;
    if (get_string(&doc, root, "validation", &out->validation, error, size) < 0 ||
        get_string(&doc, root, "type", &out->type, error, size) < 0 ||
        get_string(&doc, root, "validator_flags", &out->validator_flags, error, size) < 0)
        goto out;
    if (name && name->type == YAML_MAPPING_NODE) {
        /* Newer format: name: {en: "...", ...}; take English or the first. */
        yaml_node_t *en = map_get(&doc, name, "en");
        if (!en && name->data.mapping.pairs.start < name->data.mapping.pairs.top)
            en = yaml_document_get_node(&doc, name->data.mapping.pairs.start->value);
        if (en && en->type == YAML_SCALAR_NODE)
            out->name = strndup((const char *)en->data.scalar.value, en->data.scalar.length);
    }
    yaml_node_t *limits = map_get(&doc, root, "limits");
    if (limits && limits->type != YAML_MAPPING_NODE) {
        snprintf(error, size, "problem.yaml: limits must be a mapping");
        goto out;
    }
    double mem = 0, outp = 0;
    if (get_number(&doc, limits, "limits.", "time_limit", 0, 3600, &out->time_limit_s, error, size) < 0 ||
        get_number(&doc, limits, "limits.", "time_multiplier", 0, 1000, &out->time_multiplier, error,
                   size) < 0 ||
        get_number(&doc, limits, "limits.", "memory", 0, 1 << 20, &mem, error, size) < 0 ||
        get_number(&doc, limits, "limits.", "output", 0, 1 << 20, &outp, error, size) < 0)
        goto out;
    out->memory_mb = (uint64_t)mem;
    out->output_mb = (uint64_t)outp;
    rc = 0;
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc < 0)
        problem_yaml_free(out);
    return rc;
}

void problem_yaml_free(problem_yaml *y)
{
    free(y->name);
    free(y->validation);
    free(y->type);
    free(y->validator_flags);
    memset(y, 0, sizeof *y);
}

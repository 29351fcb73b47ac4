/*
 * openapi.c - owns embedding server/ops/openapi.json into the binary: the
 * assembler's .incbin copies the file's bytes into .rodata between two
 * symbols (mk/ops.mk makes this object depend on the file), so there is no
 * generated source and no second copy to keep in step.
 */
#include "openapi.h"

__asm__(".section .rodata\n"
        ".global judgebox_openapi_start\n"
        ".global judgebox_openapi_end\n"
        ".balign 16\n"
        "judgebox_openapi_start:\n"
        ".incbin \"server/ops/openapi.json\"\n"
        "judgebox_openapi_end:\n"
        ".byte 0\n"
        ".previous\n");

extern const char judgebox_openapi_start[], judgebox_openapi_end[];

const char *openapi_document(size_t *len)
{
    *len = (size_t)(judgebox_openapi_end - judgebox_openapi_start);
    return judgebox_openapi_start;
}

/*
 * ws.c - WebSocket framing and handshake (see ws.h).  Frames from a client
 * must be masked (RFC 6455 5.1); the server's are not.  Lengths are checked
 * before any byte is touched, so a hostile length costs nothing.
 */
#include "ws.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <string.h>

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    /* 16 random bytes in base64 are 24 characters ending in "==". */
    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return false;
    }
    struct sha1_ctx ctx;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&ctx);
    sha1_update(&ctx, 24, (const uint8_t *)key);
    sha1_update(&ctx, sizeof WS_GUID - 1, (const uint8_t *)WS_GUID);
    sha1_digest(&ctx, sizeof digest, digest);
    base64_encode_raw(out, sizeof digest, digest);
    out[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = '\0';
    return true;
}

long ws_parse_frame(uint8_t *buf, size_t len, ws_frame *out, const char **why)
{
    if (len < 2)
        return 0;
    bool fin = buf[0] & 0x80;
    int opcode = buf[0] & 0x0F;
    if (buf[0] & 0x70) {
        *why = "reserved bits set (no extension was agreed)";
        return -1;
    }
    if (opcode != WS_OP_CONTINUATION && opcode != WS_OP_TEXT && opcode != WS_OP_BINARY && opcode != WS_OP_CLOSE &&
        opcode != WS_OP_PING && opcode != WS_OP_PONG) {
        *why = "unknown opcode";
        return -1;
    }
    if (!(buf[1] & 0x80)) {
        *why = "a client frame must be masked";
        return -1;
    }
    uint64_t payload = buf[1] & 0x7F;
    size_t at = 2;
    if (payload == 126) {
        if (len < 4)
            return 0;
        payload = (uint64_t)buf[2] << 8 | buf[3];
        at = 4;
    } else if (payload == 127) {
        if (len < 10)
            return 0;
        payload = 0;
        for (int i = 0; i < 8; i++)
            payload = payload << 8 | buf[2 + i];
        at = 10;
    }
    if (opcode >= WS_OP_CLOSE && (!fin || payload > 125)) {
        *why = "a control frame must be whole and at most 125 bytes";
        return -1;
    }
    if (payload > WS_MAX_FRAME) {
        *why = "frame too large";
        return -1;
    }
    if (len < at + 4 + payload)
        return 0;
    const uint8_t *mask = buf + at;
    uint8_t *data = buf + at + 4;
    for (size_t i = 0; i < payload; i++)
        data[i] ^= mask[i & 3];
    out->fin = fin;
    out->opcode = opcode;
    out->payload = data;
    out->len = (size_t)payload;
    return (long)(at + 4 + payload);
}

size_t ws_frame_header(uint8_t hdr[10], int opcode, size_t len)
{
    hdr[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (len < 126) {
        hdr[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        hdr[1] = 126;
        hdr[2] = (uint8_t)(len >> 8);
        hdr[3] = (uint8_t)len;
        return 4;
    }
    hdr[1] = 127;
    for (int i = 0; i < 8; i++)
        hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

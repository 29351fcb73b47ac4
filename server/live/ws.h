/*
 * ws.h - the WebSocket protocol (RFC 6455) as pure functions: the
 * handshake's accept key (SHA-1 and base64 from nettle), parsing the
 * frames a client sends (masked, at most WS_MAX_FRAME bytes of payload)
 * and the header of a frame the server sends.  No I/O here: session.c
 * owns the sockets.
 */
#ifndef JUDGEBOX_WS_H
#define JUDGEBOX_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONTINUATION 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xA

#define WS_MAX_FRAME (1u << 20)   /* payload bytes of one client frame, and of a whole message */
#define WS_ACCEPT_LEN 28

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)),
 * NUL-terminated in out.  False when the key is not 16 bytes in base64. */
bool ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

typedef struct ws_frame {
    bool fin;
    int opcode;
    uint8_t *payload;            /* points into the parsed buffer, unmasked in place */
    size_t len;
} ws_frame;

/* Parse one frame at the start of buf[0..len).  Returns the bytes it takes
 * (> 0), 0 when more bytes are needed, or -1 for a protocol violation
 * (*why names it): an unmasked frame, reserved bits, an unknown opcode, a
 * control frame that is fragmented or over 125 bytes, a payload over
 * WS_MAX_FRAME. */
long ws_parse_frame(uint8_t *buf, size_t len, ws_frame *out, const char **why);

/* The header of an unmasked server frame (fin set) carrying `len` bytes:
 * written to hdr (room for 10 bytes), its length returned. */
size_t ws_frame_header(uint8_t hdr[10], int opcode, size_t len);

#endif

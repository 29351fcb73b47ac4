        global _start
        section .rodata
nl:     db 10
        section .text
_start: mov rbx, [rsp]          ; argc
        lea r12, [rsp + 16]     ; argv[1]
        dec rbx
.next:  test rbx, rbx
        jz .done
        mov rsi, [r12]
        xor edx, edx            ; strlen
.len:   cmp byte [rsi + rdx], 0
        je .print
        inc rdx
        jmp .len
.print: mov eax, 1
        mov edi, 1
        syscall
        mov eax, 1
        mov edi, 1
        lea rsi, [rel nl]
        mov edx, 1
        syscall
        add r12, 8
        dec rbx
        jmp .next
.done:  mov eax, 60
        xor edi, edi
        syscall

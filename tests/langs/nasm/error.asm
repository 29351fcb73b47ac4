_start: mov eax, nosuchlabel
        bogus_instruction rax

(dolist (a (cdr sb-ext:*posix-argv*)) (write-line a))

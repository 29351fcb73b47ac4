(display "Hello, World!") (newline)

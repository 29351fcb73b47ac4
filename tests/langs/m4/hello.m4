Hello, World!

1i\
Hello, World!
d

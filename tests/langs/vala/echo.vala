void main () {
    var buf = new uint8[4096];
    size_t n;
    while ((n = stdin.read (buf)) > 0)
        stdout.write (buf[0:n]);
}

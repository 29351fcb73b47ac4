void main() { int x = "not an int"; }

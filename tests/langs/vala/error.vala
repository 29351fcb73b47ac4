void main () {
    undefined_thing ();
}

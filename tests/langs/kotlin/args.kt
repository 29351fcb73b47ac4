fun main(args: Array<String>) {
    for (a in args) println(a)
}

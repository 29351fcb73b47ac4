class Program {
    static void Main() {
        using (var i = System.Console.OpenStandardInput())
        using (var o = System.Console.OpenStandardOutput())
            i.CopyTo(o);
    }
}

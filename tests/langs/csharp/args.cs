class Program {
    static void Main(string[] args) {
        var o = new System.IO.StreamWriter(System.Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false));
        foreach (var a in args) o.WriteLine(a);
        o.Flush();
    }
}

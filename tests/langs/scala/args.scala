object Main {
  def main(args: Array[String]): Unit = args.foreach(println)
}

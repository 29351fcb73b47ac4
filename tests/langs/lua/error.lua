print("x" +)
